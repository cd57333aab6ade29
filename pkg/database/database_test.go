package database_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// seesOthersCommits reports whether a transaction of db sees a row that
// another connection commits after the transaction's first read: true at
// READ COMMITTED, false at REPEATABLE READ.
func seesOthersCommits(t *testing.T, db *database.DB, other *database.DB, name string) bool {
	t.Helper()
	ctx := context.Background()
	var seen int
	err := db.WithTx(ctx, func(tx *database.Tx) error {
		var n int
		if err := tx.Get(ctx, &n, "SELECT COUNT(*) FROM {config} WHERE name = ?", name); err != nil {
			return err
		}
		if _, err := other.Exec(ctx, "INSERT INTO {config} (name, value) VALUES (?, '1')", name); err != nil {
			return err
		}
		return tx.Get(ctx, &seen, "SELECT COUNT(*) FROM {config} WHERE name = ?", name)
	})
	if err != nil {
		t.Fatal(err)
	}
	return seen == 1
}

// Transactions run at READ COMMITTED, Moodle's level, whether the level
// comes with the connection (Open) or with each transaction (New).
func TestTransactionsReadCommitted(t *testing.T) {
	db, tdb := testenv.DB(t)
	other := testenv.Open(t, tdb)
	if !seesOthersCommits(t, db, other, "ltip_rc_open") {
		t.Error("a transaction of Open's pool did not see another's commit: not READ COMMITTED")
	}
	// Open sets the level on the connection; statements outside
	// transactions run at it too.
	var level string
	if err := db.X.Get(&level, "SELECT @@tx_isolation"); err != nil {
		if err := db.X.Get(&level, "SELECT @@transaction_isolation"); err != nil {
			t.Fatal(err)
		}
	}
	if level != "READ-COMMITTED" {
		t.Errorf("connection isolation %q", level)
	}
	// A pool opened some other way keeps REPEATABLE READ on its
	// connections, and its transactions still run at READ COMMITTED.
	x, err := sqlx.Open("mysql", tdb.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	plain := database.New(x, "", tdb.Prefix)
	if !seesOthersCommits(t, plain, other, "ltip_rc_new") {
		t.Error("a transaction of New's pool did not see another's commit: not READ COMMITTED")
	}
}

// Remember loads a value once per database, and again after a failure.
func TestRemember(t *testing.T) {
	db, _ := testenv.DB(t)
	loads := 0
	load := func() (any, error) {
		loads++
		if loads == 1 {
			return nil, context.DeadlineExceeded
		}
		return loads, nil
	}
	if _, err := db.Remember("k", load); err == nil {
		t.Fatal("a failed load was not returned")
	}
	for i := 0; i < 3; i++ {
		if v, err := db.Remember("k", load); err != nil || v.(int) != 2 {
			t.Fatalf("%v %v", v, err)
		}
	}
	if loads != 2 {
		t.Errorf("%d loads", loads)
	}
}

// BeforeCommit runs inside the transaction after its work; its error rolls
// everything back. Values live for one attempt.
func TestBeforeCommit(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	var order []string
	err := db.WithTx(ctx, func(tx *database.Tx) error {
		if tx.Value("k") != nil {
			t.Error("a value before SetValue")
		}
		tx.SetValue("k", 1)
		tx.BeforeCommit(func(ctx context.Context) error {
			order = append(order, "before commit")
			_, err := tx.Exec(ctx, "INSERT INTO {config} (name, value) VALUES ('ltip_bc', ?)", tx.Value("k"))
			return err
		})
		tx.AfterCommit(func() { order = append(order, "after commit") })
		order = append(order, "work")
		return nil
	})
	if err != nil || strings.Join(order, ", ") != "work, before commit, after commit" || tdb.Count(t, "config", "name = 'ltip_bc' AND value = '1'") != 1 {
		t.Fatalf("%v %v", order, err)
	}
	boom := errors.New("boom")
	err = db.WithTx(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO {config} (name, value) VALUES ('ltip_bc2', '1')"); err != nil {
			return err
		}
		tx.BeforeCommit(func(context.Context) error { return boom })
		tx.AfterCommit(func() { t.Error("after commit ran for a rolled-back transaction") })
		return nil
	})
	if !errors.Is(err, boom) || tdb.Count(t, "config", "name = 'ltip_bc2'") != 0 {
		t.Errorf("a failing BeforeCommit: %v, rows %d", err, tdb.Count(t, "config", "name = 'ltip_bc2'"))
	}
}

// countingConnector counts the statements a pool prepares on the server.
type countingConnector struct {
	driver.Connector
	prepares *atomic.Int64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	return countingConn{conn, c.prepares}, err
}

type countingConn struct {
	driver.Conn
	prepares *atomic.Int64
}

func (c countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.prepares.Add(1)
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

func (c countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c countingConn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, o)
}

// A query text that runs often is prepared once per connection and gives
// the same results as text; one that runs rarely is never prepared.
func TestPreparedStatements(t *testing.T) {
	_, tdb := testenv.DB(t)
	var prepares atomic.Int64
	db, err := database.OpenWith(context.Background(), testenv.DBConfig(tdb), func(c driver.Connector) driver.Connector {
		return countingConnector{c, &prepares}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.X.SetMaxOpenConns(1) // one connection: one prepare per statement
	ctx := context.Background()
	type user struct {
		ID        int64          `db:"id"`
		Username  string         `db:"username"`
		Deleted   bool           `db:"deleted"`
		Firstname sql.NullString `db:"firstname"`
		Created   string         `db:"timecreated"` // an integer column read as text
	}
	var first user
	for i := 0; i < 20; i++ {
		var u user
		if err := db.Get(ctx, &u, "SELECT id, username, deleted, firstname, timecreated FROM {user} WHERE id = ?", 3); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = u
		} else if u != first {
			t.Fatalf("run %d: %+v, first %+v", i, u, first)
		}
		err := db.WithTx(ctx, func(tx *database.Tx) error {
			var n int
			if err := tx.Get(ctx, &n, "SELECT COUNT(*) FROM {user} WHERE deleted = ?", false); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "UPDATE {config} SET value = ? WHERE name = 'ltip_prepared'", i)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if first.Username != "student1" || first.Created == "" {
		t.Errorf("%+v", first)
	}
	// Statements are prepared in the background once they have run often
	// enough: they show up soon after.
	waitFor := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for prepares.Load() < want && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor(3)
	if n := prepares.Load(); n != 3 {
		t.Errorf("%d statements prepared, want 3 (each of the three once)", n)
	}
	if _, err := db.Exec(ctx, "UPDATE {config} SET value = '1' WHERE name = 'ltip_once'"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := prepares.Load(); n != 3 {
		t.Errorf("a statement run once was prepared (%d)", n)
	}
	// A duplicate key from a prepared statement is ErrDuplicate as ever.
	db.PrepareAfter(1)
	insert := "INSERT INTO {config} (name, value) VALUES (?, '1')"
	if _, err := db.Exec(ctx, insert, "ltip_dup"); err != nil {
		t.Fatal(err)
	}
	waitFor(4)
	if _, err := db.Exec(ctx, insert, "ltip_dup"); !errors.Is(err, database.ErrDuplicate) || prepares.Load() != 4 {
		t.Errorf("duplicate through a prepared statement: %v (%d prepared)", err, prepares.Load())
	}
}
