package phpconfig

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The tests in this file compare the reader with PHP itself, the only
// authority on what PHP does. They run when a php binary is on PATH and
// say so in the log when it is not.

// phpDumper prints every $CFG property as lines of
// "path<TAB>type<TAB>value[<TAB>(string)<TAB>(bool)<TAB>(int)]", with
// strings hex-encoded and floats as their IEEE-754 bits, so that the
// comparison is exact.
const phpDumper = `<?php
function ltip_emit($path, $v) {
    if (is_array($v)) {
        echo $path, "\tarray\t", count($v), "\n";
        foreach ($v as $k => $x) {
            ltip_emit($path . '/' . (is_int($k) ? 'i:' . $k : 's:' . bin2hex($k)), $x);
        }
        return;
    }
    if (is_null($v)) { $t = 'null'; $h = ''; }
    elseif (is_bool($v)) { $t = 'bool'; $h = $v ? '1' : '0'; }
    elseif (is_int($v)) { $t = 'int'; $h = (string) $v; }
    elseif (is_float($v)) { $t = 'float'; $h = bin2hex(pack('E', $v)); }
    elseif (is_string($v)) { $t = 'string'; $h = bin2hex($v); }
    else { echo $path, "\t", gettype($v), "\n"; return; }
    echo $path, "\t", $t, "\t", $h, "\t", bin2hex((string) $v), "\t", $v ? '1' : '0', "\t", (int) $v, "\n";
}
ob_start();
require $argv[1];
ob_end_clean();
foreach (get_object_vars($CFG) as $ltip_k => $ltip_v) {
    ltip_emit('s:' . bin2hex($ltip_k), $ltip_v);
}
`

// goDump renders v in phpDumper's format.
func goDump(path string, v Value, out *[]string) {
	if a, ok := v.(*Array); ok {
		*out = append(*out, fmt.Sprintf("%s\tarray\t%d", path, a.Len()))
		for _, e := range a.Entries() {
			k := ""
			switch kk := e.Key.(type) {
			case int64:
				k = fmt.Sprintf("i:%d", kk)
			case string:
				k = fmt.Sprintf("s:%x", kk)
			}
			goDump(path+"/"+k, e.Value, out)
		}
		return
	}
	var t, h string
	switch x := v.(type) {
	case nil:
		t = "null"
	case bool:
		t, h = "bool", "0"
		if x {
			h = "1"
		}
	case int64:
		t, h = "int", fmt.Sprint(x)
	case float64:
		t, h = "float", fmt.Sprintf("%016x", math.Float64bits(x))
	case string:
		t, h = "string", fmt.Sprintf("%x", x)
	}
	b := "0"
	if ToBool(v) {
		b = "1"
	}
	n, _ := ToInt(v)
	*out = append(*out, fmt.Sprintf("%s\t%s\t%s\t%x\t%s\t%d", path, t, h, ToString(v), b, n))
}

// requirePHP returns the php binary, or skips the test saying why.
func requirePHP(t *testing.T) string {
	t.Helper()
	php, err := exec.LookPath("php")
	if err != nil {
		t.Log("php is not on PATH, so the comparison with PHP itself did not run (install php-cli to run it)")
		t.Skip("php missing: " + err.Error())
	}
	return php
}

// runPHPDump runs config through PHP with env as its whole environment
// (plus PATH) and returns the dump lines grouped by top-level property.
func runPHPDump(t *testing.T, php, config string, env map[string]string) map[string][]string {
	t.Helper()
	dumper := filepath.Join(t.TempDir(), "dump.php")
	if err := os.WriteFile(dumper, []byte(phpDumper), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(php, "-n", "-d", "display_errors=stderr", "-d", "error_reporting=E_ALL", dumper, config)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if stderr.Len() > 0 {
		t.Logf("php said:\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("php failed on %s: %v", config, err)
	}
	return groupByProperty(strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"))
}

func groupByProperty(lines []string) map[string][]string {
	m := map[string][]string{}
	for _, l := range lines {
		if l == "" {
			continue
		}
		path, _, _ := strings.Cut(l, "\t")
		top, _, _ := strings.Cut(path, "/")
		m[top] = append(m[top], l)
	}
	return m
}

// stageConfig copies a fixture into a fresh directory with an empty
// lib/setup.php, so that require_once(__DIR__ . '/lib/setup.php') works
// in PHP unchanged.
func stageConfig(t *testing.T, fixture string) string {
	t.Helper()
	src, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lib", "setup.php"), []byte("<?php\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "config.php")
	if err := os.WriteFile(dst, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// oracleFixtures are the testdata files PHP can run, with the environment
// each runs in. unsupported.php is left out: PHP stops on it.
var oracleFixtures = map[string]map[string]string{
	"config-dist-style.php": nil,
	"installer.php":         nil,
	"redis-session.php":     nil,
	"odd-quoting.php":       nil,
	"control.php":           {"MOODLE_ENV": "staging"},
	"overrides.php":         nil,
	"docker.php": {
		"MOODLE_DB_HOST": "postgres", "MOODLE_DB_PORT": "5433", "MOODLE_DB_PASSWORD": `pa$$word"'\`,
		"MOODLE_URL": "https://lms.example.com", "MOODLE_SSLPROXY": "1", "MOODLE_REVERSEPROXY": "true",
		"SMTP_HOST": "mail", "MOODLE_DB_NAME": "",
	},
}

func envLookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// comparePHP checks every property the reader resolved against PHP's
// value, and that the reader resolved or flagged every property PHP set.
func comparePHP(t *testing.T, f *File, php map[string][]string) {
	t.Helper()
	ours := map[string][]string{}
	for name, v := range f.Values {
		var lines []string
		goDump(fmt.Sprintf("s:%x", name), v, &lines)
		ours[fmt.Sprintf("s:%x", name)] = lines
	}
	var props []string
	for p := range php {
		props = append(props, p)
	}
	for p := range ours {
		if _, ok := php[p]; !ok {
			props = append(props, p)
		}
	}
	sort.Strings(props)
	for _, p := range props {
		name := decodeHexName(p)
		if why, ok := f.Unresolved[name]; ok {
			t.Logf("$CFG->%s unresolved (%s); PHP gives %q", name, why, php[p])
			continue
		}
		want, got := strings.Join(php[p], "\n"), strings.Join(ours[p], "\n")
		if want != got {
			t.Errorf("$CFG->%s differs from PHP\n php: %s\n ours: %s", name, want, got)
		}
	}
}

func decodeHexName(p string) string {
	var b []byte
	h := strings.TrimPrefix(p, "s:")
	for i := 0; i+1 < len(h); i += 2 {
		var c byte
		fmt.Sscanf(h[i:i+2], "%02x", &c)
		b = append(b, c)
	}
	return string(b)
}

func TestFixturesAgainstPHP(t *testing.T) {
	php := requirePHP(t)
	for name, env := range oracleFixtures {
		t.Run(name, func(t *testing.T) {
			staged := stageConfig(t, filepath.Join("testdata", name))
			src, err := os.ReadFile(staged)
			if err != nil {
				t.Fatal(err)
			}
			f, err := ParseWithOptions(src, realFilePath(staged), Options{LookupEnv: envLookup(env)})
			if err != nil {
				t.Fatal(err)
			}
			comparePHP(t, f, runPHPDump(t, php, staged, env))
		})
	}
}
