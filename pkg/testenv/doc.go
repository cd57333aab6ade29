// Package testenv gives integration tests a migrated Moodle database: the
// fixture of pkg/testdb with the service's schema steps applied and its
// default settings written, as `ltiprovider migrate` leaves a real site.
//
// It exists so that tests of every package start from the same state
// without importing each other; it is imported only by _test files.
package testenv
