package phpconfig

import (
	"os"
	"sort"
	"strconv"
	"strings"
)

// File is what a config.php sets.
type File struct {
	Path string
	// Values holds the $CFG properties in effect at the end of the file;
	// "$CFG->dbhost" is stored as "dbhost".
	Values map[string]Value
	// Unresolved maps a property to why its value is not known, e.g.
	// "line 42: unsupported function call foo()". Such a property is never
	// in Values.
	Unresolved map[string]string
	// Warnings lists statements skipped and PHP warnings, with line
	// numbers, in line order.
	Warnings []string
	// Constants holds the constants the file define()s.
	Constants map[string]Value
	// Includes lists require/include statements, which are not followed.
	Includes []Include
}

// Options adjusts how a file is read.
type Options struct {
	// LookupEnv answers getenv(); nil means the process environment
	// (os.LookupEnv).
	LookupEnv func(string) (string, bool)
}

// ParseFile reads and parses the config file at path. __FILE__ and
// __DIR__ are derived from its absolute path with symlinks resolved, as
// PHP derives them.
func ParseFile(path string) (*File, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseWithOptions(src, realFilePath(path), Options{})
}

// Parse parses config source. path is used verbatim for __FILE__ (and
// __DIR__ is its directory), so it should be absolute; with an empty
// path, values that use them are unresolved.
func Parse(src []byte, path string) (*File, error) {
	return ParseWithOptions(src, path, Options{})
}

// ParseWithOptions is Parse with Options.
func ParseWithOptions(src []byte, path string, opts Options) (*File, error) {
	toks, lexWarnings, err := lex(string(src))
	if err == nil {
		err = checkBrackets(toks)
	}
	if err != nil {
		if se, ok := err.(*SyntaxError); ok {
			se.Path = path
		}
		return nil, err
	}
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	s := newState(path, lookup)
	r := &runner{p: &parser{toks: toks}, s: s}
	r.run()
	warnings := append(lexWarnings, s.warnings...)
	sort.SliceStable(warnings, func(i, j int) bool { return warningLine(warnings[i]) < warningLine(warnings[j]) })
	return &File{
		Path:       path,
		Values:     s.cfg,
		Unresolved: s.cfgUnres,
		Warnings:   warnings,
		Constants:  s.consts,
		Includes:   s.includes,
	}, nil
}

// warningLine extracts N from a "line N: …" message.
func warningLine(w string) int {
	rest, ok := strings.CutPrefix(w, "line ")
	if !ok {
		return 0
	}
	end := strings.IndexByte(rest, ':')
	if end < 0 {
		return 0
	}
	n, _ := strconv.Atoi(rest[:end])
	return n
}
