package mariadb

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

// Throwaway is a mariadbd started in a temporary folder, for tests and the
// demo. Its data is worthless, so it runs without durability and is
// killed, not shut down, at the end.
type Throwaway struct {
	dir    string
	sock   string
	cmd    *exec.Cmd
	exited chan struct{} // closed once mariadbd has exited
}

// Settings for both mariadb-install-db and mariadbd: small redo log and
// buffer pool because every test package may start one.
var throwawayInnoDB = []string{
	"--innodb-log-file-size=16M",
	"--innodb-buffer-pool-size=64M",
}

// ThrowawayOptions say where a throwaway server lives.
type ThrowawayOptions struct {
	TmpDir   string                       // parent folder; "" means os.TempDir()
	LookPath func(string) (string, error) // finds the binaries; nil means LookPath
}

// StartThrowaway installs and starts a mariadbd in a new folder and waits
// until it accepts connections.
func StartThrowaway(ctx context.Context, o ThrowawayOptions) (*Throwaway, error) {
	if o.LookPath == nil {
		o.LookPath = LookPath
	}
	mariadbd, err := o.LookPath("mariadbd")
	if err != nil {
		return nil, err
	}
	installDB, err := o.LookPath("mariadb-install-db")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(o.TmpDir, "ltip-mariadb-")
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
	tw := &Throwaway{dir: dir, sock: filepath.Join(dir, "sock"), exited: make(chan struct{})}
	if err := tw.start(ctx, installDB, mariadbd); err != nil {
		tw.Stop()
		return nil, err
	}
	return tw, nil
}

// Config connects as root through the server's socket.
func (tw *Throwaway) Config() *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", tw.sock
	return cfg
}

// Dir is the server's folder.
func (tw *Throwaway) Dir() string { return tw.dir }

// PID is the server's process id.
func (tw *Throwaway) PID() int {
	if tw.cmd == nil || tw.cmd.Process == nil {
		return 0
	}
	return tw.cmd.Process.Pid
}

func (tw *Throwaway) start(ctx context.Context, installDB, mariadbd string) error {
	data := filepath.Join(tw.dir, "data")
	// mariadbd refuses to run as root unless told which user to be.
	var asUser []string
	if os.Geteuid() == 0 {
		u, err := user.Current()
		if err != nil {
			return err
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
		return fmt.Errorf("%s: %v: %s", filepath.Base(installDB), err, lastLines(string(out), 5))
	}

	errLog := filepath.Join(tw.dir, "error.log")
	tw.cmd = exec.Command(mariadbd, append(append([]string{
		"--no-defaults",
		"--datadir=" + data,
		"--socket=" + tw.sock,
		"--pid-file=" + filepath.Join(tw.dir, "mariadbd.pid"),
		"--log-error=" + errLog,
		"--tmpdir=" + tw.dir,
		"--skip-networking",
		"--skip-log-bin",
		"--innodb-flush-log-at-trx-commit=0",
		"--innodb-doublewrite=0",
		// Every Moodle database has ~500 tables: avoid reopening them.
		"--table-definition-cache=4096",
		"--table-open-cache=4096",
	}, asUser...), throwawayInnoDB...)...)
	setDeathSignal(tw.cmd)
	if err := tw.cmd.Start(); err != nil {
		return err
	}
	go func() {
		tw.cmd.Wait()
		close(tw.exited)
	}()

	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := Ping(ctx, tw.Config())
		if err == nil {
			return nil
		}
		select {
		case <-tw.exited:
			log, _ := os.ReadFile(errLog)
			return fmt.Errorf("mariadbd exited: %s", lastLines(string(log), 5))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("mariadbd did not accept connections within 60 s; last error: " + err.Error())
		}
	}
}

// Stop kills mariadbd and removes its folder. The data is disposable, so a
// clean shutdown would only cost time.
func (tw *Throwaway) Stop() {
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
