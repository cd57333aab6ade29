package testdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// childEnv marks a run of this test binary as the child of one of these
// tests; the tests named Test*Child run only then.
const childEnv = "LTIPROVIDER_TESTDB_CHILD"

// runChild runs test name in a new process, so it gets its own server
// discovery, and returns its output and exit error.
func runChild(t *testing.T, name string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), append([]string{childEnv + "=" + name}, env...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func onlyAsChild(t *testing.T) {
	if os.Getenv(childEnv) != t.Name() {
		t.Skip("runs only as a child process of another test")
	}
}

func TestThrowawayServer(t *testing.T) {
	out, err := runChild(t, "TestThrowawayServerChild", envServer+"=throwaway", envDSN+"=")
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`throwaway dir=(\S+) pid=(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("child did not report its server:\n%s", out)
	}
	if _, err := os.Stat(m[1]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("folder %s left behind: %v", m[1], err)
	}
	if pid, _ := strconv.Atoi(m[2]); processAlive(pid) {
		t.Errorf("mariadbd %d still running", pid)
	}
}

func TestThrowawayServerChild(t *testing.T) {
	onlyAsChild(t)
	d := New(t)
	tw := d.srv.throwaway
	if tw == nil || d.Config.Net != "unix" {
		t.Fatalf("not on a throwaway server: %s", d.srv.desc)
	}
	if n := d.Count(t, "user", ""); n != 4 {
		t.Errorf("%d users", n)
	}
	touchTables(t, d)
	fmt.Printf("throwaway dir=%s pid=%d\n", tw.Dir(), tw.PID())
}

func TestUnreachableDSN(t *testing.T) {
	out, err := runChild(t, "TestUnreachableDSNChild", envServer+"=", envDSN+"=root:sEcReT@tcp(127.0.0.1:1)/")
	if err == nil {
		t.Fatalf("child passed:\n%s", out)
	}
	for _, want := range []string{
		"LTIPROVIDER_TEST_DSN is set, but its server cannot be used: root:***@tcp(127.0.0.1:1)/:",
		"connection refused",
		"sudo service mariadb start",
		"sudo apt-get install mariadb-server",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "sEcReT") {
		t.Errorf("password in output:\n%s", out)
	}
	if strings.Contains(out, "throwaway mariadbd in") {
		t.Errorf("fell through to another server:\n%s", out)
	}
}

func TestUnreachableDSNChild(t *testing.T) {
	onlyAsChild(t)
	New(t)
	t.Error("New returned")
}

func TestNoServerMessage(t *testing.T) {
	env := discovery{
		getenv:    func(string) string { return "" },
		localAddr: "127.0.0.1:1",
		lookPath:  func(name string) (string, error) { return "", fmt.Errorf("%s not found", name) },
		tmpDir:    t.TempDir(),
	}
	_, err := discover(context.Background(), env)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		"no MariaDB/MySQL server",
		"1. LTIPROVIDER_TEST_DSN: not set",
		"2. root@tcp(127.0.0.1:1)/: dial tcp 127.0.0.1:1",
		"3. a throwaway mariadbd: mariadbd not found",
		"sudo service mariadb start",
		"sudo apt-get install mariadb-server",
		"LTIPROVIDER_TEST_DSN='user:password@tcp(host:3306)/'",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}

	env.getenv = func(k string) string { return map[string]string{envServer: "local"}[k] }
	if _, err := discover(context.Background(), env); err == nil || !strings.Contains(err.Error(), "want \"throwaway\"") {
		t.Errorf("LTIPROVIDER_TEST_SERVER=local: %v", err)
	}
}
