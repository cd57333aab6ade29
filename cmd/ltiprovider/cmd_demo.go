package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/demo"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/gradesync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/jobs"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/migrate"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodleauth"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// demoOptions are the demo's flags. The demo takes no configuration flags
// and ignores the environment: its configuration is that of its own
// throwaway site.
type demoOptions struct {
	listen    string
	throwaway bool
}

func (o *demoOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8090", "address of the demo site (port 0 picks a free port)")
	fs.BoolVar(&o.throwaway, "throwaway-mariadb", false, "start a throwaway mariadbd even when a MariaDB answers as root on 127.0.0.1:3306")
}

// cmdDemo runs the service, with its scheduled jobs, on a throwaway copy of
// the embedded Moodle fixture with a demo tool and the demo's consumer
// pages, and removes everything on Ctrl-C.
func cmdDemo(ctx context.Context, c *cli) error {
	var o demoOptions
	if err := c.parseOwn(o.register); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "Setting up a demo Moodle site from the embedded Moodle 4.5.6 fixture…")
	site, err := demo.Start(ctx, c.stdout, demo.Options{Throwaway: o.throwaway})
	if err != nil {
		return err
	}
	defer func() {
		site.Close()
		fmt.Fprintln(c.stdout, "Demo database and data folder removed.")
	}()
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	wwwroot := "http://" + browserAddr(ln.Addr())
	cfg, err := demoConfig(site, wwwroot, ln.Addr().String())
	if err != nil {
		ln.Close()
		return err
	}
	log, err := c.logger(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	db, err := database.Open(ctx, cfg.DB)
	if err != nil {
		ln.Close()
		return err
	}
	defer db.Close()
	tool, svc, err := demoSetup(ctx, cfg, log, db)
	if err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(c.stdout, `
Demo site ready (database %s on %s).
  Consumer page:  %s%s   sign and send launches, see what they wrote, send grades back
  Launch URL:     %s/local/ltiprovider/tool.php?id=%d   (course PROV1)
  Secret:         %s
  Health:         %s/local/ltiprovider/healthz
  Data folder:    %s
  Other commands on this site: ltiprovider <command> --dsn '%s' --db-prefix %s --wwwroot %s --dataroot %s
Press Ctrl-C to stop and remove the demo site.

`, site.DBName, site.Server, wwwroot, demo.ConsumerPath, wwwroot, tool.ID, tool.Secret, wwwroot, site.DataRoot,
		site.DSN, site.Prefix, wwwroot, site.DataRoot)
	return runService(ctx, cfg, log, db, nil, svc, ln)
}

// demoConfig is the service's configuration for the demo site; nothing of
// the environment is read.
func demoConfig(site *demo.Site, wwwroot, listen string) (*config.Config, error) {
	env := map[string]string{
		"LTIPROVIDER_DSN":              site.DSN,
		"LTIPROVIDER_DB_PREFIX":        site.Prefix,
		"LTIPROVIDER_WWWROOT":          wwwroot,
		"LTIPROVIDER_DATAROOT":         site.DataRoot,
		"LTIPROVIDER_LISTEN":           listen,
		"LTIPROVIDER_SHUTDOWN_TIMEOUT": "10s",
		// The demo's consumer is on this machine: let grade passback reach it.
		"LTIPROVIDER_ALLOW_NETWORKS": "127.0.0.0/8,::1/128",
	}
	return config.Load(config.Input{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
}

// browserAddr is the address a browser on this machine uses for ln: an
// unspecified host (0.0.0.0, ::) becomes 127.0.0.1.
func browserAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// demoSetup migrates the demo database, provides course PROV1 and builds
// serve's server with the demo's pages around it; stop ends the server's
// background work, as newServer's.
func demoSetup(ctx context.Context, cfg *config.Config, log *slog.Logger, db *database.DB) (*store.Tool, *service, error) {
	if _, err := (&migrate.Migrator{DB: db, Collation: cfg.DB.Collation}).Run(ctx); err != nil {
		return nil, nil, err
	}
	tool, err := demo.CourseTool(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	svc, err := demoServer(ctx, cfg, log, db)
	return tool, svc, err
}

// demoServer is the server serve builds, inside the demo's handler: the
// service's routes stay as they are; the consumer pages, its outcome
// service and the stand-in Moodle pages are added around them. Only the
// demo builds this; serve has no way to.
func demoServer(ctx context.Context, cfg *config.Config, log *slog.Logger, db *database.DB) (*service, error) {
	svc := newServer(cfg, log, db, nil)
	auth, err := moodleauth.New(ctx, cfg, db, &moodle.SiteCache{DB: db, Forced: cfg, TTL: 30 * time.Second})
	if err != nil {
		svc.Stop(cfg.ShutdownTimeout)
		return nil, err
	}
	grades := gradeJob(cfg, log, db)
	svc.Handler = &demo.Handler{
		DB: db, WWWRoot: cfg.Moodle.WWWRoot, Service: svc.Handler, Auth: auth, Log: log,
		SessionDir: sessionDir(cfg), Proxies: web.Proxies(cfg.TrustedProxies),
		SendGrades: func(ctx context.Context, userID int64) (string, error) {
			return sendGradesNow(ctx, db, grades, userID)
		},
	}
	return svc, nil
}

// sendGradesNow runs the grade job for one user under the job's lock, as
// the administration pages' forced resend does.
func sendGradesNow(ctx context.Context, db *database.DB, job *gradesync.Job, userID int64) (string, error) {
	rctx, cancel := context.WithTimeout(ctx, resendBudget)
	defer cancel()
	res, err := jobs.RunLocked(rctx, db, "grades", 5*time.Second, func(ctx context.Context) (jobs.Result, error) {
		return job.Run(ctx, gradesync.Options{UserIDs: []int64{userID}})
	})
	if errors.Is(err, jobs.ErrBusy) {
		return "a scheduled grade run is in progress; it delivers this grade", nil
	}
	if err != nil {
		return "", err
	}
	return res.(gradesync.Result).Summary(), nil
}

// sessionDir is where the file strategy keeps Moodle's sessions.
func sessionDir(cfg *config.Config) string {
	if cfg.Session.FileSavePath != "" {
		return cfg.Session.FileSavePath
	}
	if cfg.Moodle.DataRoot == "" {
		return ""
	}
	return filepath.Join(cfg.Moodle.DataRoot, "sessions")
}
