-- OAuth nonces seen in signed requests, so each is accepted once (the
-- plugin kept none). The key is sha1(consumer key, NUL, nonce): consumer
-- keys and nonces may be long, and the primary key makes two concurrent
-- uses of one nonce fail atomically.
CREATE TABLE IF NOT EXISTS {local_ltiprovider_nonce} (
  `noncehash` CHAR(40) COLLATE @COLLATION@ NOT NULL,
  `expires` BIGINT(10) NOT NULL,
  PRIMARY KEY (`noncehash`),
  KEY `@PREFIX@loclti_nonc_exp_ix` (`expires`)
) ENGINE = InnoDB DEFAULT COLLATE = @COLLATION@ @ROWFORMAT@ COMMENT='OAuth nonces of accepted LTI requests, kept until they expire'
