// Package doctor checks that a Moodle site and the service are set up to
// work together, one check per line, each with a hint when it fails.
//
// `ltiprovider doctor` runs Standard(); other packages contribute checks
// of their own (the session strategy, the layout tag) by appending to the
// list the command builds. Checks only read, except where a check must try a
// write to know it can (it then undoes it).
package doctor
