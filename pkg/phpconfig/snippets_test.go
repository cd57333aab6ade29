package phpconfig

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// absent marks a snippet whose $CFG->v must not be set at all.
type absentT struct{}

var absent = absentT{}

// snippet is a few statements run after "$CFG = new stdClass();"; the
// test checks the resulting $CFG->v.
type snippet struct {
	name  string
	src   string
	want  any    // expected $CFG->v (ignored when unres is set)
	unres string // v must be unresolved, for a reason containing this
	warn  string // some warning must contain this
	noPHP bool   // PHP itself stops on this snippet: not compared with PHP
}

var snippets = []snippet{
	// Literals.
	{name: "octal", src: `$CFG->v = 02777;`, want: 1535},
	{name: "octal 0o", src: `$CFG->v = 0o755;`, want: 493},
	{name: "hex binary", src: `$CFG->v = 0x1F | 0b100000;`, want: 63},
	{name: "underscores", src: `$CFG->v = 1_000_000 + 1_0.5_0;`, want: 1000010.5},
	{name: "float exp", src: `$CFG->v = .5e1;`, want: 5.0},
	{name: "int max hex", src: `$CFG->v = 0x7FFFFFFFFFFFFFFF;`, want: int64(math.MaxInt64)},
	{name: "hex overflow", src: `$CFG->v = 0xFFFFFFFFFFFFFFFF;`, want: 18446744073709551615.0},
	{name: "int min", src: `$CFG->v = -PHP_INT_MAX - 1;`, want: int64(math.MinInt64)},
	{name: "negative zero", src: `$CFG->v = -0.0;`, want: math.Copysign(0, -1)},
	{name: "true false null any case", src: `$CFG->v = [TRUE, False, NULL, tRuE];`, want: list(true, false, nil, true)},
	{name: "single quote escapes", src: `$CFG->v = 'a\\b\'c\n\d';`, want: `a\b'c\n\d`},
	{name: "double quote escapes", src: `$CFG->v = "\x41\101\u{e9}\u\xZZ\400\"";`, want: "AA\u00e9\\u\\xZZ\x00\"", warn: "octal escape sequence overflow"},
	{name: "escaped dollar", src: `$CFG->v = "\$CFG->x";`, want: "$CFG->x"},
	{name: "heredoc flexible", src: "$CFG->v = <<<X\n  a\n   b\n  X;", want: "a\n b"},
	{name: "heredoc quoted label", src: "$CFG->w = 'W';\n$CFG->v = <<<\"X\"\n{$CFG->w}\\t\nX;", want: "W\t"},
	{name: "nowdoc", src: "$CFG->v = <<<'X'\n$a \\t {$b}\nX;", want: `$a \t {$b}`},

	// Interpolation.
	{name: "simple property", src: `$CFG->w = 'x'; $CFG->v = "$CFG->w[0]";`, want: "x[0]"},
	{name: "braced array", src: `$CFG->w = ['k' => 'v']; $CFG->v = "{$CFG->w['k']}!";`, want: "v!"},
	{name: "local var forms", src: `$x = 'X'; $a = ['k' => 'K', 3 => 'T']; $CFG->v = "${x} $a[k] $a[3] {$a['k']}";`, want: "X K T K"},
	{name: "undefined in string", src: `$CFG->v = "[$undefinedlocal]";`, want: "[]", warn: "undefined variable $undefinedlocal"},
	{name: "array in string", src: `$CFG->w = [1]; $CFG->v = "a{$CFG->w}";`, want: "aArray", warn: "array to string conversion"},

	// Operators.
	{name: "concat binds looser than plus", src: `$CFG->v = 'a' . 1 + 2;`, want: "a3"},
	{name: "power", src: `$CFG->v = [-2 ** 2, 2 ** -1, 2 ** 62, 2 ** 63, (-1) ** 3];`, want: list(-4, 0.5, int64(1)<<62, 9223372036854775808.0, -1)},
	{name: "modulo", src: `$CFG->v = [10 % 3, -10 % 3, 10 % -3, 7.9 % 2];`, want: list(1, -1, 1, 1), warn: "implicit conversion from float 7.9"},
	{name: "division", src: `$CFG->v = [6 / 3, 7 / 2, PHP_INT_MIN / -1];`, want: list(2, 3.5, 9223372036854775808.0)},
	{name: "overflow to float", src: `$CFG->v = [PHP_INT_MAX + 1, PHP_INT_MIN - 1, PHP_INT_MAX * 2];`, want: list(9223372036854775808.0, -9223372036854775808.0, 18446744073709551614.0)},
	{name: "numeric strings", src: `$CFG->v = ['5' + '5', '1.5' + 1, ' 2 ' * 3, '1e3' + 0];`, want: list(10, 2.5, 6, 1000.0)},
	{name: "leading numeric", src: `$CFG->v = '5 apples' + 1;`, want: 6, warn: `a non-numeric value "5 apples"`},
	{name: "bitwise", src: `$CFG->v = [6 & 3, 6 | 3, 6 ^ 3, ~5, 1 << 3, -16 >> 2, 1 << 64];`, want: list(2, 7, 5, -6, 8, -4, 0)},
	{name: "string bitwise", src: `$CFG->v = ['abc' | '  ', 'abc' & 'aa', 'ab' ^ '  '];`, want: list("abc", "a`", "AB")},
	{name: "error levels", src: `$CFG->v = [E_ALL & ~E_NOTICE, E_ALL & ~E_STRICT, E_ERROR | E_WARNING | E_PARSE | E_NOTICE, E_DEPRECATED | E_USER_DEPRECATED];`, want: list(32759, 30719, 15, 24576)},
	{name: "not", src: `$CFG->v = [!0, !'0', !'0.0', ![], !null];`, want: list(true, true, false, true, true)},
	{name: "unary plus", src: `$CFG->v = +'12';`, want: 12},
	{name: "identity", src: `$CFG->v = [1 === 1, 1 === 1.0, 'a' !== 'a', [1] === [1], null === false];`, want: list(true, false, false, true, false)},
	{name: "logic", src: `$CFG->v = [1 && 0, 0 || 'x', true and false];`, want: list(false, true, false)},
	{name: "or binds looser than =", src: `$CFG->v = false or true;`, want: false},
	{name: "array union", src: `$CFG->v = [1, 2] + [5, 6, 7];`, want: list(1, 2, 7)},

	// Ternaries and null coalescing.
	{name: "ternary", src: `$CFG->v = true ? 'a' : 'b';`, want: "a"},
	{name: "short ternary", src: `$CFG->v = 0 ?: '' ?: 'x';`, want: "x"},
	{name: "short ternary short-circuits", src: `$CFG->v = true ?: foo();`, want: true},
	{name: "coalesce", src: `$CFG->v = [null ?? 'x', false ?? 'x', $CFG->nope ?? 'd', $CFG->nope['a']['b'] ?? 'e'];`, want: list("x", false, "d", "e")},
	{name: "coalesce chain", src: `$CFG->v = null ?? null ?? 'z';`, want: "z"},
	{name: "isset empty", src: `$CFG->w = ['a' => null]; $CFG->v = [isset($CFG->w), isset($CFG->w['a']), empty($CFG->w['b']), isset($CFG->x['y']['z'])];`, want: list(true, false, true, false)},
	{name: "silenced", src: `$CFG->v = @$CFG->nope['x'];`, want: nil},
	{name: "undefined property", src: `$CFG->v = $CFG->undefinedprop;`, want: nil, warn: "undefined property $CFG->undefinedprop"},

	// Casts.
	{name: "casts", src: `$CFG->v = [(int) '12abc', (int) '9999999999999999999', (int) 1e19, (float) '1e500', (string) 1e15, (string) -1.5e-10, (bool) '0.0', (array) null, (int) ((0.1 + 0.7) * 10)];`,
		want: list(12, int64(math.MaxInt64), int64(-8446744073709551616), math.Inf(1), "1.0E+15", "-1.5E-10", true, list(), 7)},
	{name: "casts spaced", src: `$CFG->v = ( int )'7';`, want: 7},
	{name: "intval strval", src: `$CFG->v = [intval('42abc'), strval(0.1 + 0.2), boolval('0'), floatval('1.5x')];`, want: list(42, "0.3", false, 1.5)},

	// Arrays.
	{name: "duplicate keys", src: `$CFG->v = ['a' => 1, 'b' => 2, 'a' => 3];`, want: arr("a", 3, "b", 2)},
	{name: "auto keys", src: `$CFG->v = [5 => 'a', 'b', '7' => 'c', 'd'];`, want: arr(5, "a", 6, "b", 7, "c", 8, "d")},
	{name: "key normalisation", src: `$CFG->v = ['08' => 'a', '8' => 'b', '-0' => 'c', '9223372036854775808' => 'd', ' 1' => 'e', false => 'f'];`,
		want: arr("08", "a", 8, "b", "-0", "c", "9223372036854775808", "d", " 1", "e", 0, "f")},
	{name: "trailing commas", src: `$CFG->v = array(1, array(2, ), );`, want: list(1, list(2))},
	{name: "dereference literals", src: `$CFG->v = [[1, 2][1], 'abc'[0], 'abc'[-1]];`, want: list(2, "a", "c")},
	{name: "nested write", src: `$CFG->v = ['x' => ['y' => 1]]; $CFG->v['x']['z'] = 2; $CFG->v['n'][] = 3;`, want: arr("x", arr("y", 1, "z", 2), "n", list(3))},
	{name: "false to array", src: `$CFG->v = false; $CFG->v[] = 1;`, want: list(1), warn: "automatic conversion of false to array is deprecated"},
	{name: "array copy semantics", src: `$x = ['a' => 1]; $y = $x; $y['a'] = 2; $CFG->w = $x; $CFG->w['a'] = 3; $CFG->v = [$x['a'], $y['a'], $CFG->w['a']];`, want: list(1, 2, 3)},
	{name: "unset element", src: `$CFG->v = [1, 2, 3]; unset($CFG->v[1]); $CFG->v[] = 4;`, want: arr(0, 1, 2, 3, 3, 4)},

	// Compound assignment.
	{name: "concat assign", src: `$CFG->v = 'str'; $CFG->v .= 5; $CFG->v .= 1.0;`, want: "str51"},
	{name: "arith assign", src: `$CFG->v = 10; $CFG->v += 5; $CFG->v *= 2; $CFG->v -= 1; $CFG->v /= 2;`, want: 14.5},
	{name: "coalesce assign unset", src: `$CFG->v ??= 'set';`, want: "set"},
	{name: "coalesce assign set", src: `$CFG->v = 0; $CFG->v ??= 'set';`, want: 0},
	{name: "bit assign", src: `$CFG->v = 1; $CFG->v |= 6; $CFG->v &= 5; $CFG->v <<= 2;`, want: 20},
	{name: "concat assign undefined", src: `$CFG->v .= 'x';`, want: "x", warn: "undefined $CFG->v"},
	{name: "element concat assign", src: `$CFG->v = ['a' => 'x']; $CFG->v['a'] .= 'y';`, want: arr("a", "xy")},
	{name: "chained", src: `$CFG->v = $CFG->w = 'c';`, want: "c"},

	// Constants and functions.
	{name: "define array constant", src: `define('A', [1, 2]); $CFG->v = A[1];`, want: 2},
	{name: "redefine keeps first", src: `define('B', 'x'); define('B', 'y'); $CFG->v = B;`, want: "x", warn: "constant B already defined"},
	{name: "define guard", src: `defined('C') || define('C', 'first'); defined('C') || define('C', 'second'); $CFG->v = C;`, want: "first"},
	{name: "const statement", src: `const D = 'd', E2 = D . 'e'; $CFG->v = E2;`, want: "de"},
	{name: "constant()", src: `$CFG->v = constant('E_ALL');`, want: 32767},
	{name: "dirname", src: `$CFG->v = [dirname('/a/b/c/', 2), dirname('file.php'), dirname(''), dirname('/'), dirname('/a'), dirname('a/b', 5)];`, want: list("/a", ".", "", "/", "/", ".")},
	{name: "getenv unset", src: `$CFG->v = getenv('PHPCONFIG_TEST_NOT_SET');`, want: false},
	{name: "putenv", src: `putenv('PHPCONFIG_TEST_FOO=bar'); $CFG->v = getenv('PHPCONFIG_TEST_FOO');`, want: "bar"},
	{name: "magic line", src: "\n\n$CFG->v = __LINE__;", want: 5},
	{name: "magic dir", src: `$CFG->v = [__DIR__ . '/x', __FILE__, dirname(__DIR__), __dir__];`, want: list("/site/moodle/x", "/site/moodle/config.php", "/site", "/site/moodle")},
	{name: "namespaced stdClass", src: `$CFG->w = 1; $CFG = new \stdClass; $CFG->v = isset($CFG->w);`, want: false},
	{name: "dynamic names", src: `$CFG->{'v'} = 'dyn'; $n = 'w'; $CFG->$n = 'dyn2'; $CFG->v .= $CFG->w;`, want: "dyndyn2"},
	{name: "ignored calls", src: `@error_reporting(E_ALL); @ini_set('display_errors', '1'); ini_set('memory_limit', '1G'); date_default_timezone_set('UTC'); $CFG->v = 1;`, want: 1},

	// Statements.
	{name: "close tag ends statement", src: "$CFG->v = 'x' ?>\ntrailing text", want: "x", warn: "text outside <?php ?>"},
	{name: "comment ends at close tag", src: "$CFG->v = 1; // comment ?> text <?php $CFG->v = 2;", want: 2},
	{name: "hash comment", src: "$CFG->v = 1; # $CFG->v = 2;", want: 1},
	{name: "unset property", src: `$CFG->v = 1; unset($CFG->v);`, want: absent},
	{name: "unset CFG", src: `$CFG->v = 'kept'; unset($CFG); $CFG = new stdClass(); $CFG->w = 1;`, want: absent},
	{name: "bare block", src: `{ $CFG->v = 'b'; }`, want: "b"},
	{name: "function declared later", src: "helper();\nfunction helper() { global $CFG; $CFG->v = 'h'; }", unres: "assigned by helper(), called at line 3"},

	// Not evaluated.
	{name: "if block", src: `if (true) { $CFG->v = 1; }`, unres: "assigned inside the if block at line 3"},
	{name: "if else without braces", src: "$CFG->v = 'a';\nif (false) $CFG->w = 'b'; else $CFG->v = 'c';", unres: "line 4: assigned inside the if block"},
	{name: "alternative syntax", src: "if (true):\n  if (false):\n  endif;\n  $CFG->v = 1;\nendif;\n$CFG->w = 2;", unres: "line 6: assigned inside the if block at line 3"},
	{name: "switch", src: "switch (1) { case 1: $CFG->v = 1; break; }", unres: "switch block"},
	{name: "try", src: "try { $CFG->v = 1; } catch (Exception $e) { } finally { }", unres: "try block"},
	{name: "unknown function", src: `$CFG->v = str_repeat('x', 2);`, unres: "line 3: unsupported function call str_repeat()"},
	{name: "unknown function unused branch", src: `$CFG->v = 'a' . foo();`, unres: "unsupported function call foo()", noPHP: true},
	{name: "object cast", src: `$CFG->v = (object) ['a' => 1];`, unres: "(object) casts are not supported"},
	{name: "comparison", src: `$CFG->v = 1 < 2;`, unres: "operator < is not supported"},
	{name: "superglobal", src: `$CFG->v = $_SERVER['HTTP_HOST'] ?? 'x';`, unres: "$_SERVER depends on the PHP runtime"},
	{name: "Moodle constant", src: `$CFG->v = DEBUG_DEVELOPER;`, unres: "DEBUG_DEVELOPER", noPHP: true},
	{name: "own Moodle constant", src: `define('DEBUG_DEVELOPER', E_ALL); $CFG->v = DEBUG_DEVELOPER;`, want: 32767},
	{name: "full push", src: `$CFG->v = [PHP_INT_MAX => 'a']; $CFG->v[] = 'b';`, unres: "next element is already occupied", noPHP: true},
	{name: "string offset write", src: `$CFG->v = 'x'; $CFG->v['a'] = 1;`, unres: "string offsets", noPHP: true},
	{name: "unresolved spreads", src: `$CFG->w = foo(); $CFG->v = $CFG->w . 'x';`, unres: "uses $CFG->w, which is unresolved (line 3: unsupported function call foo())", noPHP: true},
	{name: "unresolved then reassigned", src: `$CFG->v = foo(); $CFG->v = 'fixed';`, want: "fixed", noPHP: true},
	{name: "unresolved then element", src: `$CFG->v = foo(); $CFG->v['a'] = 1;`, unres: "line 3: unsupported function call foo()", noPHP: true},
	{name: "syntax not understood", src: `$CFG->v = "a" "b";`, unres: "statement not understood", noPHP: true},
	{name: "return stops", src: "$CFG->v = 1;\nreturn;\n$CFG->v = 2;", want: 1, warn: "line 4: return ends the script"},
}

