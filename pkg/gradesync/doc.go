// Package gradesync is grade passback for LTI 1.1: for each enabled tool
// that sends grades, it works out the grade Moodle itself shows each LTI
// user (the course total or the activity's grade, over the range Moodle
// uses, or completion), compares it as exact text with what the consumer
// last confirmed, and queues what changed in local_ltiprovider_grade; a
// Deliverer then sends the queue with pkg/outcomes, retrying with backoff,
// never twice at once, the newest value winning.
//
// Job.Run is one run (plan, then deliver); pkg/jobs schedules it under a
// database lock and cmd/ltiprovider runs it by hand. The package reads
// Moodle's gradebook through pkg/moodle and the queue through pkg/store; it
// does not speak HTTP itself and writes no Moodle table.
package gradesync
