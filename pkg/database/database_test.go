package database_test

import (
	"context"
	"errors"
	"strings"
	"testing"

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
