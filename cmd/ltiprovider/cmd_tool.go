package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/accesslib"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/manage"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

const toolUsage = `Usage: ltiprovider tool <action> [flags] [arguments]

  add --course <id|idnumber> [--activity <cm idnumber>] [name=value …]
  list [--course <id|idnumber>]
  show <tool id>
  update <tool id> name=value …
  enable <tool id>
  disable <tool id>
  delete <tool id>
  rotate-secret <tool id>
  keys <tool id>                  list the consumer keys the tool accepts
  bind-key <tool id> <key>        accept launches signed with this consumer key
  unbind-key <tool id> <key>      stop accepting this consumer key

A tool accepts only its bound consumer keys; a tool with none binds the key
of its next verified launch.

Settings (name=value), as on the edit page:
`

// toolActions are what `ltiprovider tool` does.
var toolActions = []string{"add", "list", "show", "update", "enable", "disable", "delete", "rotate-secret", "keys", "bind-key", "unbind-key"}

// cmdTool manages provided tools, with the edit page's rules.
func cmdTool(ctx context.Context, c *cli) error {
	if len(c.args) == 0 || c.args[0] == "-h" || c.args[0] == "--help" || c.args[0] == "help" {
		toolHelp(c.stdout)
		return nil
	}
	action := c.args[0]
	if !slices.Contains(toolActions, action) {
		fmt.Fprintf(c.stderr, "tool: unknown action %q\n\n", action)
		toolHelp(c.stderr)
		return errUsage
	}
	c.args = c.args[1:]
	var course, activity string
	cfg, _, db, err := c.connect(ctx, func(fs *flag.FlagSet) {
		if action == "add" || action == "list" {
			fs.StringVar(&course, "course", "", "course id or idnumber")
		}
		if action == "add" {
			fs.StringVar(&activity, "activity", "", "idnumber of the course module to provide (default: the whole course)")
		}
	})
	if err != nil {
		return err
	}
	defer db.Close()
	t := &toolCLI{c: c, cfg: cfg, db: db, now: time.Now()}
	args := c.flags.Args()
	switch action {
	case "add":
		if course == "" {
			fmt.Fprintln(c.stderr, "tool add: --course is required")
			return errUsage
		}
		return t.add(ctx, course, activity, args)
	case "list":
		return t.list(ctx, course)
	case "show", "update", "enable", "disable", "delete", "rotate-secret", "keys", "bind-key", "unbind-key":
		if len(args) == 0 {
			fmt.Fprintf(c.stderr, "tool %s: give the tool id\n", action)
			return errUsage
		}
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			fmt.Fprintf(c.stderr, "tool %s: %q is not a tool id\n", action, args[0])
			return errUsage
		}
		if action == "bind-key" || action == "unbind-key" {
			if len(args) != 2 {
				fmt.Fprintf(c.stderr, "tool %s: give the tool id and one consumer key\n", action)
				return errUsage
			}
			return t.keyAction(ctx, action, id, args[1])
		}
		return t.one(ctx, action, id, args[1:])
	}
	fmt.Fprintf(c.stderr, "tool: unknown action %q\n\n", action)
	toolHelp(c.stderr)
	return errUsage
}

func toolHelp(w io.Writer) {
	fmt.Fprint(w, toolUsage)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range manage.Fields {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, f.Label, f.Help)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nEvery action also takes the configuration flags; each prints the tool's launch URL and secret.")
}

type toolCLI struct {
	c   *cli
	cfg *config.Config
	db  *database.DB
	now time.Time
}

// values reads name=value arguments.
func values(args []string) (map[string]string, error) {
	v := map[string]string{}
	for _, a := range args {
		name, value, ok := strings.Cut(a, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("%q is not name=value", a)
		}
		v[strings.TrimPrefix(name, "--")] = value
	}
	return v, nil
}

func (t *toolCLI) site(ctx context.Context, q database.Querier) (*moodle.Site, error) {
	return moodle.LoadSite(ctx, q, t.cfg)
}

