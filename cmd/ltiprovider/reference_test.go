package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
)

// docs/configuration.md is exactly what `make docs` writes: the option
// table and every command's own flags.
func TestConfigurationReferenceIsCurrent(t *testing.T) {
	var buf bytes.Buffer
	writeReference(&buf)
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, buf.Bytes()) {
		t.Fatal("docs/configuration.md is out of date: run `make docs`")
	}
}

// Every flag that any command or subcommand accepts, as `-h` shows it to
// an administrator, is documented in docs/configuration.md. This asks the
// commands themselves, not the generator: a flag a command registers in
// any way fails here until the reference lists it.
func TestEveryCommandFlagIsDocumented(t *testing.T) {
	raw, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	flagLine := regexp.MustCompile(`(?m)^  -(\S+)`)
	checked := 0
	for _, cmd := range commands() {
		subs := cmd.subcommands
		if subs == nil {
			subs = []string{""}
		}
		for _, sub := range subs {
			args := []string{cmd.name}
			if sub != "" {
				args = append(args, sub)
			}
			var out, errOut bytes.Buffer
			code := run(context.Background(), append(args, "-h"), &out, &errOut)
			name := strings.Join(args, " ")
			if code != 0 {
				t.Errorf("%s -h: exit %d: %s", name, code, errOut.String())
			}
			if !cmd.noFlags && !strings.Contains(errOut.String(), "Usage of ltiprovider "+cmd.name) {
				t.Errorf("%s -h printed no usage: %q", name, errOut.String())
			}
			for _, m := range flagLine.FindAllStringSubmatch(errOut.String(), -1) {
				checked++
				if !strings.Contains(doc, "`--"+m[1]+"`") {
					t.Errorf("ltiprovider %s has the flag --%s, which docs/configuration.md does not list", name, m[1])
				}
			}
		}
	}
	// Every option flag times the commands that take them, plus the
	// commands' own: a run that found few flags checked nothing.
	if checked < 400 {
		t.Errorf("only %d flags checked", checked)
	}
}

// A subcommand that is not in its command's list is refused before
// anything runs, so the lists the reference is built from are complete.
func TestUnknownSubcommandsRefused(t *testing.T) {
	for _, cmd := range commands() {
		if cmd.subcommands == nil {
			continue
		}
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{cmd.name, "no-such-thing", "--dsn", "x:y@tcp(192.0.2.1:1)/z"}, &out, &errOut); code != 2 {
			t.Errorf("%s no-such-thing: exit %d %s", cmd.name, code, errOut.String())
		}
	}
}
