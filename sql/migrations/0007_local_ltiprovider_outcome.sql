-- Where a user's grade for one resource link goes back: the plugin kept one
-- service URL and sourcedid per tool and user, so the last resource link
-- launched won and an instructor launch erased it. One row per (tool, user,
-- consumer key + resource_link_id); linkhash is sha1(consumerkey NUL
-- resource_link_id) because both may be long.
CREATE TABLE IF NOT EXISTS {local_ltiprovider_outcome} (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `toolid` BIGINT(10) NOT NULL,
  `userid` BIGINT(10) NOT NULL,
  `linkhash` CHAR(40) COLLATE @COLLATION@ NOT NULL,
  `consumerkey` LONGTEXT COLLATE @COLLATION@ NOT NULL,
  `resourcelinkid` LONGTEXT COLLATE @COLLATION@ NOT NULL,
  `serviceurl` LONGTEXT COLLATE @COLLATION@ NOT NULL,
  `sourcedid` LONGTEXT COLLATE @COLLATION@ NOT NULL,
  `timecreated` BIGINT(10) NOT NULL,
  `timemodified` BIGINT(10) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `@PREFIX@loclti_outc_tooluselin_uix` (`toolid`, `userid`, `linkhash`),
  KEY `@PREFIX@loclti_outc_use_ix` (`userid`)
) ENGINE = InnoDB DEFAULT COLLATE = @COLLATION@ @ROWFORMAT@ COMMENT='Outcome service URL and sourcedid per tool, user and resource link'
