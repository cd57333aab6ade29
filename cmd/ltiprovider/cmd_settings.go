package main

import (
	"context"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
)

// settingsActions are what `ltiprovider settings` does.
var settingsActions = []string{"get", "set"}

// cmdSettings reads and changes the site settings, kept where the plugin
// kept them (config_plugins, plugin local_ltiprovider).
func cmdSettings(ctx context.Context, c *cli) error {
	if len(c.args) == 0 || !slices.Contains(settingsActions, c.args[0]) {
		fmt.Fprintln(c.stderr, "Usage: ltiprovider settings get [name] | settings set <name> <value>")
		for _, d := range settings.Definitions {
			fmt.Fprintf(c.stderr, "  %-30s %s\n", d.Name, d.Help)
		}
		return errUsage
	}
	action := c.args[0]
	c.args = c.args[1:]
	_, _, db, err := c.connect(ctx, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	args := c.flags.Args()
	if action == "set" {
		if len(args) != 2 {
			fmt.Fprintln(c.stderr, "settings set: give a name and a value")
			return errUsage
		}
		if err := settings.Set(ctx, db, args[0], args[1]); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s = %s\n", args[0], args[1])
		return nil
	}
	s, err := settings.Load(ctx, db)
	if err != nil {
		return err
	}
	if len(args) == 1 {
		if _, ok := settings.Lookup(args[0]); !ok {
			return fmt.Errorf("unknown setting %q", args[0])
		}
		fmt.Fprintln(c.stdout, s.Raw[args[0]])
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	for _, d := range settings.Definitions {
		fmt.Fprintf(tw, "%s\t%s\n", d.Name, s.Raw[d.Name])
	}
	return tw.Flush()
}
