-- The plugin looked tool users up by (toolid, userid) on every launch and
-- cron run without an index. A plain (non-unique) index: sites that ran the
-- plugin may hold duplicate pairs, and migrations never rewrite their rows.
CREATE INDEX `@PREFIX@loclti_user_tooluse_ix` ON {local_ltiprovider_user} (`toolid`, `userid`)
