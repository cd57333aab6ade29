package testdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// throwaway is a mariadbd this process started in a temporary folder. Its
// data is worthless, so it runs without durability and is killed, not shut
// down, at the end.
type throwaway struct {
	dir    string
	cmd    *exec.Cmd
	exited chan struct{} // closed once mariadbd has exited
}

// Settings for both mariadb-install-db and mariadbd: small redo log and
// buffer pool because every test package may start one.
var throwawayInnoDB = []string{
	"--innodb-log-file-size=16M",
	"--innodb-buffer-pool-size=64M",
}

func startThrowaway(ctx context.Context, env discovery) (*server, error) {
	mariadbd, err := env.lookPath("mariadbd")
	if err != nil {
		return nil, err
	}
	installDB, err := env.lookPath("mariadb-install-db")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(env.tmpDir, "ltip-mariadb-")
	if err != nil {
		return nil, err
	}
	// A unix socket path must fit in 108 bytes; a deep TMPDIR would not.
	if len(dir) > 80 {
		os.RemoveAll(dir)
		if dir, err = os.MkdirTemp("/tmp", "ltip-mariadb-"); err != nil {
			return nil, err
		}
	}
	tw := &throwaway{dir: dir, exited: make(chan struct{})}
	s, err := tw.start(ctx, installDB, mariadbd)
	if err != nil {
		tw.stop()
		return nil, err
	}
	return s, nil
}

func (tw *throwaway) start(ctx context.Context, installDB, mariadbd string) (*server, error) {
	data := filepath.Join(tw.dir, "data")
	sock := filepath.Join(tw.dir, "sock")
	// mariadbd refuses to run as root unless told which user to be.
	var asUser []string
	if os.Geteuid() == 0 {
		u, err := user.Current()
		if err != nil {
			return nil, err
		}
		asUser = []string{"--user=" + u.Username}
	}

	install := exec.CommandContext(ctx, installDB, append(append([]string{
		"--no-defaults",
		"--datadir=" + data,
		"--auth-root-authentication-method=normal", // root without password, also over the socket
		"--skip-test-db",
	}, asUser...), throwawayInnoDB...)...)
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", filepath.Base(installDB), err, lastLines(string(out), 5))
	}

	errLog := filepath.Join(tw.dir, "error.log")
	tw.cmd = exec.Command(mariadbd, append(append([]string{
		"--no-defaults",
		"--datadir=" + data,
		"--socket=" + sock,
		"--pid-file=" + filepath.Join(tw.dir, "mariadbd.pid"),
		"--log-error=" + errLog,
		"--tmpdir=" + tw.dir,
		"--skip-networking",
		"--skip-log-bin",
		"--innodb-flush-log-at-trx-commit=0",
		"--innodb-doublewrite=0",
		// Every test database has ~500 tables: avoid reopening them.
		"--table-definition-cache=4096",
		"--table-open-cache=4096",
	}, asUser...), throwawayInnoDB...)...)
	setDeathSignal(tw.cmd)
	if err := tw.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		tw.cmd.Wait()
		close(tw.exited)
	}()

	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", sock
	deadline := time.Now().Add(60 * time.Second)
	for {
		s, err := connect(ctx, cfg, "a throwaway mariadbd in "+tw.dir)
		if err == nil {
			s.throwaway = tw
			return s, nil
		}
		select {
		case <-tw.exited:
			log, _ := os.ReadFile(errLog)
			return nil, fmt.Errorf("mariadbd exited: %s", lastLines(string(log), 5))
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, errors.New("mariadbd did not accept connections within 60 s; last error: " + err.Error())
		}
	}
}

// stop kills mariadbd and removes its folder. The data is disposable, so a
// clean shutdown would only cost time.
func (tw *throwaway) stop() {
	if tw.cmd != nil && tw.cmd.Process != nil {
		tw.cmd.Process.Kill()
		select {
		case <-tw.exited:
		case <-time.After(10 * time.Second):
		}
	}
	os.RemoveAll(tw.dir)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
