package doctor_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/doctor"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

type setup struct {
	tdb *testdb.DB
	cfg *config.Config
}

func newSetup(t *testing.T, opts ...testdb.Option) *setup {
	tdb := testdb.New(t, append([]testdb.Option{testenv.Migrated}, opts...)...)
	dataroot := t.TempDir()
	if err := os.Mkdir(filepath.Join(dataroot, "sessions"), 0o770); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{DB: testenv.DBConfig(tdb)}
	cfg.Moodle.WWWRoot = "https://moodle.example"
	cfg.Moodle.DataRoot = dataroot
	return &setup{tdb: tdb, cfg: cfg}
}

// run returns the report and the lines of failed checks by name.
func (s *setup) run(t *testing.T) (string, map[string]string) {
	t.Helper()
	env := &doctor.Env{Config: s.cfg}
	db, err := database.Open(context.Background(), s.cfg.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	env.DB = db
	env.Site, _ = moodle.LoadSite(context.Background(), db, s.cfg)
	var buf bytes.Buffer
	doctor.Report(context.Background(), env, doctor.Standard(), &buf)
	failed := map[string]string{}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(line, "FAIL") {
			for _, c := range doctor.Standard() {
				if strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(line, "FAIL")), c.Name+" ") {
					failed[c.Name] = line
				}
			}
		}
	}
	return buf.String(), failed
}

func TestHealthyFixturePassesEveryCheck(t *testing.T) {
	s := newSetup(t)
	report, failed := s.run(t)
	if len(failed) != 0 || strings.Count(report, "PASS") != len(doctor.Standard()) {
		t.Fatalf("report:\n%s", report)
	}
	for _, c := range doctor.Standard() {
		if !strings.Contains(report, c.Name) {
			t.Errorf("no line for %s", c.Name)
		}
	}
}

// Each check fails, with a hint, when its condition is broken.
func TestEachCheckFailsWhenBroken(t *testing.T) {
	cases := []struct {
		check string
		hint  string
		brk   func(t *testing.T, s *setup)
	}{
		{"table prefix", "db.prefix", func(t *testing.T, s *setup) { s.cfg.DB.Prefix = "wrong_" }},
		{"moodle version", "4.1 to 5.x", func(t *testing.T, s *setup) {
			s.tdb.Exec(t, "UPDATE {config} SET value = '311' WHERE name = 'branch'")
		}},
		{"plugin tables", "ltiprovider migrate", func(t *testing.T, s *setup) {
			s.tdb.Exec(t, "DELETE FROM {local_ltiprovider_schema} WHERE version = 3")
		}},
		{"manual enrolment", "Manage enrol plugins", func(t *testing.T, s *setup) {
			s.tdb.Exec(t, "UPDATE {config} SET value = 'guest,self' WHERE name = 'enrol_plugins_enabled'")
		}},
		{"frame embedding", "Allow frame embedding", func(t *testing.T, s *setup) {
			s.tdb.Exec(t, "UPDATE {config} SET value = '0' WHERE name = 'allowframembedding'")
		}},
		{"https", "https", func(t *testing.T, s *setup) { s.cfg.Moodle.WWWRoot = "http://moodle.example" }},
		{"database", "db.collation", func(t *testing.T, s *setup) { s.cfg.DB.Collation = "utf8mb4_general_ci" }},
	}
	for _, tc := range cases {
		t.Run(tc.check, func(t *testing.T) {
			s := newSetup(t)
			tc.brk(t, s)
			report, failed := s.run(t)
			line, ok := failed[tc.check]
			if !ok {
				t.Fatalf("%s did not fail:\n%s", tc.check, report)
			}
			if !strings.Contains(report[strings.Index(report, line):], "hint:") || !strings.Contains(report, tc.hint) {
				t.Errorf("no useful hint for %s:\n%s", tc.check, report)
			}
		})
	}
}
