package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestToolSettingsAndLayoutCommands(t *testing.T) {
	_, tdb := testenv.DB(t)
	conn := []string{"--dsn", tdb.DSN(), "--db-prefix", tdb.Prefix, "--wwwroot", "https://moodle.example", "--dataroot", t.TempDir()}
	run1 := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		cmd := append([]string{args[0], args[1]}, conn...)
		code := run(context.Background(), append(cmd, args[2:]...), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errs := run1("tool", "add", "--course", "PROV1", "--activity", "PROV-ASSIGN", "sendgrades=0", "enrolperiod=2d")
	if code != 0 {
		t.Fatalf("add: %d %s %s", code, out, errs)
	}
	m := regexp.MustCompile(`launch url\s+(https://moodle.example/local/ltiprovider/tool.php\?id=(\d+))`).FindStringSubmatch(out)
	if m == nil || !regexp.MustCompile(`secret\s+[0-9a-f]{32}`).MatchString(out) || !strings.Contains(out, `assign "`) {
		t.Fatalf("add output:\n%s", out)
	}
	id := m[2]
	row := tdb.Rows(t, "SELECT contextid, sendgrades, enrolperiod FROM {local_ltiprovider} WHERE id = ?", id)[0]
	if fmt.Sprintf("%v %v %v", row["contextid"], row["sendgrades"], row["enrolperiod"]) != "19 0 172800" {
		t.Errorf("stored %v", row)
	}
	// The edit page's rules apply: an invalid change is refused, nothing written.
	before := tdb.Snapshot(t)
	code, _, errs = run1("tool", "update", id, "enrolstartdate=2026-09-02", "enrolenddate=2026-09-01", "syncmembers=1")
	if code != 1 || !strings.Contains(errs, "Enrolment end date cannot be earlier than start date") || !strings.Contains(errs, "syncmembers") {
		t.Errorf("invalid update: %d %s", code, errs)
	}
	tdb.AssertUnchanged(t, before)
	if code, out, _ := run1("tool", "update", id, "hidepageheader=1"); code != 0 || !strings.Contains(out, "hidepageheader     1") && !strings.Contains(out, "hidepageheader") {
		t.Errorf("update: %d %s", code, out)
	}
	if code, out, _ := run1("tool", "list", "--course", "3"); code != 0 || !strings.Contains(out, "tool.php?id="+id) {
		t.Errorf("list: %s", out)
	}
	secret := fmt.Sprint(tdb.Rows(t, "SELECT secret FROM {local_ltiprovider} WHERE id = ?", id)[0]["secret"])
	if code, out, _ := run1("tool", "rotate-secret", id); code != 0 || strings.Contains(out, secret) {
		t.Errorf("rotate: %d %s", code, out)
	}
	if code, _, _ := run1("tool", "disable", id); code != 0 || tdb.Count(t, "local_ltiprovider", "id = ? AND disabled = 1", id) != 1 {
		t.Error("disable")
	}
	if code, _, _ := run1("tool", "enable", id); code != 0 || tdb.Count(t, "local_ltiprovider", "id = ? AND disabled = 0", id) != 1 {
		t.Error("enable")
	}
	if code, _, errs := run1("tool", "show", "999"); code != 1 || !strings.Contains(errs, "no tool 999") {
		t.Errorf("show missing: %d %s", code, errs)
	}
	if code, out, _ := run1("tool", "delete", id); code != 0 || !strings.Contains(out, "deleted tool") || tdb.Count(t, "local_ltiprovider", "id = ?", id) != 0 {
		t.Errorf("delete: %s", out)
	}

	if code, _, _ := run1("settings", "set", "userprofileupdate", "-1"); code != 0 {
		t.Error("settings set")
	}
	if code, out, _ := run1("settings", "get", "userprofileupdate"); code != 0 || strings.TrimSpace(out) != "-1" {
		t.Errorf("settings get: %q", out)
	}
	if code, _, errs := run1("settings", "set", "fullnameformat", "7"); code != 1 || !strings.Contains(errs, "0 to 5") {
		t.Errorf("bad setting: %d %s", code, errs)
	}

	if code, _, _ := run1("layout", "status"); code != 1 {
		t.Error("status before install")
	}
	if code, out, _ := run1("layout", "install"); code != 0 || !strings.Contains(out, `data-ltiprovider="layout"`) {
		t.Errorf("install: %s", out)
	}
	if code, out, _ := run1("layout", "status"); code != 0 || !strings.Contains(out, "installed") {
		t.Errorf("status: %s", out)
	}
	if code, _, _ := run1("layout", "uninstall"); code != 0 || tdb.Count(t, "config", "name = 'additionalhtmlhead' AND value = ''") != 1 {
		t.Error("uninstall")
	}
}
