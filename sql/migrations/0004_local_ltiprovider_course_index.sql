-- Tools are listed per course and resolved per context on every launch.
CREATE INDEX `@PREFIX@loclti_cou_ix` ON {local_ltiprovider} (`courseid`)
