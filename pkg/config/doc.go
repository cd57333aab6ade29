// Package config is the service's configuration: one option table
// (options.go) drives the command-line flags, the LTIPROVIDER_* environment
// variables (with _FILE for secrets), an optional key = value file and the
// values read from Moodle's config.php, in that order of precedence. Load
// builds a Config and reports where each value came from (`ltiprovider
// config`); Validate reports every problem at once; the reference in
// docs/configuration.md is generated from the same table, and a test fails
// when it is stale.
package config
