-- The plugin's per-tool user table ("user access log and gradeback data"),
-- exactly as db/install.xml defines it. IF NOT EXISTS keeps existing rows.
CREATE TABLE IF NOT EXISTS {local_ltiprovider_user} (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `userid` BIGINT(10) NOT NULL,
  `toolid` BIGINT(10) NOT NULL,
  `serviceurl` LONGTEXT COLLATE @COLLATION@ DEFAULT NULL,
  `sourceid` LONGTEXT COLLATE @COLLATION@ DEFAULT NULL,
  `consumerkey` LONGTEXT COLLATE @COLLATION@ DEFAULT NULL,
  `consumersecret` LONGTEXT COLLATE @COLLATION@ DEFAULT NULL,
  `lastgrade` BIGINT(10) DEFAULT NULL,
  `lastsync` BIGINT(10) DEFAULT NULL,
  `lastaccess` BIGINT(10) DEFAULT NULL,
  `membershipsurl` LONGTEXT COLLATE @COLLATION@ DEFAULT NULL,
  `membershipsid` LONGTEXT COLLATE @COLLATION@ DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE = InnoDB DEFAULT COLLATE = @COLLATION@ @ROWFORMAT@ COMMENT='User access log and gradeback data'
