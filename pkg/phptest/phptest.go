package phptest

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Require returns the path of php, or skips (fails under CI) when there is
// none.
func Require(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("php")
	if err != nil {
		msg := "php is missing: this test checks the output against PHP's own unserialize(); install it with `apt-get install php-cli`"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Log(msg)
		t.Skip("php not installed")
	}
	return path
}

// Run runs code (without the <?php tag) with stdin as its standard input
// and env ("NAME=value") added to the environment, and returns what it
// printed. Any PHP warning or notice fails the test.
func Run(t testing.TB, code string, stdin []byte, env ...string) []byte {
	t.Helper()
	php := Require(t)
	cmd := exec.Command(php, "-d", "display_errors=stderr", "-d", "error_reporting=-1", "-r", code)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || strings.TrimSpace(errb.String()) != "" {
		t.Fatalf("php: %v\n%s\nstdout:\n%s", err, errb.String(), out.String())
	}
	return out.Bytes()
}

// HasExtension reports whether php has an extension loaded (e.g. "redis").
func HasExtension(t testing.TB, name string) bool {
	t.Helper()
	cmd := exec.Command(Require(t), "-r", `echo extension_loaded("`+name+`") ? "yes" : "no";`)
	b, err := cmd.Output()
	return err == nil && string(b) == "yes"
}
