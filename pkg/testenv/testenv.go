package testenv

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/migrate"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	sqlfiles "github.com/moodle-ltiprovider/moodle-ltiprovider/sql"
)

// Collation is the collation of the fixture's tables.
const Collation = "utf8mb4_unicode_ci"

// Migrated is the testdb option that applies the schema steps to the
// template. Its key changes whenever a step or a migration file changes.
var Migrated = testdb.WithPrepare("migrated-"+schemaHash(), func(ctx context.Context, db *sql.DB, prefix string) error {
	m := &migrate.Migrator{DB: database.New(sqlx.NewDb(db, "mysql"), "", prefix), Collation: Collation}
	_, err := m.Run(ctx)
	return err
})

// DB returns a migrated database of the test's own, opened exactly as the
// service opens Moodle's database, and the harness handle for assertions
// (counts, rows, snapshots).
func DB(t testing.TB, opts ...testdb.Option) (*database.DB, *testdb.DB) {
	t.Helper()
	tdb := testdb.New(t, append([]testdb.Option{Migrated}, opts...)...)
	return Open(t, tdb), tdb
}

// Open connects to a harness database the way the service does.
func Open(t testing.TB, tdb *testdb.DB) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), DBConfig(tdb))
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	// Every statement a test runs twice goes the prepared way the second
	// time (the service waits for a few runs), so tests check both ways.
	db.PrepareAfter(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// DBConfig is the service's database configuration for a harness database.
func DBConfig(tdb *testdb.DB) config.DB {
	return config.DB{DSN: tdb.DSN(), Prefix: tdb.Prefix, Collation: Collation,
		MaxOpenConns: 10, MaxIdleConns: 5, ConnMaxLifetime: time.Minute}
}

func schemaHash() string {
	h := sha256.New()
	for _, s := range migrate.Steps() {
		fmt.Fprintf(h, "%d %s\n", s.Version, s.Name)
	}
	_ = fs.WalkDir(sqlfiles.Migrations, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := sqlfiles.Migrations.ReadFile(path)
			h.Write([]byte(path))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}
