package testdb

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// touchTables writes to a dozen tables the way an LTI launch does: new
// rows (some in tables whose AUTO_INCREMENT is above max(id)+1 in the
// fixture), an update, a delete, and a counter moved by insert+delete.
func touchTables(t testing.TB, d *DB) {
	t.Helper()
	res := d.Exec(t, "INSERT INTO {user} (username, auth, mnethostid, confirmed, email) VALUES ('lti_x', 'lti', 1, 1, 'x@example.com')")
	uid, _ := res.LastInsertId()
	d.Exec(t, "INSERT INTO {user_preferences} (userid, name, value) VALUES (?, 'auth_forcepasswordchange', '0')", uid)
	res = d.Exec(t, "INSERT INTO {enrol} (enrol, courseid, status) VALUES ('lti', 1, 0)")
	eid, _ := res.LastInsertId()
	d.Exec(t, "INSERT INTO {user_enrolments} (enrolid, userid) VALUES (?, ?)", eid, uid)
	d.Exec(t, "INSERT INTO {context} (contextlevel, instanceid, path, depth) VALUES (30, ?, '/1/x', 2)", uid)
	d.Exec(t, "INSERT INTO {role_assignments} (roleid, contextid, userid) VALUES (5, 1, ?)", uid)
	d.Exec(t, `INSERT INTO {logstore_standard_log} (eventname, component, action, target, crud, edulevel,
		contextid, contextlevel, contextinstanceid, userid, timecreated) VALUES ('x', 'x', 'x', 'x', 'c', 0, 1, 10, 0, ?, 0)`, uid)
	d.Exec(t, "INSERT INTO {config_log} (userid, timemodified, name, value) VALUES (?, 0, 'x', 'y')", uid)
	d.Exec(t, "INSERT INTO {sessions} (sid, userid, timecreated, timemodified) VALUES ('abc', ?, 0, 0)", uid)
	d.Exec(t, "UPDATE {config} SET value = 'changed' WHERE name = 'version'")
	d.Exec(t, "DELETE FROM {config_plugins} WHERE id = (SELECT MIN(id) FROM (SELECT id FROM {config_plugins}) x)")
	res = d.Exec(t, "INSERT INTO {course} (category, fullname, shortname) VALUES (1, 'bump', 'bump')")
	cid, _ := res.LastInsertId()
	d.Exec(t, "DELETE FROM {course} WHERE id = ?", cid)
}

func TestResetRestoresTemplateState(t *testing.T) {
	var first string
	var before Snapshot
	var userAI, logAI int64
	t.Run("writes", func(t *testing.T) {
		d := New(t)
		first = d.Name
		before = d.Snapshot(t)
		userAI = before.state.tables[d.Prefix+"user"].autoInc.Int64
		logAI = before.state.tables[d.Prefix+"config_log"].autoInc.Int64
		if userAI != 5 || logAI != 1904 {
			t.Fatalf("fresh copy: AUTO_INCREMENT of user %d, config_log %d; want 5, 1904 as in the fixture", userAI, logAI)
		}
		touchTables(t, d)
		d.Exec(t, "DELETE FROM {user} WHERE username = 'student1'")
		d.Exec(t, "UPDATE {user} SET firstname = 'Changed' WHERE username = 'teacher1'")
	})
	t.Run("next test", func(t *testing.T) {
		d := New(t)
		if d.Name != first {
			t.Fatalf("got database %s, want the reset %s back from the pool", d.Name, first)
		}
		d.AssertUnchanged(t, before)
		if n := d.Count(t, "user", "username = ?", "student1"); n != 1 {
			t.Errorf("deleted user not restored: %d", n)
		}
		if rows := d.Rows(t, "SELECT firstname FROM {user} WHERE username = 'teacher1'"); rows[0]["firstname"] == "Changed" {
			t.Errorf("update not undone")
		}
		if n := d.Count(t, "user", "username = 'lti_x'"); n != 0 {
			t.Errorf("inserted user still there")
		}
		// New rows get the ids they would get in a fresh copy.
		res := d.Exec(t, "INSERT INTO {user} (username) VALUES ('again')")
		if id, _ := res.LastInsertId(); id != userAI {
			t.Errorf("next user id %d, want %d", id, userAI)
		}
		res = d.Exec(t, "INSERT INTO {config_log} (userid, timemodified, name) VALUES (1, 0, 'x')")
		if id, _ := res.LastInsertId(); id != logAI {
			t.Errorf("next config_log id %d, want %d", id, logAI)
		}
	})
}

// A copy must equal the template in every table: definitions, rows and
// counters, including the three tables whose counter is above max(id)+1,
// which CREATE TABLE ... LIKE does not carry.
func TestCopyEqualsTemplate(t *testing.T) {
	d := New(t)
	got := d.Snapshot(t)
	changed, structural := difference(d.tpl.base, got.state)
	if len(changed)+len(structural) > 0 {
		t.Errorf("copy differs from template: %v %v", changed, structural)
	}
	if len(got.state.tables) != 494 {
		t.Errorf("%d tables", len(got.state.tables))
	}
}

