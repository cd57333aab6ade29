package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/demo"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/launch"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/metrics"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/migrate"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// site is the Moodle site under load: a fresh database loaded with the
// fixture, migrated, with one course tool, and the service in front.
type site struct {
	demo    *demo.Site
	db      *database.DB
	cfg     *config.Config
	tool    *store.Tool
	wwwroot string
	env     map[string]string // the service's configuration
	// ceiling is a launch handler of this process on the same database,
	// for the ceiling phases.
	ceiling *launch.Handler
	svc     service
	dbProc  *proc // the database server, when it runs here
	tmp     string
}

// service is the launch endpoint under load: in this process, or the
// ltiprovider binary in a child process.
type service interface {
	// proc is the process that serves launches.
	proc() proc
	// metricsURL is the service's /metrics.
	metricsURL() string
	close() error
}

// setUp builds the site. Progress goes to out.
func setUp(ctx context.Context, o options, out io.Writer) (*site, error) {
	s := &site{}
	var err error
	if s.tmp, err = os.MkdirTemp("", "ltibench-"); err != nil {
		return nil, err
	}
	var server *mysql.Config
	if o.server != "" {
		if server, err = mysql.ParseDSN(o.server); err != nil {
			return s, fmt.Errorf("--mariadb: %w", err)
		}
	}
	fmt.Fprintln(out, "Loading the Moodle 4.5.6 fixture into a new database…")
	s.demo, err = demo.Start(ctx, out, demo.Options{Server: server, Throwaway: o.throwaway, NamePrefix: "ltibench_",
		ServerArgs: durableServer})
	if err != nil {
		return s, err
	}
	// Ports: the service's and its metrics listener's.
	addr, err := freeAddr()
	if err != nil {
		return s, err
	}
	maddr, err := freeAddr()
	if err != nil {
		return s, err
	}
	s.wwwroot = "http://" + addr
	s.env = map[string]string{
		"LTIPROVIDER_DSN":               s.demo.DSN,
		"LTIPROVIDER_DB_PREFIX":         s.demo.Prefix,
		"LTIPROVIDER_WWWROOT":           s.wwwroot,
		"LTIPROVIDER_DATAROOT":          s.demo.DataRoot,
		"LTIPROVIDER_LISTEN":            addr,
		"LTIPROVIDER_METRICS_LISTEN":    maddr,
		"LTIPROVIDER_PPROF":             strconv.FormatBool(o.pprof),
		"LTIPROVIDER_ALLOW_NETWORKS":    "127.0.0.0/8,::1/128",
		"LTIPROVIDER_LOG_LEVEL":         "info",
		"LTIPROVIDER_DB_MAX_OPEN_CONNS": strconv.Itoa(o.maxConns),
		"LTIPROVIDER_SHUTDOWN_TIMEOUT":  "10s",
		// The service's own jobs stay out of the measurements.
		"LTIPROVIDER_SCHEDULE_GRADES":       "off",
		"LTIPROVIDER_SCHEDULE_MEMBERS":      "off",
		"LTIPROVIDER_SCHEDULE_HOUSEKEEPING": "off",
	}
	if o.sessions != "" {
		s.env["LTIPROVIDER_SESSION_STRATEGY"] = o.sessions
	}
	s.cfg, err = config.Load(config.Input{LookupEnv: func(k string) (string, bool) { v, ok := s.env[k]; return v, ok }})
	if err != nil {
		return s, err
	}
	if s.db, err = database.Open(ctx, s.cfg.DB); err != nil {
		return s, err
	}
	if _, err := (&migrate.Migrator{DB: s.db, Collation: s.cfg.DB.Collation}).Run(ctx); err != nil {
		return s, err
	}
	if s.tool, err = demo.CourseTool(ctx, s.db); err != nil {
		return s, err
	}
	if o.dbSessions {
		if _, err := s.db.Exec(ctx, "UPDATE {config} SET value = '1' WHERE name = 'dbsessions'"); err != nil {
			return s, err
		}
	}
	if pid := s.demo.ServerPID(); pid != 0 {
		s.dbProc = &proc{pid: pid, name: "mariadbd"}
	} else if o.server == "" || isLocal(server) {
		var pidFile string
		_ = s.db.X.GetContext(ctx, &pidFile, "SELECT @@pid_file")
		if pid := findServer(pidFile); pid != 0 {
			s.dbProc = &proc{pid: pid, name: "mariadbd"}
		}
	}
	// The ceiling runs the launch code of this process, configured as the
	// service configures it.
	sites := &moodle.SiteCache{DB: s.db, Forced: s.cfg, TTL: 30 * time.Second}
	s.ceiling = launch.New(launch.Config{DB: s.db, WWWRoot: s.wwwroot, TimestampWindow: s.cfg.TimestampWindow,
		Log: slog.New(slog.DiscardHandler), Sessions: session.New(s.cfg, sites, slog.New(slog.DiscardHandler)),
		Sites: sites, Forced: s.cfg, DataRoot: s.cfg.Moodle.DataRoot})
	if o.gomaxprocs > 0 {
		// The service's and this process's: the ceiling's launches run
		// here, and must be scheduled like the service's.
		runtime.GOMAXPROCS(o.gomaxprocs)
	}
	childEnv := map[string]string{}
	for k, v := range s.env {
		childEnv[k] = v
	}
	if o.gomaxprocs > 0 {
		childEnv["GOMAXPROCS"] = strconv.Itoa(o.gomaxprocs)
	}
	if o.binary != "" {
		s.svc, err = startBinary(ctx, o.binary, childEnv, filepath.Join(s.tmp, "service.log"), s.wwwroot)
	} else {
		s.svc, err = startInProcess(s.cfg, s.db, addr, maddr, o.pprof)
	}
	return s, err
}

