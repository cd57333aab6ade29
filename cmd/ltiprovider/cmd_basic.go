package main

import (
	"context"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/doctor"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/layout"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/migrate"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/picture"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/version"
)

func cmdVersion(ctx context.Context, c *cli) error {
	fmt.Fprintln(c.stdout, version.String())
	return nil
}

// cmdConfig prints the configuration even when it has problems, then lists
// them, so an administrator sees both at once.
func cmdConfig(ctx context.Context, c *cli) error {
	cfg, err := c.parse(nil)
	if cfg == nil {
		return err
	}
	if perr := cfg.Print(c.stdout); perr != nil {
		return perr
	}
	return err
}

func cmdMigrate(ctx context.Context, c *cli) error {
	cfg, _, db, err := c.connect(ctx, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := (&migrate.Migrator{DB: db, Collation: cfg.DB.Collation}).Run(ctx)
	if res != nil {
		for _, s := range res.Applied {
			fmt.Fprintf(c.stdout, "applied %d %s\n", s.Version, s.Name)
		}
		for _, name := range res.Settings {
			fmt.Fprintf(c.stdout, "setting local_ltiprovider/%s written with its default\n", name)
		}
		if err == nil && res.Empty() {
			fmt.Fprintln(c.stdout, "up to date")
		}
	}
	return err
}

func cmdDoctor(ctx context.Context, c *cli) error {
	cfg, err := c.parse(nil)
	if cfg == nil {
		return err
	}
	if err != nil {
		fmt.Fprintf(c.stdout, "FAIL  configuration  %v\n", err)
		return exitError{1}
	}
	env := &doctor.Env{Config: cfg}
	if env.DB, env.DBErr = c.openDB(ctx, cfg); env.DB != nil {
		defer env.DB.Close()
		env.Site, _ = moodle.LoadSite(ctx, env.DB, cfg)
	}
	// The session checks read env.Site; the Manager only needs the config.
	sessions := session.New(cfg, nil, logging.Discard())
	defer sessions.Close()
	checks := append(doctor.Standard(), session.DoctorChecks(sessions)...)
	checks = append(checks, layout.DoctorCheck(), picture.DoctorCheck())
	if failed := doctor.Report(ctx, env, checks, c.stdout); failed > 0 {
		return exitError{1}
	}
	return nil
}

// cmdConfigReference writes docs/configuration.md (make docs).
func cmdConfigReference(ctx context.Context, c *cli) error {
	writeReference(c.stdout)
	return nil
}
