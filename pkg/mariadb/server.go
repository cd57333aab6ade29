package mariadb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/go-sql-driver/mysql"
)

// LocalAddr is where a server installed from Debian listens by default.
const LocalAddr = "127.0.0.1:3306"

// LocalRoot is root without a password on LocalAddr, the usual developer
// and CI setup.
func LocalRoot() *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "tcp", LocalAddr
	return cfg
}

// Open opens a pool for cfg.
func Open(cfg *mysql.Config) (*sql.DB, error) {
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// Ping connects with cfg (no database selected) and returns the server's
// version. It gives up after a few seconds: a firewalled address should not
// stall a test run or the demo.
func Ping(ctx context.Context, cfg *mysql.Config) (string, error) {
	cfg = cfg.Clone()
	cfg.DBName = ""
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	db, err := Open(cfg)
	if err != nil {
		return "", err
	}
	defer db.Close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var version string
	err = db.QueryRowContext(pctx, "SELECT VERSION()").Scan(&version)
	return version, err
}

// LookPath is exec.LookPath, plus the sbin and libexec folders where
// distributions put mariadbd but that a normal user's PATH lacks.
func LookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/usr/local/mysql/bin", "/usr/local/mysql/scripts"} {
		p := dir + "/" + name
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in $PATH or the sbin folders", name)
}