func (s *site) close(keep bool, out io.Writer) {
	if s.svc != nil {
		if err := s.svc.close(); err != nil {
			fmt.Fprintln(out, "stopping the service:", err)
		}
	}
	if s.db != nil {
		s.db.Close()
	}
	if s.demo != nil {
		if keep {
			fmt.Fprintf(out, "Kept database %s (%s) and data folder %s.\n", s.demo.DBName, s.demo.Server, s.demo.DataRoot)
		} else {
			s.demo.Close()
		}
	}
	if s.tmp != "" && !keep {
		os.RemoveAll(s.tmp)
	}
}

func isLocal(c *mysql.Config) bool {
	if c == nil {
		return true
	}
	if c.Net == "unix" {
		return true
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		host = c.Addr
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// durableServer makes a throwaway mariadbd keep its data the way a
// production server does (the test harness's throwaway servers do not):
// every commit flushed and synced, doublewrite on, a buffer pool that
// holds the fixture and the run's rows.
var durableServer = []string{
	"--innodb-flush-log-at-trx-commit=1",
	"--innodb-doublewrite=1",
	"--innodb-buffer-pool-size=256M",
	"--max-connections=200",
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// inProcess serves launches from this process, built as `ltiprovider
// serve` builds them: the shared middleware, the launch endpoint with the
// session manager, the metrics listener. The service's other pages are
// not mounted; they take no part in a launch.
type inProcess struct {
	srv, msrv *http.Server
	maddr     string
}

func startInProcess(cfg *config.Config, db *database.DB, addr, maddr string, pprof bool) (*inProcess, error) {
	// The service's log lines are written (and their cost paid) but not
	// kept.
	log, err := logging.New(io.Discard, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	m := metrics.New(db.X.DB)
	sites := &moodle.SiteCache{DB: db, Forced: cfg, TTL: 30 * time.Second}
	router := web.NewRouter()
	base := router.PathPrefix(web.BasePath).Subrouter()
	base.Handle("/healthz", web.Health(db, log))
	launch.New(launch.Config{
		DB: db, WWWRoot: cfg.Moodle.WWWRoot, TimestampWindow: cfg.TimestampWindow, Log: log,
		Sessions: session.New(cfg, sites, log), Sites: sites, Forced: cfg,
		DataRoot: cfg.Moodle.DataRoot, Observer: m,
	}).Routes(base)
	p := &inProcess{maddr: maddr,
		srv:  &http.Server{Handler: web.Middleware(log, web.Proxies(cfg.TrustedProxies))(router), ReadHeaderTimeout: 10 * time.Second},
		msrv: m.Server(pprof)}
	for _, l := range []struct {
		srv  *http.Server
		addr string
	}{{p.srv, addr}, {p.msrv, maddr}} {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			p.close()
			return nil, err
		}
		go l.srv.Serve(ln)
	}
	return p, nil
}

func (p *inProcess) proc() proc         { return proc{name: "ltibench (service in process)"} }
func (p *inProcess) metricsURL() string { return "http://" + p.maddr + "/metrics" }
func (p *inProcess) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(p.srv.Shutdown(ctx), p.msrv.Shutdown(ctx))
}

// child is `ltiprovider serve` in a child process.
type child struct {
	cmd    *exec.Cmd
	maddr  string
	exited chan struct{}
	log    string
}

func startBinary(ctx context.Context, binary string, env map[string]string, logFile, wwwroot string) (*child, error) {
	lf, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, "serve")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	c := &child{cmd: cmd, maddr: env["LTIPROVIDER_METRICS_LISTEN"], exited: make(chan struct{}), log: logFile}
	go func() {
		cmd.Wait()
		lf.Close()
		close(c.exited)
	}()
	health := wwwroot + web.BasePath + "/healthz"
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(health)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
		select {
		case <-c.exited:
			return nil, fmt.Errorf("%s serve exited; see %s", binary, logFile)
		case <-ctx.Done():
			c.close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.close()
			return nil, fmt.Errorf("%s serve did not answer %s within 30 s; see %s", binary, health, logFile)
		}
	}
}

func (c *child) proc() proc         { return proc{pid: c.cmd.Process.Pid, name: "ltiprovider serve"} }
func (c *child) metricsURL() string { return "http://" + c.maddr + "/metrics" }

// close stops the service the way an init system does: SIGTERM, then the
// graceful shutdown.
func (c *child) close() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		return nil
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("the service did not stop within 15 s of SIGTERM; see %s", c.log)
	}
}
