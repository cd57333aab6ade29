-- Sites coming from the plugin: every consumer key that already launched a
-- tool (it is in that tool's user rows) stays accepted, so existing
-- consumers keep working. Tools that were deleted are skipped. Running it
-- again adds nothing.
INSERT INTO {local_ltiprovider_consumer} (toolid, consumerkey, keyhash, timecreated)
SELECT DISTINCT u.toolid, u.consumerkey, SHA1(u.consumerkey), UNIX_TIMESTAMP()
  FROM {local_ltiprovider_user} u
  JOIN {local_ltiprovider} t ON t.id = u.toolid
 WHERE u.consumerkey IS NOT NULL AND u.consumerkey <> ''
ON DUPLICATE KEY UPDATE {local_ltiprovider_consumer}.keyhash = {local_ltiprovider_consumer}.keyhash
