// Package moodleauth tells who the browser behind a request is in Moodle:
// its MoodleSession cookie gives the session id, Moodle's session record
// gives the user (the sessions row for the file, database and memcached
// handlers; the session hash in Redis for the redis handler), and the
// session counts only while Moodle itself would accept it: not older than
// $CFG->sessiontimeout, not the guest account or a visitor, and not a
// deleted or suspended user. MFAPending adds Moodle's multi-factor
// authentication: while tool_mfa is enabled, a session counts only once its
// data has $SESSION->tool_mfa_authenticated; the administration pages ask.
//
// It only reads: it never refreshes, creates or destroys sessions (that is
// Moodle's, and the launch's, business). The administration pages and the
// layout script use it.
package moodleauth