func (t *toolCLI) add(ctx context.Context, courseRef, activity string, args []string) error {
	vals, err := values(args)
	if err != nil {
		return err
	}
	var saved *store.Tool
	err = t.db.WithTx(ctx, func(tx *database.Tx) error {
		site, err := t.site(ctx, tx)
		if err != nil {
			return err
		}
		course, err := manage.CourseByIDOrIDNumber(ctx, tx, courseRef)
		if err != nil {
			return err
		}
		ch, err := manage.LoadChoices(ctx, accesslib.Checker{Q: tx, Site: site}, manage.Actor{Operator: true}, course)
		if err != nil {
			return err
		}
		tool, err := manage.NewTool(ctx, tx, site, ch, nil, t.now)
		if err != nil {
			return err
		}
		if activity != "" {
			cms, err := moodle.CourseModulesByIDNumber(ctx, tx, course.ID, activity)
			if err != nil {
				return err
			}
			if len(cms) != 1 {
				return fmt.Errorf("course %s has %d activities with idnumber %q", course.Shortname, len(cms), activity)
			}
			cctx, err := moodle.ContextOf(ctx, tx, moodle.ContextModule, cms[0].ID)
			if err != nil {
				return err
			}
			tool.ContextID = cctx.ID
		}
		if err := t.check(ctx, tx, tool, nil, vals, ch); err != nil {
			return err
		}
		saved = tool
		return manage.Save(ctx, tx, tool, t.now)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(t.c.stdout, "added tool %d\n", saved.ID)
	return t.print(ctx, saved)
}

// check applies name=value settings and validates the result like the
// edit page.
func (t *toolCLI) check(ctx context.Context, q database.Querier, tool, prev *store.Tool, vals map[string]string, ch *manage.Choices) error {
	site, err := t.site(ctx, q)
	if err != nil {
		return err
	}
	errs := manage.Apply(tool, vals, manage.SiteLocation(site))
	ss, err := settings.Load(ctx, q)
	if err != nil {
		return err
	}
	for k, v := range manage.Validate(tool, prev, ch, ss) {
		if _, ok := errs[k]; !ok {
			errs[k] = v
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid settings: %w", errs)
	}
	return nil
}

func (t *toolCLI) list(ctx context.Context, courseRef string) error {
	var tools []store.Tool
	var err error
	if courseRef != "" {
		course, err := manage.CourseByIDOrIDNumber(ctx, t.db, courseRef)
		if err != nil {
			return err
		}
		tools, err = store.ToolsByCourse(ctx, t.db, course.ID)
		if err != nil {
			return err
		}
	} else if tools, err = store.ListTools(ctx, t.db); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(t.c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCOURSE\tPROVIDES\tSTATUS\tLAUNCH URL\tSECRET")
	for _, tool := range tools {
		status := "enabled"
		if tool.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\n", tool.ID, tool.CourseID, t.provides(ctx, &tool), status,
			manage.LaunchURL(t.cfg.Moodle.WWWRoot, tool.ID), tool.Secret)
	}
	return tw.Flush()
}

// provides names what a tool provides: "course SHORTNAME" or the activity.
func (t *toolCLI) provides(ctx context.Context, tool *store.Tool) string {
	cx, err := moodle.GetContext(ctx, t.db, tool.ContextID)
	if err != nil {
		return fmt.Sprintf("missing context %d", tool.ContextID)
	}
	if cx.Level == moodle.ContextModule {
		acts, err := manage.Activities(ctx, t.db, tool.CourseID)
		if err == nil {
			for _, a := range acts {
				if a.ContextID == cx.ID {
					return fmt.Sprintf("%s %q (cm %d)", a.ModName, a.Name, a.CMID)
				}
			}
		}
		return fmt.Sprintf("activity cm %d", cx.InstanceID)
	}
	if co, err := moodle.GetCourse(ctx, t.db, tool.CourseID); err == nil {
		return "course " + co.Shortname
	}
	return "course"
}

func (t *toolCLI) one(ctx context.Context, action string, id int64, args []string) error {
	switch action {
	case "show":
		tool, err := store.GetTool(ctx, t.db, id)
		if err != nil {
			return notFound(err, id)
		}
		return t.print(ctx, tool)
	case "update":
		vals, err := values(args)
		if err != nil {
			return err
		}
		if len(vals) == 0 {
			return errors.New("tool update: give settings as name=value")
		}
		var saved *store.Tool
		err = t.db.WithTx(ctx, func(tx *database.Tx) error {
			prev, err := store.GetTool(ctx, tx, id)
			if err != nil {
				return notFound(err, id)
			}
			site, err := t.site(ctx, tx)
			if err != nil {
				return err
			}
			course, err := moodle.GetCourse(ctx, tx, prev.CourseID)
			if err != nil {
				return err
			}
			ch, err := manage.LoadChoices(ctx, accesslib.Checker{Q: tx, Site: site}, manage.Actor{Operator: true}, course)
			if err != nil {
				return err
			}
			tool := *prev
			if err := t.check(ctx, tx, &tool, prev, vals, ch); err != nil {
				return err
			}
			saved = &tool
			return manage.Save(ctx, tx, &tool, t.now)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(t.c.stdout, "updated tool %d\n", id)
		return t.print(ctx, saved)
	case "enable", "disable":
		err := t.db.WithTx(ctx, func(tx *database.Tx) error { return manage.SetDisabled(ctx, tx, id, action == "disable", t.now) })
		if err != nil {
			return notFound(err, id)
		}
		fmt.Fprintf(t.c.stdout, "%sd tool %d\n", action, id)
	case "rotate-secret":
		err := t.db.WithTx(ctx, func(tx *database.Tx) error {
			_, err := manage.RotateSecret(ctx, tx, id, t.now)
			return err
		})
		if err != nil {
			return notFound(err, id)
		}
		fmt.Fprintf(t.c.stdout, "new secret for tool %d; give it to the consumers\n", id)
	case "keys":
		if _, err := store.GetTool(ctx, t.db, id); err != nil {
			return notFound(err, id)
		}
		return t.printKeys(ctx, id)
	case "delete":
		tool, err := store.GetTool(ctx, t.db, id)
		if err != nil {
			return notFound(err, id)
		}
		if err := t.print(ctx, tool); err != nil {
			return err
		}
		if err := t.db.WithTx(ctx, func(tx *database.Tx) error { return store.DeleteTool(ctx, tx, id) }); err != nil {
			return err
		}
		fmt.Fprintf(t.c.stdout, "deleted tool %d and its LTI user records\n", id)
		return nil
	}
	tool, err := store.GetTool(ctx, t.db, id)
	if err != nil {
		return notFound(err, id)
	}
	return t.print(ctx, tool)
}

func notFound(err error, id int64) error {
	if errors.Is(err, database.ErrNotFound) {
		return fmt.Errorf("no tool %d", id)
	}
	return err
}

// print shows a tool: its launch URL and secret first, then every setting.
func (t *toolCLI) print(ctx context.Context, tool *store.Tool) error {
	site, err := t.site(ctx, t.db)
	if err != nil {
		return err
	}
	loc := manage.SiteLocation(site)
	tw := tabwriter.NewWriter(t.c.stdout, 0, 4, 2, ' ', 0)
	status := "enabled"
	if tool.Disabled {
		status = "disabled"
	}
	fmt.Fprintf(tw, "id\t%d\n", tool.ID)
	fmt.Fprintf(tw, "launch url\t%s\n", manage.LaunchURL(t.cfg.Moodle.WWWRoot, tool.ID))
	fmt.Fprintf(tw, "secret\t%s\n", tool.Secret)
	fmt.Fprintf(tw, "status\t%s\n", status)
	fmt.Fprintf(tw, "course\t%d\n", tool.CourseID)
	fmt.Fprintf(tw, "provides\t%s\n", t.provides(ctx, tool))
	for _, f := range manage.Fields {
		if f.Name == "secret" || f.Name == "customcss" {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\n", f.Name, manage.Value(tool, f.Name, loc))
	}
	if tool.CustomCSS != "" {
		fmt.Fprintf(tw, "customcss\t%d characters\n", len(tool.CustomCSS))
	}
	keys, err := store.ConsumerKeysOfTool(ctx, t.db, tool.ID)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		fmt.Fprintf(tw, "consumer keys\tnone (the next verified launch binds its key)\n")
	}
	for _, k := range keys {
		fmt.Fprintf(tw, "consumer key\t%s\n", printable(k.Key))
	}
	return tw.Flush()
}

// keyAction binds or unbinds one consumer key, then lists the tool's keys.
func (t *toolCLI) keyAction(ctx context.Context, action string, id int64, key string) error {
	var changed bool
	err := t.db.WithTx(ctx, func(tx *database.Tx) error {
		var err error
		if action == "bind-key" {
			changed, err = manage.BindKey(ctx, tx, id, key, t.now, true) // the operator may share a key between tools
		} else {
			// The key as given: launches compare keys exactly.
			changed, err = manage.UnbindKey(ctx, tx, id, key)
		}
		return err
	})
	if err != nil {
		return notFound(err, id)
	}
	switch {
	case action == "bind-key" && changed:
		fmt.Fprintf(t.c.stdout, "tool %d now accepts consumer key %q\n", id, strings.TrimSpace(key))
	case action == "bind-key":
		fmt.Fprintf(t.c.stdout, "tool %d already accepts consumer key %q\n", id, strings.TrimSpace(key))
	case changed:
		fmt.Fprintf(t.c.stdout, "tool %d no longer accepts consumer key %q\n", id, key)
	default:
		if err := t.printKeys(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("consumer key %q is not bound to tool %d (keys are compared exactly)", key, id)
	}
	return t.printKeys(ctx, id)
}

// printKeys lists a tool's consumer keys, oldest first.
func (t *toolCLI) printKeys(ctx context.Context, id int64) error {
	keys, err := store.ConsumerKeysOfTool(ctx, t.db, id)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		fmt.Fprintf(t.c.stdout, "tool %d has no consumer key: the next verified launch binds its key\n", id)
		return nil
	}
	tw := tabwriter.NewWriter(t.c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONSUMER KEY\tBOUND")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\n", printable(k.Key), time.Unix(k.TimeCreated, 0).UTC().Format("2006-01-02 15:04 UTC"))
	}
	return tw.Flush()
}

// printable shows a consumer key as it is, or quoted with escapes when it
// holds characters a terminal would interpret (a key bound by a launch is
// whatever the consumer sent).
func printable(key string) string {
	for _, r := range key {
		if !unicode.IsPrint(r) {
			return strconv.Quote(key)
		}
	}
	return key
}