func snippetSource(s snippet) string {
	return "<?php\n$CFG = new stdClass();\n" + s.src + "\n"
}

func TestSnippets(t *testing.T) {
	for _, sn := range snippets {
		t.Run(sn.name, func(t *testing.T) {
			f, err := ParseWithOptions([]byte(snippetSource(sn)), "/site/moodle/config.php", Options{LookupEnv: envLookup(nil)})
			if err != nil {
				t.Fatal(err)
			}
			tc := fixtureCase{}
			switch {
			case sn.unres != "":
				tc.unresolved = map[string]string{"v": sn.unres}
				if why, ok := f.Unresolved["v"]; !ok || !strings.Contains(why, sn.unres) {
					t.Errorf("$CFG->v unresolved = %q (%v), want it to mention %q; value %s", why, ok, sn.unres, show(f.Values["v"]))
				}
			case sn.want == absent:
				tc.absent = []string{"v"}
			default:
				tc.want = map[string]any{"v": sn.want}
			}
			if sn.warn != "" {
				tc.warnings = []string{sn.warn}
			}
			if sn.unres == "" {
				checkFile(t, f, tc)
			}
		})
	}
}

func TestSnippetsAgainstPHP(t *testing.T) {
	php := requirePHP(t)
	for _, sn := range snippets {
		if sn.noPHP {
			continue
		}
		t.Run(sn.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.php")
			if err := os.WriteFile(path, []byte(snippetSource(sn)), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := ParseWithOptions([]byte(snippetSource(sn)), realFilePath(path), Options{LookupEnv: envLookup(nil)})
			if err != nil {
				t.Fatal(err)
			}
			comparePHP(t, f, runPHPDump(t, php, path, nil))
		})
	}
}

