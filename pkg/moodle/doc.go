// Package moodle is typed access to the Moodle tables the service reads and
// writes, done the way Moodle's own PHP does it: the same rows, defaults,
// contexts, cache flags and log-store events (see docs/moodle-tables.md).
//
// Every function takes a database.Querier, so the caller decides what one
// transaction covers. The package knows Moodle, not LTI: it never parses a
// launch or speaks HTTP. It never changes the definition of a Moodle table.
package moodle
