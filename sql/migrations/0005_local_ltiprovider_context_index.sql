CREATE INDEX `@PREFIX@loclti_con_ix` ON {local_ltiprovider} (`contextid`)
