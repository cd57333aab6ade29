package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/demo"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/migrate"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// cmdDemo runs the service on a throwaway copy of the embedded Moodle
// fixture, with a demo tool, and removes everything on Ctrl-C.
func cmdDemo(ctx context.Context, c *cli) error {
	listen := c.flags.String("listen", "127.0.0.1:8090", "address to serve on")
	c.flags.SetOutput(c.stderr)
	if err := c.flags.Parse(c.args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return errUsage
	}
	fmt.Fprintln(c.stdout, "Setting up a demo Moodle site from the embedded Moodle 4.5.6 fixture…")
	site, err := demo.Start(ctx, c.stdout)
	if err != nil {
		return err
	}
	defer func() {
		site.Close()
		fmt.Fprintln(c.stdout, "Demo database and data folder removed.")
	}()
	wwwroot := "http://" + *listen
	env := map[string]string{
		"LTIPROVIDER_DSN":            site.DSN,
		"LTIPROVIDER_DB_PREFIX":      site.Prefix,
		"LTIPROVIDER_WWWROOT":        wwwroot,
		"LTIPROVIDER_DATAROOT":       site.DataRoot,
		"LTIPROVIDER_LISTEN":         *listen,
		"LTIPROVIDER_ALLOW_NETWORKS": "127.0.0.0/8,::1/128",
	}
	cfg, err := config.Load(config.Input{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		return err
	}
	log, err := c.logger(cfg)
	if err != nil {
		return err
	}
	db, err := database.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := (&migrate.Migrator{DB: db, Collation: cfg.DB.Collation}).Run(ctx); err != nil {
		return err
	}
	tool, err := demoTool(ctx, db)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintf(c.stdout, `
Demo site ready (database %s on %s).
  Launch URL:  %s/local/ltiprovider/tool.php?id=%d   (course PROV1)
  Secret:      %s
  Health:      %s/local/ltiprovider/healthz
Press Ctrl-C to stop and remove the demo site.

`, site.DBName, site.Server, wwwroot, tool.ID, tool.Secret, wwwroot)
	srv, stop := newServer(cfg, log, db)
	err = serveUntilDone(ctx, srv, ln, 10*time.Second, log)
	stop(10 * time.Second)
	return err
}

// demoTool provides the fixture's course PROV1 with the plugin's defaults.
func demoTool(ctx context.Context, db *database.DB) (*store.Tool, error) {
	courses, err := moodle.CoursesByIDNumber(ctx, db, "PROV1")
	if err != nil || len(courses) != 1 {
		return nil, fmt.Errorf("demo: course PROV1 not found: %v", err)
	}
	cctx, err := moodle.ContextOf(ctx, db, moodle.ContextCourse, courses[0].ID)
	if err != nil {
		return nil, err
	}
	teacher, err := moodle.RoleIDByShortname(ctx, db, "editingteacher")
	if err != nil {
		return nil, err
	}
	student, err := moodle.RoleIDByShortname(ctx, db, "student")
	if err != nil {
		return nil, err
	}
	tool := store.NewTool(courses[0].ID, cctx.ID, teacher, student, time.Now().Unix())
	return tool, store.InsertTool(ctx, db, tool)
}
