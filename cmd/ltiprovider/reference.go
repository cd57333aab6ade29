package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
)

// commandFlag is a flag a command registers besides the configuration's.
type commandFlag struct {
	command  string
	subs     []string // the subcommands that have it; nil for a command without any
	name     string
	usage    string
	defValue string
}

// commandFlags asks every command (and subcommand) for its flag set, the
// way it builds it to parse its arguments, and returns the flags that are
// not configuration options, and the commands that take the options.
func commandFlags() (own []commandFlag, takesOptions []string, ownOnly []string) {
	options := map[string]bool{config.ConfigFileFlag: true}
	for _, o := range config.Options() {
		options[o.Flag] = true
	}
	for _, cmd := range commands() {
		if cmd.noFlags {
			continue
		}
		subs := cmd.subcommands
		if subs == nil {
			subs = []string{""}
		}
		seen := map[string]int{} // flag name+usage → index in own
		withOptions := false
		for _, sub := range subs {
			var fs *flag.FlagSet
			c := &cli{name: cmd.name, stdout: io.Discard, stderr: io.Discard, env: func(string) (string, bool) { return "", false },
				flags: flag.NewFlagSet("ltiprovider "+cmd.name, flag.ContinueOnError), inspect: func(f *flag.FlagSet) { fs = f }}
			if sub != "" {
				c.args = []string{sub}
			}
			c.flags.SetOutput(io.Discard)
			_ = cmd.run(context.Background(), c)
			if fs == nil {
				panic(fmt.Sprintf("ltiprovider %s %s did not build its flags through cli.parse or cli.parseOwn", cmd.name, sub))
			}
			// The options are there when config.RegisterFlags registered
			// them (with --config); a command's own flag may share a name.
			registered := fs.Lookup(config.ConfigFileFlag) != nil
			withOptions = withOptions || registered
			fs.VisitAll(func(f *flag.Flag) {
				if registered && options[f.Name] {
					return
				}
				key := f.Name + "\x00" + f.Usage + "\x00" + f.DefValue
				if i, ok := seen[key]; ok {
					own[i].subs = append(own[i].subs, sub)
					return
				}
				seen[key] = len(own)
				cf := commandFlag{command: cmd.name, name: f.Name, usage: f.Usage, defValue: f.DefValue}
				if sub != "" {
					cf.subs = []string{sub}
				}
				own = append(own, cf)
			})
		}
		if withOptions {
			takesOptions = append(takesOptions, cmd.name)
		} else {
			ownOnly = append(ownOnly, cmd.name)
		}
	}
	return own, takesOptions, ownOnly
}

// writeReference writes docs/configuration.md: the options, then the
// commands' own flags.
func writeReference(w io.Writer) {
	config.WriteReference(w)
	own, takes, ownOnly := commandFlags()
	quote := func(names []string) string {
		q := make([]string, len(names))
		for i, n := range names {
			q[i] = "`" + n + "`"
		}
		return strings.Join(q, ", ")
	}
	fmt.Fprintf(w, "\n## Command flags\n\n")
	fmt.Fprintf(w, "These commands take every option above as a flag, and read the environment, the config file and Moodle's config.php: %s.\n", quote(takes))
	if len(ownOnly) > 0 {
		fmt.Fprintf(w, "These take only their own flags below and ignore the environment: %s.\n", quote(ownOnly))
	}
	var none []string
	for _, c := range commands() {
		if c.noFlags {
			none = append(none, c.name)
		}
	}
	if len(none) > 0 {
		fmt.Fprintf(w, "These take no flags: %s.\n", quote(none))
	}
	fmt.Fprintf(w, "`ltiprovider <command> [subcommand] -h` lists a command's flags.\n\n")
	fmt.Fprintf(w, "| Command | Flag | Default | Meaning |\n|---|---|---|---|\n")
	subsOf := map[string][]string{}
	for _, c := range commands() {
		subsOf[c.name] = c.subcommands
	}
	for _, f := range own {
		where := "`" + f.command + "`"
		if f.subs != nil {
			if slices.Equal(f.subs, subsOf[f.command]) {
				where = "`" + f.command + "` (every subcommand)"
			} else {
				names := make([]string, len(f.subs))
				for i, s := range f.subs {
					names[i] = f.command + " " + s
				}
				where = quote(names)
			}
		}
		def := ""
		if f.defValue != "" && f.defValue != "false" {
			def = "`" + f.defValue + "`"
		}
		fmt.Fprintf(w, "| %s | `--%s` | %s | %s |\n", where, f.name, def, strings.ReplaceAll(f.usage, "|", `\|`))
	}
}