func TestPrefix(t *testing.T) {
	d := New(t, WithPrefix("m45_"))
	if d.Prefix != "m45_" || d.Table("user") != "`m45_user`" {
		t.Fatalf("prefix %q, table %s", d.Prefix, d.Table("user"))
	}
	var mdl, m45, mdlIndexes int
	d.SQL.Get(&mdl, `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE 'mdl\_%'`, d.Name)
	d.SQL.Get(&m45, `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE 'm45\_%'`, d.Name)
	d.SQL.Get(&mdlIndexes, `SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND INDEX_NAME LIKE 'mdl\_%'`, d.Name)
	if mdl != 0 || m45 != 494 || mdlIndexes != 0 {
		t.Errorf("tables mdl_: %d, m45_: %d, indexes mdl_: %d; want 0, 494, 0", mdl, m45, mdlIndexes)
	}
	if n := d.Count(t, "user", ""); n != 4 {
		t.Errorf("%d users", n)
	}
	if rows := d.Rows(t, "SELECT value FROM {config} WHERE name = 'version'"); rows[0]["value"] != "2024100706" {
		t.Errorf("version %v", rows)
	}
	if def := New(t, WithPrefix("mdl_")); d.tpl.name == def.tpl.name {
		t.Errorf("prefixes m45_ and mdl_ share template %s", d.tpl.name)
	}
}

