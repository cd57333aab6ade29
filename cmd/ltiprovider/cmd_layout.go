package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/layout"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// layoutActions are what `ltiprovider layout` does.
var layoutActions = []string{"install", "uninstall", "status"}

// cmdLayout puts the layout script tag in Moodle's "Additional HTML
// within HEAD", takes it out, or says whether it is there.
func cmdLayout(ctx context.Context, c *cli) error {
	if len(c.args) == 0 || !slices.Contains(layoutActions, c.args[0]) {
		fmt.Fprintln(c.stderr, "Usage: ltiprovider layout install | uninstall | status")
		return errUsage
	}
	action := c.args[0]
	c.args = c.args[1:]
	cfg, err := c.parse(nil)
	if err != nil {
		return err
	}
	if cfg.Moodle.WWWRoot == "" {
		return fmt.Errorf("moodle.wwwroot is needed to write the tag")
	}
	db, err := c.openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	env := layout.Env{DB: db, WWWRoot: cfg.Moodle.WWWRoot, Forced: cfg.Forced, DataRoot: cfg.Moodle.DataRoot}
	if dir, ok := cfg.Forced("cachedir"); ok && filepath.IsAbs(dir) {
		env.CacheDir = dir
	}
	var res *layout.Result
	switch action {
	case "status":
		site, err := moodle.LoadSite(ctx, db, cfg)
		if err != nil {
			return err
		}
		value := site.Get(layout.Setting)
		if v, ok := cfg.Forced(layout.Setting); ok {
			value = v
		}
		s := layout.Check(value, cfg.Moodle.WWWRoot)
		switch {
		case s.Installed:
			fmt.Fprintln(c.stdout, "installed:", layout.Tag(cfg.Moodle.WWWRoot))
		case s.Stale:
			fmt.Fprintln(c.stdout, "installed for another URL; run `ltiprovider layout install`")
			return exitError{1}
		default:
			fmt.Fprintln(c.stdout, "not installed")
			return exitError{1}
		}
		return nil
	case "install":
		res, err = layout.Install(ctx, env)
	case "uninstall":
		res, err = layout.Uninstall(ctx, env)
	}
	if err != nil {
		return err
	}
	if !res.Changed {
		fmt.Fprintf(c.stdout, "nothing to do: the tag is already %s\n", map[string]string{"install": "there", "uninstall": "gone"}[action])
		return nil
	}
	fmt.Fprintf(c.stdout, "additionalhtmlhead is now:\n%s\n", res.New)
	if res.Purged > 0 {
		fmt.Fprintf(c.stdout, "removed %d cached copies of Moodle's config (MUC core/config)\n", res.Purged)
	}
	if res.CacheNote != "" {
		fmt.Fprintln(c.stdout, "note:", res.CacheNote)
	}
	return nil
}
