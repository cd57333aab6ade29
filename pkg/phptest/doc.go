// Package phptest runs snippets with the real PHP command-line interpreter,
// so tests can check what the service writes against PHP's own
// unserialize() and session decoder. It is imported only by _test files.
//
// Without php on the PATH a test is skipped with a message that says so
// (install it with `apt-get install php-cli`), except under CI (CI set in
// the environment), where a missing php fails the test: CI installs it, so
// a skip there would hide a broken setup.
package phptest
