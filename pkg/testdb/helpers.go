package testdb

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"testing"
)

// DSN is Config as a go-sql-driver DSN; it contains the password, if any.
func (d *DB) DSN() string { return d.Config.FormatDSN() }

// Table is a table's quoted, prefixed name: Table("user") is `mdl_user`.
func (d *DB) Table(name string) string { return "`" + d.Prefix + name + "`" }

var tableRef = regexp.MustCompile(`\{([A-Za-z0-9_]+)\}`)

// Expand replaces each {name} in query with Table(name), so that tests'
// queries work with any prefix: "SELECT id FROM {user}". Pass values as
// arguments, not inside the query, where {x} would be replaced too.
func (d *DB) Expand(query string) string {
	return tableRef.ReplaceAllStringFunc(query, func(m string) string {
		return d.Table(m[1 : len(m)-1])
	})
}

// Exec runs a statement (with {table} names) and fails the test on error.
func (d *DB) Exec(t testing.TB, query string, args ...any) sql.Result {
	t.Helper()
	res, err := d.SQL.ExecContext(context.Background(), d.Expand(query), args...)
	if err != nil {
		t.Fatalf("testdb: %s: %v", query, err)
	}
	return res
}

// Rows runs a query (with {table} names) and returns every row as a map
// from column name to value: the value as MariaDB prints it (a string), or
// nil for NULL. So rows[0]["username"] == "admin" and rows[0]["deleted"] ==
// "0" hold, and rows[0]["x"] == nil only for NULL.
func (d *DB) Rows(t testing.TB, query string, args ...any) []map[string]any {
	t.Helper()
	rows, err := d.SQL.QueryContext(context.Background(), d.Expand(query), args...)
	if err != nil {
		t.Fatalf("testdb: %s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatalf("testdb: %s: %v", query, err)
	}
	out := []map[string]any{}
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("testdb: %s: %v", query, err)
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			if vals[i] == nil {
				row[c] = nil
			} else {
				row[c] = string(vals[i])
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("testdb: %s: %v", query, err)
	}
	return out
}

// Count counts the rows of a table (name without prefix) that match where,
// a condition with ? placeholders; an empty where counts every row.
func (d *DB) Count(t testing.TB, table, where string, args ...any) int {
	t.Helper()
	query := "SELECT COUNT(*) FROM " + d.Table(table)
	if strings.TrimSpace(where) != "" {
		query += " WHERE " + d.Expand(where)
	}
	var n int
	if err := d.SQL.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("testdb: %s: %v", query, err)
	}
	return n
}

// Snapshot records every table's content checksum, AUTO_INCREMENT counter
// and definition, for AssertUnchanged.
type Snapshot struct {
	state dbState
}

// Snapshot takes a Snapshot of the database (about 40 ms). Only committed
// data is seen.
func (d *DB) Snapshot(t testing.TB) Snapshot {
	t.Helper()
	st, err := readState(context.Background(), d.srv.admin, d.Name, nil)
	if err != nil {
		t.Fatalf("testdb: snapshot of %s: %v", d.Name, err)
	}
	return Snapshot{state: st}
}

// AssertUnchanged fails the test, listing the tables that differ, if any
// table's rows, AUTO_INCREMENT counter or definition changed since before,
// or tables were added or dropped: for checking that a rejected request
// wrote nothing, not even a row it rolled back (which moves the counter).
func (d *DB) AssertUnchanged(t testing.TB, before Snapshot) {
	t.Helper()
	now := d.Snapshot(t)
	changed, structural := difference(before.state, now.state)
	var what []string
	for _, name := range changed {
		what = append(what, describe(name, before.state.tables[name], now.state.tables[name]))
	}
	what = append(what, structural...)
	if len(what) > 0 {
		t.Errorf("testdb: the database changed: %s", strings.Join(what, "; "))
	}
}
