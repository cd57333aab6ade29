-- The LTI context of each user's latest launch: which tool, and the layout
-- the launch asked for (the plugin kept this in $SESSION->ltiprovider).
-- The layout stylesheet and script read it for the browser's Moodle user.
CREATE TABLE IF NOT EXISTS {local_ltiprovider_launch} (
  `userid` BIGINT(10) NOT NULL,
  `toolid` BIGINT(10) NOT NULL,
  `layout` LONGTEXT COLLATE @COLLATION@ NOT NULL,
  `returnurl` LONGTEXT COLLATE @COLLATION@ NOT NULL,
  `timecreated` BIGINT(10) NOT NULL,
  PRIMARY KEY (`userid`),
  KEY `@PREFIX@loclti_laun_too_ix` (`toolid`)
) ENGINE = InnoDB DEFAULT COLLATE = @COLLATION@ @ROWFORMAT@ COMMENT='Tool and layout of each user''s latest LTI launch'