// Doubling an array 64 times must stay cheap: arrays are shared, not
// copied, until written to (PHP does the same).
func TestSharedArraysStayCheap(t *testing.T) {
	src := "<?php\n$CFG->v = [1];\n" + strings.Repeat("$CFG->v = [$CFG->v, $CFG->v];\n", 64) + "$CFG->v[0][0][0] = 'changed';\n"
	f, err := Parse([]byte(src), "/site/config.php")
	if err != nil {
		t.Fatal(err)
	}
	v := f.Values["v"].(*Array)
	changed, _ := v.Get(0)
	for i := 0; i < 2; i++ {
		changed, _ = changed.(*Array).Get(0)
	}
	if changed != "changed" {
		t.Errorf("v[0][0][0] = %s", show(changed))
	}
	other, _ := v.Get(1)
	for i := 0; i < 2; i++ {
		other, _ = other.(*Array).Get(0)
	}
	if _, isArr := other.(*Array); !isArr {
		t.Errorf("writing v[0][0][0] changed the shared v[1][0][0] to %s", show(other))
	}
}

func TestNoPathLeavesDirUnresolved(t *testing.T) {
	f, err := Parse([]byte("<?php\n$CFG->dirroot = __DIR__;\n$CFG->ok = 1;\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if why := f.Unresolved["dirroot"]; !strings.Contains(why, "line 2: __DIR__ is unknown") {
		t.Errorf("dirroot unresolved because %q", why)
	}
	if f.Values["ok"] != int64(1) {
		t.Errorf("ok = %v", f.Values["ok"])
	}
}
