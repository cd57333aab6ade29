package testdb

import (
	"context"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

// DB is a test's own database, loaded with the Moodle fixture.
type DB struct {
	Name   string        // database name
	Prefix string        // table prefix, e.g. "mdl_"
	Config *mysql.Config // connection settings for this database, as Moodle connects; Clone() it before changing it
	SQL    *sqlx.DB      // a pool connected to this database, closed at cleanup

	srv *server
	tpl *template
}

// New gives the test a database of its own in the fixture's state (plus
// what WithPrepare's function did). It fails the test if there is no server;
// it never skips. At cleanup the database is reset and reused by a later
// test of this process, or, if the test failed, kept for inspection.
func New(t testing.TB, opts ...Option) *DB {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("testdb: New needs testdb.Main: add `func TestMain(m *testing.M) { testdb.Main(m) }` to this package's tests")
	}
	o, err := buildOptions(opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := getServer()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*templateLockWait*time.Second)
	defer cancel()
	tpl, err := s.template(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	name, err := s.take(ctx, tpl)
	if err != nil {
		t.Fatalf("testdb: cannot copy template %s on %s: %v", tpl.name, s.desc, err)
	}
	sqlDB, err := openConfig(s.userConfig(name))
	if err != nil {
		t.Fatal(err)
	}
	d := &DB{
		Name:   name,
		Prefix: o.prefix,
		Config: s.userConfig(name),
		SQL:    sqlx.NewDb(sqlDB, "mysql"),
		srv:    s,
		tpl:    tpl,
	}
	t.Cleanup(func() { d.release(t) })
	return d
}

// release runs at the test's cleanup, after the test's own clean-ups (they
// were registered later), so the service under test has closed its
// connections by then.
func (d *DB) release(t testing.TB) {
	d.SQL.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if t.Failed() {
		err := d.srv.keep(ctx, d.Name, t.Name())
		switch {
		case err != nil:
			t.Logf("testdb: the test failed; its database %s is kept, but could not be marked to survive the run: %v", d.Name, err)
		case d.srv.throwaway != nil:
			t.Logf("testdb: the test failed; its database %s on %s is kept until the test process ends", d.Name, d.srv.desc)
		case keepAfterRun():
			t.Logf("testdb: the test failed; its database %s on %s is kept for a day (or until DROP DATABASE %s)", d.Name, d.srv.desc, d.Name)
		default:
			t.Logf("testdb: the test failed; its database %s on %s is kept until the test process ends (%s=1 keeps it longer)", d.Name, d.srv.desc, envKeep)
		}
		return
	}
	if err := d.srv.reset(ctx, d.Name, d.tpl); err != nil {
		t.Logf("testdb: database %s is dropped, not reused: %v", d.Name, err)
		d.srv.dropAsync(d.Name)
		return
	}
	d.srv.put(d.tpl, d.Name)
}
