// Package sql holds the SQL files the service ships: the DDL of the service's
// own tables and the Moodle 4.5 fixture used by tests and the demo. Go code
// imports it as sqlfiles, to keep the name database/sql free.
package sql

import "embed"

// MoodleFixture is a Moodle 4.5.6 database (every table, with the rows of a
// small real site) in mysqldump form with the table prefix mdl_. See
// fixture/generate.go for how it was derived from the reference dump.
//
//go:embed fixture/moodle-4.5.6.sql
var MoodleFixture string

// FixturePrefix is the table prefix used in MoodleFixture.
const FixturePrefix = "mdl_"

// Migrations holds the DDL of the service's own tables, one statement per
// file, named NNNN_what.sql. pkg/migrate decides when each one runs.
//
//go:embed migrations/*.sql
var Migrations embed.FS
