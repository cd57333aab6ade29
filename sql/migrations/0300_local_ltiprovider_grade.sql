-- The grade passback queue: one row per place a user's grade goes back to
-- (a per-resource-link outcome row, or a plugin-era local_ltiprovider_user
-- row for users who have not launched since). It holds the value Moodle
-- shows now (score), the value the consumer last confirmed (sentscore) and
-- the delivery state, so nothing is lost across restarts and the newest
-- value always wins. Scores are the exact decimal text sent (0 to 1).
CREATE TABLE IF NOT EXISTS {local_ltiprovider_grade} (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `toolid` BIGINT(10) NOT NULL,
  `userid` BIGINT(10) NOT NULL,
  `outcomeid` BIGINT(10) NOT NULL DEFAULT 0,
  `ltiuserid` BIGINT(10) NOT NULL DEFAULT 0,
  `consumerkey` LONGTEXT COLLATE @COLLATION@ NOT NULL,
  `serviceurl` LONGTEXT COLLATE @COLLATION@ NOT NULL,
  `sourcedid` LONGTEXT COLLATE @COLLATION@ NOT NULL,
  `score` VARCHAR(32) COLLATE @COLLATION@ DEFAULT NULL,
  `version` BIGINT(10) NOT NULL DEFAULT 0,
  `state` VARCHAR(10) COLLATE @COLLATION@ NOT NULL DEFAULT 'waiting',
  `hold` VARCHAR(32) COLLATE @COLLATION@ NOT NULL DEFAULT '',
  `resend` TINYINT(1) NOT NULL DEFAULT 0,
  `attempts` BIGINT(10) NOT NULL DEFAULT 0,
  `nextattempt` BIGINT(10) NOT NULL DEFAULT 0,
  `claimedby` VARCHAR(64) COLLATE @COLLATION@ NOT NULL DEFAULT '',
  `claimuntil` BIGINT(10) NOT NULL DEFAULT 0,
  `sentscore` VARCHAR(32) COLLATE @COLLATION@ DEFAULT NULL,
  `senttarget` CHAR(40) COLLATE @COLLATION@ NOT NULL DEFAULT '',
  `timesent` BIGINT(10) NOT NULL DEFAULT 0,
  `lasterror` LONGTEXT COLLATE @COLLATION@ DEFAULT NULL,
  `timeerror` BIGINT(10) NOT NULL DEFAULT 0,
  `timecreated` BIGINT(10) NOT NULL,
  `timemodified` BIGINT(10) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `@PREFIX@loclti_grad_outlti_uix` (`outcomeid`, `ltiuserid`),
  KEY `@PREFIX@loclti_grad_tooluse_ix` (`toolid`, `userid`),
  KEY `@PREFIX@loclti_grad_stanex_ix` (`state`, `nextattempt`)
) ENGINE = InnoDB DEFAULT COLLATE = @COLLATION@ @ROWFORMAT@ COMMENT='Grade passback queue: wanted and delivered value per outcome target'
