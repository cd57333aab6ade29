// Package phpconfig reads Moodle's config.php without running PHP.
//
// It owns one job: turn the subset of PHP that Moodle configuration files
// are written in (assignments to $CFG properties, arrays, string and number
// literals, define(), getenv(), __DIR__, dirname() and a few operators) into
// Go values, with PHP 8's own semantics for literals, array keys and type
// conversions. Anything it cannot evaluate faithfully is reported, never
// guessed: a property whose value is uncertain is listed in
// File.Unresolved, and statements that were skipped are listed in
// File.Warnings, both with line numbers.
//
// The config loader (pkg/config) is its user: it calls ParseFile on the
// Moodle site's config.php and picks the database, wwwroot, dataroot and
// session settings out of File.Values, converting them with ToString,
// ToBool and ToInt the way PHP would.
//
// The reader never executes anything: require/include are recorded in
// File.Includes but not followed, control structures (if, foreach, …) are
// skipped, and only a handful of functions are evaluated (dirname, getenv,
// define, defined, constant, putenv into the reader's own copy of the
// environment, intval and the like); any other call makes what depends on
// it unresolved.
// The platform is assumed to be Unix-like (DIRECTORY_SEPARATOR is "/").
package phpconfig
