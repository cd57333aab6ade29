package phpconfig

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// arr builds an Array from key/value pairs: arr("a", 1, "b", 2).
func arr(kv ...any) *Array {
	a := NewArray()
	for i := 0; i+1 < len(kv); i += 2 {
		a.Set(kv[i], norm(kv[i+1]))
	}
	return a
}

// list builds an Array with auto-increment keys.
func list(vs ...any) *Array {
	a := NewArray()
	for _, v := range vs {
		a.Append(norm(v))
	}
	return a
}

// norm lets tables use Go ints for PHP ints.
func norm(v any) Value {
	if i, ok := v.(int); ok {
		return int64(i)
	}
	return v
}

// show renders a value unambiguously for failure messages.
func show(v Value) string {
	if a, ok := v.(*Array); ok {
		var parts []string
		for _, e := range a.Entries() {
			parts = append(parts, fmt.Sprintf("%#v => %s", e.Key, show(e.Value)))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprintf("%T(%#v)", v, v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func testdataDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return real
}

type fixtureCase struct {
	file string
	env  map[string]string
	// want lists properties and their exact values; other properties may
	// exist unless count is set.
	want  map[string]any
	count int // expected len(Values), 0 to skip the check
	// unresolved is the exact set of unresolved properties, each with a
	// substring of its reason.
	unresolved map[string]string
	absent     []string // properties that must be in neither map
	warnings   []string // substrings that must each appear in some warning
	noWarnings bool
}

func TestFixtures(t *testing.T) {
	dir := testdataDir(t)
	dockerEnv := oracleFixtures["docker.php"]
	cases := []fixtureCase{
		{
			file: "config-dist-style.php",
			want: map[string]any{
				"dbtype": "pgsql", "dblibrary": "native", "dbhost": "localhost", "dbname": "moodle",
				"dbuser": "username", "dbpass": "password", "prefix": "mdl_",
				"dboptions": arr("dbpersist", false, "dbsocket", false, "dbport", "",
					"dbhandlesoptions", false, "dbcollation", "utf8mb4_unicode_ci"),
				"wwwroot": "http://example.com/moodle", "dataroot": "/home/example/moodledata",
				"routerconfigured": false, "directorypermissions": 1535, "admin": "admin",
			},
			count:      13,
			absent:     []string{"session_handler_class", "debug", "mnetkeylifetime", "scheduled_tasks", "passwordpeppers"},
			noWarnings: true,
		},
		{
			file: "installer.php",
			want: map[string]any{
				"dbtype": "mariadb", "dbhost": "db.internal", "dbuser": "moodleuser",
				"dbpass": `S3cr3t'pass\word`,
				"dboptions": arr("dbpersist", 0, "dbport", "", "dbsocket", "",
					"dbcollation", "utf8mb4_unicode_ci"),
				"wwwroot": "https://moodle.example.org", "dataroot": "/var/moodledata",
				"admin": "admin", "directorypermissions": 0o777, "upgradekey": "upgrade-key-123",
			},
			count:      13,
			noWarnings: true,
		},
		{
			file: "docker.php",
			env:  dockerEnv,
			want: map[string]any{
				"dbtype": "pgsql", "dbhost": "postgres", "dbname": "moodle", "dbuser": "moodle",
				"dbpass": `pa$$word"'\`, "prefix": "mdl_",
				"dboptions": arr("dbpersist", false, "dbsocket", false, "dbport", 5433,
					"dbcollation", "utf8mb4_unicode_ci",
					"readonly", arr("instance", list("replica.local"), "latency", 0.5)),
				"wwwroot": "https://lms.example.com", "dataroot": "/var/www/moodledata",
				"directorypermissions": 0o2770,
				"sslproxy":             true, "reverseproxy": true, "noemailever": false,
				"debug": 0, "debugdisplay": 0,
				"session_redis_port": 0, "session_redis_host": "redis",
				"cachedir":      "/var/www/moodledata/cache",
				"localcachedir": "/var/www/moodledata/localcache",
				"tempdir":       "/var/www/moodledata/temp",
				"smtphosts":     "mail:25",
				"isdocker":      true,
			},
			noWarnings: true,
		},
		{
			file: "docker.php",
			env:  map[string]string{},
			want: map[string]any{
				"dbhost": "localhost", "dbpass": "", "wwwroot": "http://localhost:8080",
				"dboptions": arr("dbpersist", false, "dbsocket", false, "dbport", 0,
					"dbcollation", "utf8mb4_unicode_ci",
					"readonly", arr("instance", list("replica.local"), "latency", 0.5)),
				"sslproxy": false, "reverseproxy": false, "smtphosts": ":25",
			},
		},
		{
			file: "redis-session.php",
			want: map[string]any{
				"session_handler_class":                 `\core\session\redis`,
				"session_redis_host":                    "127.0.0.1",
				"session_redis_port":                    6379,
				"session_redis_database":                0,
				"session_redis_auth":                    "",
				"session_redis_prefix":                  "mdl_",
				"session_redis_acquire_lock_timeout":    120,
				"session_redis_acquire_lock_warn":       0,
				"session_redis_lock_expire":             7200,
				"session_redis_lock_retry":              100,
				"session_redis_serializer_use_igbinary": false,
				"session_redis_compressor":              "none",
				"session_redis_encrypt":                 arr("verify_peer", false, "cafile", "/etc/ssl/redis-ca.pem"),
				"sessioncookie":                         "Prod",
				"sessioncookiepath":                     "/moodle/",
				"sessioncookiedomain":                   ".example.edu",
				"sessiontimeout":                        28800,
				"dboptions":                             arr("dbport", 5432),
			},
			noWarnings: true,
		},
		{
			file: "odd-quoting.php",
			want: map[string]any{
				"dbpass":                     `p@$$w'o"rd\#//;/*x*/?`,
				"dbpass_dq":                  `p@$$w'o"rd\#//;/*x*/?`,
				"dbpass_trailing_backslash":  `ends\`,
				"session_handler_class":      `\core\session\database`,
				"session_handler_class_dq":   `\core\session\database`,
				"session_handler_class_trap": "\\core\\session\file",
				"wwwroot":                    "https://ünïcödé.example/モodle",
				"lang":                       "français",
				"escapes":                    "tab\there|nl\n|hexA|octA|u\U0001F600|e\x1b|v\v|f\f|$notvar|{$x}|\\{français}|\\q\\'",
				"interp":                     "lang=français root=https://ünïcödé.example/モodle/x françaiss",
				"hash_in_string":             "# not a comment",
				"slashes_in_string":          "http://x//y",
				"block_in_string":            "/* not a comment */",
				"semicolons":                 "a;b;c",
				"close_tag_in_string":        "ends with ?> inside a string",
				"dollar_single":              "$CFG->lang stays literal",
				"multiline":                  "line1\r\nline2",
				"heredoc":                    "Line one with français\r\n  indented \"quotes\" \t tab",
				"nowdoc":                     `raw $CFG->lang \t`,
				"empty_single":               "",
				"empty_double":               "",
				"concat":                     "abcd",
				"keys":                       arr("dq key", 1, "sq\tkey", 2),
			},
			count:    23,
			warnings: []string{"line 1: file starts with a UTF-8 byte order mark"},
		},
		{
			file: "control.php",
			env:  map[string]string{"MOODLE_ENV": "staging"},
			want: map[string]any{
				"wwwroot": "http://a.example", "dbhost": "final-host",
				"after": "still read", "usesenv": "default",
			},
			count: 4,
			unresolved: map[string]string{
				"debug":         "line 13: assigned inside the if block at line 11",
				"theme":         "line 17: assigned inside the if block at line 11",
				"extra":         "line 18: assigned inside the if block at line 11",
				"list":          "line 22: assigned inside the foreach block at line 21",
				"behat_wwwroot": "line 26: assigned inside the if block at line 25",
				"never":         "line 30: assigned inside the while block",
				"sethelper":     "line 34: assigned by moodle_local_helper(), called at line 36",
				"tempdir":       "line 39: unsupported function call sys_get_temp_dir()",
				"hostname":      "line 40: unsupported function call strtolower()",
			},
			warnings: []string{
				"line 11: if block (lines 11-19) skipped",
				"$CFG->dbhost, $CFG->debug, $CFG->extra, $CFG->theme",
				"line 25: if block (lines 25-28) skipped",
				"EXTRA_CONST",
				"line 32: function moodle_local_helper() declared",
			},
		},
		{
			file: "overrides.php",
			want: map[string]any{
				"dbhost": "third",
				"dboptions": arr("dbport", 3307,
					"extrainfo", arr("ssl", arr("verify", false)),
					"readonly", arr("instance", list("replica1", "replica2"))),
				"copy": arr("dbport", 1,
					"extrainfo", arr("ssl", arr("verify", false)),
					"readonly", arr("instance", list("replica1", "replica2"))),
				"newarray": arr("a", arr("b", "created")),
				"pushed": arr(0, "zero", 1, "one", 10, "ten", 11, "eleven", 5, "int key 5",
					"05", "string key 05"),
				"keys": arr(1, "bool", "", "null", 2, "float", -3, "neg again", 3, "x", 4, "y",
					5, list(1, 2)),
				"negstart":             arr(-5, "a", -4, "b"),
				"wwwroot":              "http://example.com/moodle",
				"directorypermissions": 1535, "filepermissions": 0o666 & 0o2777, "umaskperm": 0o777 ^ 0o22,
				"shifted":  8,
				"dataroot": "/srv/moodledata",
				"dirroot":  dir, "parent": filepath.Dir(filepath.Dir(dir)),
				"thisfile": filepath.Join(dir, "overrides.php"), "line": 55,
				"sitename": "Example LMS", "a": "chained", "b": "chained",
				"errlevel": 32767 &^ 8192 &^ 2048, "debugdev": 32767, "sep": "/\n",
				"floats":   list(1.0, 1e25, 0.30000000000000004, 3.5, 3, 1.0/3, math.Copysign(0, -1), 1.5e-7, 1e14, 0.5, 1000.5),
				"floatstr": "v0.3", "tern": "default", "short": "short", "full": "no",
				"nulls": nil, "bools": list(true, false, true, true, false),
				"big": int64(math.MaxInt64), "bigger": 9223372036854775808.0,
				"neg": -9223372036854775808.0, "overflow": 9223372036854775808.0,
				"ints":    list(255, 10, 15, 15, 1000000, -16, 2, 1024, -4, -3),
				"casts":   list(12, "1.5", false, 3.14, int64(7766279631452241920), false, list("x"), 42, 1, true, 1000.0, 0, "2.5", false),
				"isset":   list(true, false, true, true),
				"offsets": arr("verify", false),
				"strings": "abc",
				"inblock": "bare blocks run",
			},
			absent:   []string{"gone"},
			warnings: []string{"line 34: implicit conversion from float 2.9 to int loses precision"},
		},
		{
			file: "unsupported.php",
			want: map[string]any{"ok2": "ok2", "after_echo": "yes"},
			unresolved: map[string]string{
				"wwwroot":        "line 4: $_SERVER depends on the PHP runtime",
				"debug":          "line 5: constant DEBUG_DEVELOPER is defined by Moodle's lib/setuplib.php",
				"fromclass":      "line 6: statement not understood (class constants",
				"fromfunc":       "line 7: unsupported function call foo()",
				"method":         "line 8: statement not understood (method calls",
				"obj":            "line 9: objects (new stdClass) are not supported",
				"closure":        "line 10: statement not understood (closures",
				"undefinedconst": "line 11: undefined constant NOT_DEFINED_ANYWHERE",
				"version":        "line 12: constant PHP_VERSION depends on the PHP version",
				"incr":           "line 13: statement not understood (increment",
				"dboptions":      "line 16: unsupported function call mystery()",
				"scalar":         "line 18: cannot use a scalar value (int) as an array",
				"divzero":        "line 19: division by zero",
				"nonnumeric":     `line 20: unsupported operand types: non-numeric string "abc"`,
				"compare":        "line 21: operator == is not supported",
				"dbhost":         "line 23: passed to array_push()",
			},
			absent: []string{"after_return"},
			warnings: []string{
				"line 23: call to array_push() skipped",
				"line 24: statement skipped: echo statement ignored",
				"line 26: return ends the script here",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tc.file)
			f, err := ParseWithOptions(src, path, Options{LookupEnv: envLookup(tc.env)})
			if err != nil {
				t.Fatal(err)
			}
			checkFile(t, f, tc)
		})
	}
}

func checkFile(t *testing.T, f *File, tc fixtureCase) {
	t.Helper()
	for _, name := range sortedKeys(tc.want) {
		want := norm(tc.want[name])
		got, ok := f.Values[name]
		if !ok {
			t.Errorf("$CFG->%s missing (unresolved: %q)", name, f.Unresolved[name])
			continue
		}
		if !identical(got, want) {
			t.Errorf("$CFG->%s = %s, want %s", name, show(got), show(want))
		}
	}
	if tc.count != 0 && len(f.Values) != tc.count {
		t.Errorf("got %d values %v, want %d", len(f.Values), sortedKeys(f.Values), tc.count)
	}
	for _, name := range sortedKeys(f.Unresolved) {
		want, ok := tc.unresolved[name]
		if !ok {
			t.Errorf("unexpected unresolved $CFG->%s: %s", name, f.Unresolved[name])
		} else if !strings.Contains(f.Unresolved[name], want) {
			t.Errorf("$CFG->%s unresolved because %q, want it to mention %q", name, f.Unresolved[name], want)
		}
		if _, both := f.Values[name]; both {
			t.Errorf("$CFG->%s is both resolved and unresolved", name)
		}
	}
	for name := range tc.unresolved {
		if _, ok := f.Unresolved[name]; !ok {
			t.Errorf("$CFG->%s should be unresolved", name)
		}
	}
	for _, name := range tc.absent {
		if v, ok := f.Values[name]; ok {
			t.Errorf("$CFG->%s should not be set, got %s", name, show(v))
		}
		if why, ok := f.Unresolved[name]; ok {
			t.Errorf("$CFG->%s should not be unresolved: %s", name, why)
		}
	}
	for _, w := range tc.warnings {
		found := false
		for _, got := range f.Warnings {
			found = found || strings.Contains(got, w)
		}
		if !found {
			t.Errorf("no warning mentions %q; warnings:\n%s", w, strings.Join(f.Warnings, "\n"))
		}
	}
	if tc.noWarnings && len(f.Warnings) > 0 {
		t.Errorf("unexpected warnings:\n%s", strings.Join(f.Warnings, "\n"))
	}
}

func TestParseFileResolvesDir(t *testing.T) {
	dir := testdataDir(t)
	f, err := ParseFile(filepath.Join("testdata", "installer.php"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != filepath.Join(dir, "installer.php") {
		t.Errorf("Path = %q", f.Path)
	}
	want := Include{Line: 29, Kind: "require_once", Path: filepath.Join(dir, "lib", "setup.php")}
	if len(f.Includes) != 1 || f.Includes[0] != want {
		t.Errorf("Includes = %+v, want [%+v]", f.Includes, want)
	}
	if _, err := ParseFile(filepath.Join("testdata", "does-not-exist.php")); err == nil {
		t.Error("ParseFile of a missing file succeeded")
	}
}

func TestBrokenInput(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"not php", "just some text\n", 1, "no <?php open tag"},
		{"empty", "", 1, "no <?php open tag"},
		{"short tag only", "<? $CFG->a = 1;", 1, "no <?php open tag"},
		{"unterminated single", "<?php\n$CFG->a = 'ok';\n$CFG->dbpass = 'abc;\n$CFG->b = 1;\n", 3, "unterminated single-quoted string"},
		{"unterminated double", "<?php\n\n$CFG->dbpass = \"abc;\n", 3, "unterminated string"},
		{"unterminated comment", "<?php\n$CFG->a = 1;\n/* never closed\n$CFG->b = 2;\n", 3, "unterminated /* comment"},
		{"unterminated heredoc", "<?php\n$CFG->a = <<<EOT\nabc\n", 2, "unterminated heredoc"},
		{"unterminated interpolation", "<?php\n$CFG->a = \"x {$CFG->b\";\n", 2, ""},
		{"unbalanced open", "<?php\n$CFG->dboptions = array(\n  'a' => 1,\n;\n", 2, `"(" is never closed`},
		{"unbalanced close", "<?php\n$CFG->a = 1);\n", 2, `")" with nothing open`},
		{"mismatched", "<?php\n$CFG->a = [1, 2);\n", 2, `"[" opened on line 2 is closed by ")"`},
		{"bad octal", "<?php\n$CFG->directorypermissions = 0789;\n", 2, "invalid numeric literal"},
		{"bad codepoint", "<?php\n$CFG->a = \"\\u{110000}\";\n", 2, "codepoint too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse([]byte(tc.src), "/site/config.php")
			if err == nil {
				t.Fatalf("no error; values %v", f.Values)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is %T, want *SyntaxError", err, err)
			}
			if se.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", se.Line, tc.line, err)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), fmt.Sprintf("line %d", tc.line)) {
				t.Errorf("error %q should mention %q and its line", err, tc.msg)
			}
			if se.Path != "/site/config.php" {
				t.Errorf("error path %q", se.Path)
			}
		})
	}
}
