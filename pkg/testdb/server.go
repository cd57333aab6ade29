package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/mariadb"
)

// Environment variables the harness reads.
const (
	envDSN    = "LTIPROVIDER_TEST_DSN"    // server to use, e.g. root@tcp(127.0.0.1:3306)/
	envServer = "LTIPROVIDER_TEST_SERVER" // "throwaway" skips the first two choices
	envPrefix = "LTIPROVIDER_TEST_PREFIX" // default table prefix instead of mdl_
	envKeep   = "LTIPROVIDER_TEST_KEEP"   // "1": keep failed tests' databases after the run
)

const localAddr = "127.0.0.1:3306"

// server is the MariaDB/MySQL server this test process uses, with what the
// process keeps about it: templates, the pool of test databases.
type server struct {
	cfg       *mysql.Config      // how to connect, no database selected
	desc      string             // which server, for messages; never holds a password
	mysql8    bool               // MySQL rather than MariaDB
	admin     *sql.DB            // for DDL, resets, checksums: see adminConfig
	throwaway *mariadb.Throwaway // the mariadbd we started, if any

	templates sync.Map // template name → *templateOnce
	pool      pool
	staleOnce sync.Once
}

// discovery lists what discover depends on, so tests can replace it.
type discovery struct {
	getenv    func(string) string
	localAddr string
	lookPath  func(string) (string, error) // finds mariadbd and mariadb-install-db
	tmpDir    string
}

func defaultDiscovery() discovery {
	return discovery{getenv: os.Getenv, localAddr: localAddr, lookPath: mariadb.LookPath, tmpDir: os.TempDir()}
}

var (
	serverOnce sync.Once
	theServer  *server
	serverErr  error
	serverMu   sync.Mutex // guards theServer for Main, which must not start discovery
)

// getServer finds the server once per process; every New shares the answer,
// so with no server each test fails with the same message and quickly.
func getServer() (*server, error) {
	serverOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		s, err := discover(ctx, defaultDiscovery())
		serverMu.Lock()
		theServer, serverErr = s, err
		serverMu.Unlock()
	})
	return theServer, serverErr
}

// discover tries, in order: LTIPROVIDER_TEST_DSN (and nothing else when it is
// set: a developer who names a server wants that one), root on 127.0.0.1:3306,
// then a throwaway mariadbd.
func discover(ctx context.Context, env discovery) (*server, error) {
	var tried []string
	switch mode := env.getenv(envServer); mode {
	case "":
		if dsn := env.getenv(envDSN); dsn != "" {
			cfg, err := mysql.ParseDSN(dsn)
			if err != nil {
				// ParseDSN's errors quote no part of the DSN.
				return nil, dsnError("cannot parse it: " + err.Error())
			}
			desc := envDSN + " (" + redact(cfg) + ")"
			s, err := connect(ctx, cfg, desc)
			if err != nil {
				return nil, dsnError(redact(cfg) + ": " + err.Error())
			}
			return s, nil
		}
		tried = append(tried, envDSN+": not set")
		cfg := mysql.NewConfig()
		cfg.User, cfg.Net, cfg.Addr = "root", "tcp", env.localAddr
		s, err := connect(ctx, cfg, redact(cfg))
		if err == nil {
			return s, nil
		}
		tried = append(tried, redact(cfg)+": "+err.Error())
	case "throwaway":
		tried = append(tried, envServer+"=throwaway: skipped "+envDSN+" and "+env.localAddr)
	default:
		return nil, fmt.Errorf("testdb: %s=%q: want \"throwaway\" or nothing", envServer, mode)
	}
	s, err := startThrowaway(ctx, env)
	if err == nil {
		return s, nil
	}
	tried = append(tried, "a throwaway mariadbd: "+err.Error())
	return nil, noServerError(tried)
}

const howToGetOne = `To get one, do one of:
  - start the local server:   sudo service mariadb start
  - install one:              sudo apt-get install mariadb-server
                              (the tests then use it, or start their own throwaway mariadbd)
  - name a server:            ` + envDSN + `='user:password@tcp(host:3306)/' go test ./...
                              (the user needs CREATE and DROP on databases named ltip_*)`

