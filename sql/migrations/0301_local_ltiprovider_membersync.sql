-- The last membership sync of each tool: when, what it did, and the error
-- if it failed, for the administrator. When a tool is due is still decided
-- by the plugin's config_plugins rows membershipslastsync-<toolid>, so
-- sites that ran the plugin keep their schedule.
CREATE TABLE IF NOT EXISTS {local_ltiprovider_membersync} (
  `toolid` BIGINT(10) NOT NULL,
  `timestarted` BIGINT(10) NOT NULL DEFAULT 0,
  `timefinished` BIGINT(10) NOT NULL DEFAULT 0,
  `status` VARCHAR(10) COLLATE @COLLATION@ NOT NULL DEFAULT '',
  `members` BIGINT(10) NOT NULL DEFAULT 0,
  `created` BIGINT(10) NOT NULL DEFAULT 0,
  `enrolled` BIGINT(10) NOT NULL DEFAULT 0,
  `unenrolled` BIGINT(10) NOT NULL DEFAULT 0,
  `skipped` BIGINT(10) NOT NULL DEFAULT 0,
  `error` LONGTEXT COLLATE @COLLATION@ DEFAULT NULL,
  PRIMARY KEY (`toolid`)
) ENGINE = InnoDB DEFAULT COLLATE = @COLLATION@ @ROWFORMAT@ COMMENT='Result of the last membership sync per tool'
