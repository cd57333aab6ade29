-- Rows whose lock serialises requests creating the same content: the course
-- of one LTI context, the activity of one resource link. A request upserts
-- its row first thing in its transaction and holds the row lock until it
-- commits, so a concurrent request for the same thing waits and then finds
-- what the first one made. It uses the transaction's own connection (a
-- GET_LOCK would need a second one per request, and could starve the pool)
-- and InnoDB sees any deadlock. name is sha1(kind, key); rows are a few
-- bytes per context or link and are never needed once written.
CREATE TABLE IF NOT EXISTS {local_ltiprovider_lock} (
  `name` CHAR(40) COLLATE @COLLATION@ NOT NULL,
  `timemodified` BIGINT(10) NOT NULL,
  PRIMARY KEY (`name`)
) ENGINE = InnoDB DEFAULT COLLATE = @COLLATION@ @ROWFORMAT@ COMMENT='Serialises the creation of a course per LTI context and of an activity per resource link'
