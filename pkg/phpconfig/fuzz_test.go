package phpconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics or hangs and keeps its
// invariants on arbitrary input. The seed corpus is the testdata files
// and the snippets.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.php"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, sn := range snippets {
		f.Add([]byte(snippetSource(sn)))
	}
	f.Add([]byte("<?php $CFG->a = \"{$CFG->b['c']} ${d} $e[1] $f->g\";"))
	f.Add([]byte("<?php\n$CFG->a = <<<EOT\n  x\n EOT;\n?>\ntext<?php $CFG->b = 1;"))
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := ParseWithOptions(src, "/site/config.php", Options{LookupEnv: envLookup(nil)})
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("error %v (%T) is not a *SyntaxError with a line", err, err)
			}
			return
		}
		for name, v := range file.Values {
			if _, both := file.Unresolved[name]; both {
				t.Fatalf("$CFG->%s both resolved and unresolved", name)
			}
			budget := 10000 // shared nested arrays can make the tree huge
			walkValue(v, &budget, func(x Value) {
				ToString(x)
				ToBool(x)
				ToInt(x)
			})
		}
		for _, w := range file.Warnings {
			if !strings.HasPrefix(w, "line ") {
				t.Fatalf("warning without a line number: %q", w)
			}
		}
		for name, why := range file.Unresolved {
			if !strings.HasPrefix(why, "line ") {
				t.Fatalf("unresolved $CFG->%s without a line number: %q", name, why)
			}
		}
	})
}

// walkValue calls f on v and the values nested in it, at most *budget
// times.
func walkValue(v Value, budget *int, f func(Value)) {
	if *budget <= 0 {
		return
	}
	*budget--
	f(v)
	if a, ok := v.(*Array); ok {
		for _, e := range a.Entries() {
			walkValue(e.Value, budget, f)
		}
	}
}
