package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// A failed test's database lives until Main ends the process; with
// LTIPROVIDER_TEST_KEEP=1, after it too, and other processes leave it.
func TestKeptDatabases(t *testing.T) {
	s := server0(t)
	name := regexp.MustCompile(`its database (ltip_t_\w+) on`)
	for _, keep := range []string{"", "1"} {
		out, err := runChild(t, "TestKeptDatabasesChild", envKeep+"="+keep)
		if err == nil {
			t.Fatalf("child passed:\n%s", out)
		}
		m := name.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("KEEP=%q: database name not logged:\n%s", keep, out)
		}
		exists := dbExists(t, s, m[1])
		if keep == "" && exists {
			t.Errorf("KEEP unset: %s survived the process", m[1])
		}
		if keep == "1" {
			if !exists || !strings.Contains(out, "kept for inspection") {
				t.Fatalf("KEEP=1: %s not kept:\n%s", m[1], out)
			}
			s.dropStale(context.Background())
			s.pool.drops.Wait()
			if !dbExists(t, s, m[1]) {
				t.Errorf("KEEP=1: %s dropped as stale", m[1])
			}
			s.admin.Exec("DROP DATABASE " + quote(m[1]))
		}
	}
}

func TestKeptDatabasesChild(t *testing.T) {
	onlyAsChild(t)
	d := New(t)
	d.Exec(t, "DELETE FROM {user}")
	t.Error("deliberate failure, to keep the database")
}

func TestStaleDatabasesDropped(t *testing.T) {
	s := server0(t)
	dead := fmt.Sprintf("%s%d_1", dbPrefix(), 1<<22+1) // above Linux's highest pid
	live := fmt.Sprintf("%s%d_1", dbPrefix(), 1)       // init never dies
	other := "ltip_t_00000000_12345_1"                 // another host's
	for _, n := range []string{dead, live, other} {
		if _, err := s.admin.Exec(createDatabase(n)); err != nil {
			t.Fatal(err)
		}
		defer s.admin.Exec("DROP DATABASE IF EXISTS " + quote(n))
	}
	s.dropStale(context.Background())
	s.pool.drops.Wait()
	if dbExists(t, s, dead) {
		t.Errorf("%s of a dead process not dropped", dead)
	}
	if !dbExists(t, s, live) || !dbExists(t, s, other) {
		t.Errorf("a live process's or another host's database was dropped")
	}
}

// Processes racing to build one template: one builds, the others wait and
// use it.
func TestTemplateBuiltOnce(t *testing.T) {
	s := server0(t)
	o, _ := buildOptions([]Option{WithPrepare(fmt.Sprintf("race-%p", t), func(context.Context, *sql.DB, string) error { return nil })})
	name := templateName(o)
	defer s.admin.Exec("DROP DATABASE IF EXISTS " + quote(name))
	var wg sync.WaitGroup
	var mu sync.Mutex
	builds := 0
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			built, err := s.ensureTemplate(context.Background(), name, o)
			if err != nil {
				t.Error(err)
			}
			if built {
				mu.Lock()
				builds++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if builds != 1 {
		t.Errorf("built %d times", builds)
	}
}

func TestUnusedTemplatesDropped(t *testing.T) {
	s := server0(t)
	old, recent, broken := "ltip_tpl_test00000old", "ltip_tpl_test0recent", "ltip_tpl_test0broken"
	for _, c := range []struct {
		name string
		age  int // days since last use; -1: no marker
	}{{old, 8}, {recent, 1}, {broken, -1}} {
		stmts := []string{createDatabase(c.name)}
		if c.age >= 0 {
			stmts = append(stmts,
				"CREATE TABLE "+qualified(c.name, markerTable)+" (last_used DATETIME)",
				fmt.Sprintf("INSERT INTO %s VALUES (NOW() - INTERVAL %d DAY)", qualified(c.name, markerTable), c.age))
		}
		for _, q := range stmts {
			if _, err := s.admin.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		defer s.admin.Exec("DROP DATABASE IF EXISTS " + quote(c.name))
	}
	s.dropUnusedTemplates(context.Background(), "none")
	if dbExists(t, s, old) || dbExists(t, s, broken) {
		t.Errorf("unused or broken template not dropped")
	}
	if !dbExists(t, s, recent) {
		t.Errorf("recently used template dropped")
	}
}

// server0 is this process's server, found the way New finds it.
func server0(t *testing.T) *server {
	t.Helper()
	s, err := getServer()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
