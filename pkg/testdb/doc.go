// Package testdb gives integration tests a real MariaDB or MySQL database
// of their own, loaded with the Moodle 4.5 fixture (sql/fixture), the way the
// service meets Moodle's database in production.
//
// Every package whose tests touch the database uses it:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
//
//	func TestLaunch(t *testing.T) {
//		db := testdb.New(t)
//		db.Exec(t, "UPDATE {user} SET suspended = 1 WHERE username = ?", "student1")
//	}
//
// The package owns: finding a server, the template databases (ltip_tpl_*),
// the test databases (ltip_t_*) and the throwaway server. Nothing else may
// create or drop databases with those names.
//
// Server, in order: the one LTIPROVIDER_TEST_DSN names (a go-sql-driver DSN
// such as root@tcp(127.0.0.1:3306)/, database part ignored; if it is set and
// unreachable the tests fail, they do not fall back), else root without
// password on 127.0.0.1:3306 if it answers within a few seconds, else a
// throwaway mariadbd started in a temporary folder (LTIPROVIDER_TEST_SERVER=
// throwaway goes straight there). With none, every test that calls New fails
// with a message saying what was tried and how to get a server. Tests never
// skip for lack of one.
//
// Speed: the fixture is loaded once into a template database, shared by all
// test processes and runs (its name is a hash of the fixture, prefix and
// Prepare key; a lock makes one process build it). Each process copies it
// into a test database when it has no free one (about 1.3 s), and after each
// test resets that database to the template by copying back only the tables
// whose checksum or AUTO_INCREMENT changed (tens of milliseconds); see
// reset (reset.go) for why that equals a fresh copy. A test that adds, drops or
// alters a table gets its database dropped instead.
//
// A failed test's database is kept (its name is logged) until the process
// ends; with LTIPROVIDER_TEST_KEEP=1, for a day. Databases of processes
// that died are dropped by the next process on the same host.
// LTIPROVIDER_TEST_PREFIX changes the default table prefix (mdl_).
//
// Measured figures are in README.md.
package testdb
