-- Profile pictures fetched from launches (user_image, custom_user_image):
-- per user, the sha1 of the last picture URL the service fetched (never the
-- URL itself, whose query string may hold a token), what came of it
-- (0 stored, 1 refused for good: not an image, too large, a non-public
-- address…; 2 failed, tried again later) and the files row of the f1 icon
-- it stored. A launch fetches only a URL that differs from this one, so
-- the consumer's picture is downloaded once, not on every launch.
CREATE TABLE IF NOT EXISTS {local_ltiprovider_picture} (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `userid` BIGINT(10) NOT NULL,
  `urlhash` CHAR(40) COLLATE @COLLATION@ NOT NULL,
  `status` TINYINT(2) NOT NULL DEFAULT 0,
  `fileid` BIGINT(10) NOT NULL DEFAULT 0,
  `timemodified` BIGINT(10) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `@PREFIX@loclti_pict_use_uix` (`userid`)
) ENGINE = InnoDB DEFAULT COLLATE = @COLLATION@ @ROWFORMAT@ COMMENT='Last profile picture URL fetched for each LTI user'
