// Package phpredis is how Moodle's Redis session handler
// (\core\session\redis) stores values: phpredis serialises every hash
// value with PHP's serialize() or, with
// $CFG->session_redis_serializer_use_igbinary, with igbinary; Moodle
// compresses the session data first with $CFG->session_redis_compressor
// (none, gzip or zstd). The service writes sessions in that format
// (pkg/session) and reads them (pkg/moodleauth).
package phpredis
