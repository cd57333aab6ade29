package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestTimings measures the figures in README.md. Run it alone, so that its
// first New is the process's first:
//
//	LTIPROVIDER_TEST_TIMINGS=1 go test -count=1 -run '^TestTimings$' -v ./pkg/testdb/
func TestTimings(t *testing.T) {
	if os.Getenv("LTIPROVIDER_TEST_TIMINGS") != "1" {
		t.Skip("measures speed; set LTIPROVIDER_TEST_TIMINGS=1 to run (see README.md)")
	}
	// cycle is one test: New, the test's body, the clean-up.
	cycle := func(body func(testing.TB, *DB), opts ...Option) (total, cleanup time.Duration) {
		f := newFake(t)
		start := time.Now()
		f.run(func(tb testing.TB) { body(tb, New(tb, opts...)) })
		mid := time.Now()
		f.finish()
		if f.Failed() {
			t.Fatal(f.text())
		}
		return time.Since(start), time.Since(mid)
	}
	nothing := func(testing.TB, *DB) {}

	def, _ := buildOptions(nil)
	had := templateExists(t, templateName(def))
	d, _ := cycle(nothing)
	t.Logf("first database in a process (template existed: %v): %v", had, d.Round(time.Millisecond))

	key := fmt.Sprintf("timing-%d", time.Now().UnixNano())
	noop := WithPrepare(key, func(context.Context, *sql.DB, string) error { return nil })
	d, _ = cycle(nothing, noop)
	t.Logf("first database of a template that does not exist yet (build + copy): %v", d.Round(time.Millisecond))
	s := server0(t)
	defer func() {
		s.pool.drops.Wait()
		s.admin.Exec("DROP DATABASE IF EXISTS " + quote(templateName(options{prefix: def.prefix, prepareKey: key})))
	}()

	d, _ = cycle(func(tb testing.TB, _ *DB) {
		start := time.Now()
		New(tb)
		t.Logf("a second database while the first is in use (a new copy): %v", time.Since(start).Round(time.Millisecond))
	})

	var resets time.Duration
	const n = 20
	for range n {
		_, c := cycle(touchTables)
		resets += c
	}
	t.Logf("reset after a test that wrote to 12 tables: %v each (mean of %d)", (resets / n).Round(time.Millisecond), n)

	start := time.Now()
	for range 100 {
		cycle(nothing)
	}
	t.Logf("100 sequential New+cleanup, tests that write nothing: %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	for range 100 {
		cycle(func(tb testing.TB, d *DB) { d.Exec(tb, "INSERT INTO {user} (username) VALUES ('x')") })
	}
	t.Logf("100 sequential New+cleanup, tests that insert one row: %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	for range 100 {
		cycle(touchTables)
	}
	t.Logf("100 sequential New+cleanup, tests that write to 12 tables: %v", time.Since(start).Round(time.Millisecond))
}

func templateExists(t *testing.T, name string) bool {
	t.Helper()
	s := server0(t)
	ok, err := hasTable(context.Background(), s.admin, name, markerTable)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}
