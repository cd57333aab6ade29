// Package coursecopy copies Moodle course content by SQL: a whole course
// into a new one (CopyCourse, what the plugin did with a backup and restore
// of a template course) and one activity into a course (CopyModule, Moodle's
// duplicate_module()).
//
// Rows are copied whole, with every column information_schema lists, so a
// site whose tables have extra columns copies correctly; the columns that
// hold ids of copied rows are rewritten from a per-table map of old to new
// ids. What each module type owns is described in specs.go (from its
// db/install.xml and its backup steps); question types in questions.go.
// File records are copied with a new context, item id and pathnamehash but
// the same contenthash: the bytes in Moodle's file pool are shared, never
// copied. Afterwards the course's cacherev is bumped, which invalidates
// Moodle's cached course structure on every node.
//
// The package knows Moodle, not LTI; it takes a database.Querier, so the
// caller runs a copy in one transaction. docs/courses.md describes what is
// copied, what is skipped and why.
package coursecopy
