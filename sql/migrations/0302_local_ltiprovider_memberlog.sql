-- Every enrolment and unenrolment membership sync made, so an administrator
-- can see who was removed from a course, when, and by which tool.
CREATE TABLE IF NOT EXISTS {local_ltiprovider_memberlog} (
  `id` BIGINT(10) NOT NULL AUTO_INCREMENT,
  `toolid` BIGINT(10) NOT NULL,
  `courseid` BIGINT(10) NOT NULL,
  `userid` BIGINT(10) NOT NULL,
  `action` VARCHAR(10) COLLATE @COLLATION@ NOT NULL,
  `detail` LONGTEXT COLLATE @COLLATION@ DEFAULT NULL,
  `timecreated` BIGINT(10) NOT NULL,
  PRIMARY KEY (`id`),
  KEY `@PREFIX@loclti_memb_tootim_ix` (`toolid`, `timecreated`),
  KEY `@PREFIX@loclti_memb_tim_ix` (`timecreated`)
) ENGINE = InnoDB DEFAULT COLLATE = @COLLATION@ @ROWFORMAT@ COMMENT='Enrolments and unenrolments made by membership sync'