func noServerError(tried []string) error {
	var b strings.Builder
	b.WriteString("testdb: no MariaDB/MySQL server for the integration tests. Tried, in order:\n")
	for i, t := range tried {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, t)
	}
	b.WriteString(howToGetOne)
	return errors.New(b.String())
}

func dsnError(problem string) error {
	return fmt.Errorf("testdb: %s is set, but its server cannot be used: %s\n"+
		"The tests use only that server when it is set: fix it (user:password@tcp(host:3306)/) "+
		"or unset it to use %s or a throwaway mariadbd.\n%s", envDSN, problem, localAddr, howToGetOne)
}

// redact shows where a config points without its password.
func redact(cfg *mysql.Config) string {
	user := cfg.User
	if cfg.Passwd != "" {
		user += ":***"
	}
	addr := cfg.Addr
	if addr == "" {
		addr = localAddr
	}
	return fmt.Sprintf("%s@%s(%s)/", user, cfg.Net, addr)
}

// connect checks that cfg reaches a server we can use and opens the admin
// pool. The ping must answer within a few seconds: a firewalled address
// should not stall every test run.
func connect(ctx context.Context, cfg *mysql.Config, desc string) (*server, error) {
	cfg = cfg.Clone()
	cfg.DBName = ""
	if cfg.Net == "" {
		cfg.Net = "tcp"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	probe, err := openConfig(cfg)
	if err != nil {
		return nil, err
	}
	defer probe.Close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var version string
	if err := probe.QueryRowContext(pctx, "SELECT VERSION()").Scan(&version); err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, desc: desc, mysql8: !strings.Contains(version, "MariaDB")}
	s.admin, err = openConfig(s.adminConfig(""))
	if err != nil {
		return nil, err
	}
	// Resets of parallel tests each use up to three connections at once;
	// keep them open rather than redo the handshake every time.
	s.admin.SetMaxIdleConns(16)
	if err := s.admin.PingContext(pctx); err != nil {
		s.admin.Close()
		return nil, err
	}
	return s, nil
}

func openConfig(cfg *mysql.Config) (*sql.DB, error) { return mariadb.Open(cfg) }

// startThrowaway starts a mariadbd of this process's own.
func startThrowaway(ctx context.Context, env discovery) (*server, error) {
	tw, err := mariadb.StartThrowaway(ctx, mariadb.ThrowawayOptions{TmpDir: env.tmpDir, LookPath: env.lookPath})
	if err != nil {
		return nil, err
	}
	s, err := connect(ctx, tw.Config(), "a throwaway mariadbd in "+tw.Dir())
	if err != nil {
		tw.Stop()
		return nil, err
	}
	s.throwaway = tw
	return s, nil
}

// userConfig is how the service and the tests connect: like Moodle, in
// utf8mb4_unicode_ci and strict mode.
func (s *server) userConfig(dbName string) *mysql.Config {
	cfg := s.cfg.Clone()
	cfg.DBName = dbName
	_ = cfg.Apply(mysql.Charset("utf8mb4", "utf8mb4_unicode_ci"))
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["sql_mode"] = "'STRICT_ALL_TABLES'"
	return cfg
}

// adminConfig is for the harness's own work: several statements per round
// trip, explicit ids of 0 kept as 0 when copying rows, foreign keys not
// checked while tables are filled in any order, and lock waits bounded so a
// connection a test leaked cannot hang the run.
func (s *server) adminConfig(dbName string) *mysql.Config {
	cfg := s.userConfig(dbName)
	cfg.MultiStatements = true
	cfg.Params["sql_mode"] = "'NO_AUTO_VALUE_ON_ZERO,STRICT_ALL_TABLES'"
	cfg.Params["foreign_key_checks"] = "0"
	cfg.Params["lock_wait_timeout"] = "60"
	cfg.Params["innodb_lock_wait_timeout"] = "60"
	if s.mysql8 {
		// MySQL caches information_schema.TABLES.AUTO_INCREMENT for a day.
		cfg.Params["information_schema_stats_expiry"] = "0"
	}
	return cfg
}
