-- The consumer keys each tool accepts. The plugin never checked the key: a
-- launch signed with a tool's secret could claim any consumer key, and so
-- reach the LTI users of any consumer (their usernames hash the key). A
-- tool with no row binds the key of its first verified launch; a tool with
-- rows accepts only those keys. keyhash is sha1(consumerkey), for the
-- unique key, because keys may be long.
CREATE TABLE IF NOT EXISTS {local_ltiprovider_consumer} (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `toolid` BIGINT(10) NOT NULL,
  `consumerkey` LONGTEXT COLLATE @COLLATION@ NOT NULL,
  `keyhash` CHAR(40) COLLATE @COLLATION@ NOT NULL,
  `timecreated` BIGINT(10) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `@PREFIX@loclti_cons_tookey_uix` (`toolid`, `keyhash`)
) ENGINE = InnoDB DEFAULT COLLATE = @COLLATION@ @ROWFORMAT@ COMMENT='Consumer keys accepted by each tool'
