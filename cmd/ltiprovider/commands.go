package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
)

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	// run does the work; it returns errUsage for bad arguments.
	run func(ctx context.Context, c *cli) error
	// subcommands are the first arguments run accepts (sync grades, tool
	// add…); each may register flags of its own.
	subcommands []string
	// noFlags marks a command that reads no flags at all.
	noFlags bool
}

// cli is what a command gets: its arguments, output streams and helpers
// to load the configuration and open the database.
type cli struct {
	name   string
	args   []string
	stdout io.Writer
	stderr io.Writer
	flags  *flag.FlagSet
	env    func(string) (string, bool)
	// inspect, when set, receives the command's flag set once every flag
	// is registered, and the command stops there (the configuration
	// reference lists the flags this way).
	inspect func(fs *flag.FlagSet)
}

var errUsage = errors.New("usage")

// exitError carries an exit status other than 1 (doctor uses it).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func commands() []command {
	return []command{
		{name: "serve", summary: "run the HTTP service and the scheduled jobs", run: cmdServe},
		{name: "migrate", summary: "create or upgrade the service's tables and write default settings", run: cmdMigrate},
		{name: "doctor", summary: "check that Moodle and the service are set up to work together", run: cmdDoctor},
		{name: "sync", summary: "run grade passback or membership sync by hand; report and resend grades", run: cmdSync, subcommands: syncJobs},
		{name: "tool", summary: "add, list, show, update, enable, disable, delete or rotate-secret provided tools; manage their consumer keys", run: cmdTool, subcommands: toolActions},
		{name: "settings", summary: "get or set the site settings (config_plugins local_ltiprovider)", run: cmdSettings, subcommands: settingsActions},
		{name: "layout", summary: "install or uninstall the layout script in Moodle's Additional HTML, or show its status", run: cmdLayout, subcommands: layoutActions},
		{name: "config", summary: "print the effective configuration (secrets redacted)", run: cmdConfig},
		{name: "config-reference", summary: "print the configuration reference in Markdown (docs/configuration.md)", run: cmdConfigReference, noFlags: true},
		{name: "demo", summary: "run the service on a throwaway demo Moodle site with a test consumer (make demo)", run: cmdDemo},
		{name: "version", summary: "print the version", run: cmdVersion, noFlags: true},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, cmd := range commands() {
		if cmd.name != args[0] {
			continue
		}
		c := &cli{name: cmd.name, args: args[1:], stdout: stdout, stderr: stderr, env: os.LookupEnv}
		c.flags = flag.NewFlagSet("ltiprovider "+cmd.name, flag.ContinueOnError)
		c.flags.SetOutput(stderr)
		err := cmd.run(ctx, c)
		var exit exitError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.As(err, &exit):
			return exit.code
		}
		fmt.Fprintf(stderr, "ltiprovider %s: %v\n", cmd.name, err)
		return 1
	}
	fmt.Fprintf(stderr, "ltiprovider: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: ltiprovider <command> [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes the configuration flags; `ltiprovider <command> -h` lists them.")
}

// parse registers the configuration flags, parses the arguments and loads
// the configuration. Configuration problems are returned all at once.
func (c *cli) parse(extra func(fs *flag.FlagSet)) (*config.Config, error) {
	config.RegisterFlags(c.flags)
	if extra != nil {
		extra(c.flags)
	}
	if c.inspect != nil {
		c.inspect(c.flags)
		return nil, flag.ErrHelp
	}
	if err := c.flags.Parse(c.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errUsage
	}
	cfg, err := config.Load(config.Input{Flags: c.flags, LookupEnv: c.env})
	if err != nil {
		return cfg, fmt.Errorf("configuration:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	return cfg, nil
}

// parseOwn parses the arguments of a command that takes only its own
// flags, not the configuration's (demo).
func (c *cli) parseOwn(register func(fs *flag.FlagSet)) error {
	register(c.flags)
	if c.inspect != nil {
		c.inspect(c.flags)
		return flag.ErrHelp
	}
	if err := c.flags.Parse(c.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// logger builds the service logger from the configuration.
func (c *cli) logger(cfg *config.Config) (*slog.Logger, error) {
	return logging.New(c.stderr, cfg.LogFormat, cfg.LogLevel)
}

// openDB connects to Moodle's database.
func (c *cli) openDB(ctx context.Context, cfg *config.Config) (*database.DB, error) {
	return database.Open(ctx, cfg.DB)
}

// connect is how every command that works on the site begins: parse the
// flags (extra registers the command's own), build the logger, open
// Moodle's database. The caller closes db.
func (c *cli) connect(ctx context.Context, extra func(fs *flag.FlagSet)) (*config.Config, *slog.Logger, *database.DB, error) {
	cfg, err := c.parse(extra)
	if err != nil {
		return nil, nil, nil, err
	}
	log, err := c.logger(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := c.openDB(ctx, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, log, db, nil
}
