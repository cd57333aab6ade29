package session_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/doctor"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
)

// report runs the session checks and returns the report.
func (e *env) report(t *testing.T) string {
	t.Helper()
	site, err := moodle.LoadSite(context.Background(), e.db, e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	doctor.Report(context.Background(), &doctor.Env{Config: e.cfg, DB: e.db, Site: site}, session.DoctorChecks(e.mgr), &buf)
	return buf.String()
}

func line(report, check string) string {
	for _, l := range strings.Split(report, "\n") {
		if strings.Contains(l, check+" ") {
			return strings.Join(strings.Fields(l), " ")
		}
	}
	return ""
}

func TestDoctorSaysWhichStrategyAndWhy(t *testing.T) {
	cases := []struct {
		name   string
		adjust func(*config.Config)
		setup  string
		want   map[string]string // check → text its line must contain
	}{
		{"files", nil, "", map[string]string{
			"session strategy": "PASS session strategy file: Moodle keeps sessions in files (Moodle's default",
			"session store":    "PASS session store session files in",
			"session cookie":   "PASS session cookie MoodleSession=<sid>; Path=/; HttpOnly; Secure; SameSite=None",
			"session mfa":      "PASS session mfa tool_mfa is off"}},
		{"dbsessions", nil, "UPDATE {config} SET value = '1' WHERE name = 'dbsessions'", map[string]string{
			"session strategy": "PASS session strategy database: Moodle keeps sessions in the database (the dbsessions setting is on)",
			"session store":    "PASS session store the sessions table is writable"}},
		{"redis", func(c *config.Config) { useRedis(t, c) }, "", map[string]string{
			"session strategy": "PASS session strategy redis: Moodle keeps sessions in Redis",
			"session store":    "reachable and writable"}},
		{"memcached without https", func(c *config.Config) {
			c.Session.HandlerClass = `\core\session\memcached`
			c.Moodle.WWWRoot = "http://moodle.example"
		}, "", map[string]string{
			"session strategy": "PASS session strategy autologin: Moodle keeps sessions in memcached",
			"session store":    "FAIL session store autologin will refuse every launch: Moodle's autologin needs an https wwwroot",
			"session cookie":   "FAIL session cookie MoodleSession=<sid>; Path=/; HttpOnly (not Secure"}},
		{"forced database on a files site", func(c *config.Config) { c.Session.Strategy = "database" }, "", map[string]string{
			"session strategy": "FAIL session strategy session.strategy is database, but Moodle reads sessions with \\core\\session\\file"}},
		{"missing folder", func(c *config.Config) { c.Moodle.DataRoot = filepath.Join(os.TempDir(), "no-such-dataroot") }, "", map[string]string{
			"session store": "FAIL session store cannot write session files in"}},
		{"mfa on", nil, "UPDATE {config_plugins} SET value = '1' WHERE plugin = 'tool_mfa' AND name = 'enabled'", map[string]string{
			"session mfa": "PASS session mfa tool_mfa is on: Moodle asks LTI users for their factors"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.adjust)
			if tc.setup != "" {
				e.tdb.Exec(t, tc.setup)
			}
			before := e.tdb.Snapshot(t)
			report := e.report(t)
			for check, want := range tc.want {
				if !strings.Contains(line(report, check), want) {
					t.Errorf("%s line %q, want it to contain %q\n%s", check, line(report, check), want, report)
				}
			}
			if strings.Contains(report, "FAIL") && !strings.Contains(report, "hint:") {
				t.Errorf("a failure without a hint:\n%s", report)
			}
			e.tdb.AssertUnchanged(t, before)
			if entries, _ := os.ReadDir(e.sessions); len(entries) != 0 {
				t.Errorf("doctor left files: %v", entries)
			}
		})
	}
}