// prepareService stands for the service's migrations: its own tables, one
// with a foreign key, and a row in a Moodle table.
func prepareService(version string) Option {
	return WithPrepare("test-migrations-"+version, func(ctx context.Context, db *sql.DB, prefix string) error {
		for _, q := range []string{
			"CREATE TABLE `" + prefix + "ltip_platform` (id BIGINT AUTO_INCREMENT PRIMARY KEY, issuer VARCHAR(255) NOT NULL UNIQUE) ENGINE=InnoDB",
			"CREATE TABLE `" + prefix + "ltip_deployment` (id BIGINT AUTO_INCREMENT PRIMARY KEY, platformid BIGINT NOT NULL, " +
				"FOREIGN KEY (platformid) REFERENCES `" + prefix + "ltip_platform` (id)) ENGINE=InnoDB AUTO_INCREMENT=100",
			"INSERT INTO `" + prefix + "ltip_platform` (issuer) VALUES ('https://lms.example.com')",
			"INSERT INTO `" + prefix + "config_plugins` (plugin, name, value) VALUES ('local_ltiprovider', 'version', '" + version + "')",
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestPrepare(t *testing.T) {
	var first string
	var before Snapshot
	t.Run("writes", func(t *testing.T) {
		d := New(t, prepareService("1"))
		first, before = d.Name, d.Snapshot(t)
		if n := d.Count(t, "ltip_platform", ""); n != 1 {
			t.Fatalf("%d platforms", n)
		}
		if n := d.Count(t, "config_plugins", "plugin = 'local_ltiprovider'"); n != 1 {
			t.Errorf("prepare's row missing")
		}
		var fks int
		d.SQL.Get(&fks, "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?", d.Name)
		if fks != 1 {
			t.Errorf("%d foreign keys in the copy, want 1", fks)
		}
		res := d.Exec(t, "INSERT INTO {ltip_deployment} (platformid) VALUES (1)")
		if id, _ := res.LastInsertId(); id != 100 {
			t.Errorf("deployment id %d, want 100", id)
		}
		d.Exec(t, "INSERT INTO {ltip_platform} (issuer) VALUES ('https://other.example.com')")
		d.Exec(t, "UPDATE {ltip_platform} SET issuer = 'https://changed.example.com' WHERE id = 1")
	})
	t.Run("next test", func(t *testing.T) {
		d := New(t, prepareService("1"))
		if d.Name != first {
			t.Fatalf("got %s, want %s back", d.Name, first)
		}
		d.AssertUnchanged(t, before)
		if n := d.Count(t, "ltip_platform", "issuer = 'https://lms.example.com'"); n != 1 {
			t.Errorf("platform row not restored")
		}
	})
	t.Run("other key", func(t *testing.T) {
		a := New(t, prepareService("1"))
		b := New(t, prepareService("2"))
		if a.tpl.name == b.tpl.name {
			t.Fatalf("keys 1 and 2 share template %s", a.tpl.name)
		}
		if v := b.Rows(t, "SELECT value FROM {config_plugins} WHERE plugin = 'local_ltiprovider'"); v[0]["value"] != "2" {
			t.Errorf("template of key 2 has %v", v)
		}
		if !dbExists(t, a.srv, a.tpl.name) || !dbExists(t, b.srv, b.tpl.name) {
			t.Errorf("templates missing")
		}
	})
}

func TestExtraTableDropsDatabase(t *testing.T) {
	var first string
	f := newFake(t)
	f.run(func(tb testing.TB) {
		d := New(tb)
		first = d.Name
		d.Exec(tb, "CREATE TABLE {scratch} (id INT)")
	})
	f.finish()
	if f.Failed() {
		t.Fatal(f.text())
	}
	if !strings.Contains(f.text(), "dropped, not reused: table "+defaultPrefix(t)+"scratch was added") {
		t.Errorf("log: %s", f.text())
	}
	d := New(t)
	if d.Name == first {
		t.Errorf("database %s reused after a test added a table", first)
	}
	d.srv.pool.drops.Wait()
	if dbExists(t, d.srv, first) {
		t.Errorf("database %s not dropped", first)
	}
}

func TestAlteredTableDropsDatabase(t *testing.T) {
	f := newFake(t)
	var name string
	f.run(func(tb testing.TB) {
		d := New(tb)
		name = d.Name
		d.Exec(tb, "ALTER TABLE {user} ADD INDEX ltip_test_ix (city)")
	})
	f.finish()
	if !strings.Contains(f.text(), "definition of "+defaultPrefix(t)+"user changed") {
		t.Errorf("log: %s", f.text())
	}
	s, _ := getServer()
	s.pool.drops.Wait()
	if dbExists(t, s, name) {
		t.Errorf("database %s not dropped", name)
	}
}

func TestFailedTestKeepsDatabase(t *testing.T) {
	f := newFake(t)
	var name string
	f.run(func(tb testing.TB) {
		d := New(tb)
		name = d.Name
		d.Exec(tb, "DELETE FROM {user}")
		tb.Errorf("deliberate failure")
	})
	f.finish()
	if !strings.Contains(f.text(), "its database "+name+" on ") {
		t.Errorf("name not logged: %s", f.text())
	}
	s, _ := getServer()
	if !dbExists(t, s, name) {
		t.Fatalf("failed test's database %s was dropped", name)
	}
	s.pool.mu.Lock()
	for _, free := range s.pool.free {
		for _, n := range free {
			if n == name {
				t.Errorf("failed test's database %s went back to the pool", name)
			}
		}
	}
	s.pool.mu.Unlock()
	// Still as the test left it.
	d := New(t)
	var users int
	d.SQL.Get(&users, "SELECT COUNT(*) FROM "+qualified(name, d.Prefix+"user"))
	if users != 0 {
		t.Errorf("kept database was changed: %d users", users)
	}
}

func TestParallelTestsGetDistinctDatabases(t *testing.T) {
	// As many tests as can run at once (go test -parallel, GOMAXPROCS by
	// default), at most 4, all holding a database at the same time.
	n := 4
	if p, err := strconv.Atoi(flag.Lookup("test.parallel").Value.String()); err == nil && p < n {
		n = p
	}
	var mu sync.Mutex
	holders := map[string]int{}
	var all sync.WaitGroup
	all.Add(n)
	t.Run("group", func(t *testing.T) {
		for i := range n {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				d := New(t)
				mu.Lock()
				if other, dup := holders[d.Name]; dup {
					t.Errorf("%s given to tests %d and %d at once", d.Name, other, i)
				}
				holders[d.Name] = i
				mu.Unlock()
				// The same row in every database: no conflict, no leak.
				d.Exec(t, "INSERT INTO {user} (id, username) VALUES (100, 'same')")
				all.Done()
				all.Wait() // every test holds its database now
				if n := d.Count(t, "user", ""); n != 5 {
					t.Errorf("%d users: another test's writes are visible", n)
				}
			})
		}
	})
	if len(holders) != n {
		t.Errorf("%d databases for %d tests", len(holders), n)
	}
}

func TestSnapshotDetectsChanges(t *testing.T) {
	d := New(t)
	for _, c := range []struct{ name, query, table string }{
		{"insert", "INSERT INTO {user} (username) VALUES ('new')", "user (rows, AUTO_INCREMENT 5 → 6)"},
		{"update", "UPDATE {config} SET value = 'x' WHERE name = 'version'", "config (rows)"},
		{"delete", "DELETE FROM {role} WHERE shortname = 'guest'", "role (rows)"},
		{"insert rolled back", "", "course (AUTO_INCREMENT"},
		{"nothing", "SELECT 1", ""},
	} {
		before := d.Snapshot(t)
		switch {
		case c.query != "":
			d.Exec(t, c.query)
		default:
			tx := d.SQL.MustBegin()
			tx.MustExec(d.Expand("INSERT INTO {course} (category, fullname) VALUES (1, 'x')"))
			tx.Rollback()
		}
		f := newFake(t)
		f.run(func(tb testing.TB) { d.AssertUnchanged(tb, before) })
		switch {
		case c.table == "" && f.Failed():
			t.Errorf("%s: reported a change: %s", c.name, f.text())
		case c.table != "" && !f.Failed():
			t.Errorf("%s: change not detected", c.name)
		case c.table != "" && !strings.Contains(f.text(), d.Prefix+c.table):
			t.Errorf("%s: message %q does not name %s", c.name, f.text(), c.table)
		}
	}
}

func dbExists(t testing.TB, s *server, name string) bool {
	t.Helper()
	ok, err := hasSchema(s, name)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func hasSchema(s *server, name string) (bool, error) {
	var n int
	err := s.admin.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n)
	return n > 0, err
}

// defaultPrefix is the prefix New uses without WithPrefix.
func defaultPrefix(t testing.TB) string {
	o, err := buildOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	return o.prefix
}
