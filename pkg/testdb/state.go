package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// tableState is what a later test could observe of a table: its definition,
// its rows and its AUTO_INCREMENT counter. Two tables with equal states
// behave the same for any query (up to a CRC collision in the checksum).
type tableState struct {
	kind     string        // BASE TABLE or VIEW
	schema   string        // options and hashes of columns, indexes, foreign keys
	checksum sql.NullInt64 // CHECKSUM TABLE: a CRC of every column of every row
	autoInc  sql.NullInt64 // next id; InnoDB keeps it on disk since MariaDB 10.2
}

// dbState is the state of every table of a database, plus the number of
// triggers, routines and events, which a table copy would not carry.
type dbState struct {
	tables  map[string]tableState
	objects int
	full    bool // schemas and objects were read, not only checksums
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// skipTables are the harness's markers, not part of any test's data.
var skipTables = map[string]bool{markerTable: true, keptTable: true}

// readState reads the state of database db. With only set, it checksums just
// those tables and leaves definitions out: enough to verify a reset. The
// three parts run at once on separate connections: reading definitions
// from information_schema costs the most, and the server has spare cores.
func readState(ctx context.Context, q querier, db string, only []string) (dbState, error) {
	st := dbState{tables: map[string]tableState{}, full: only == nil}
	var wg sync.WaitGroup
	var schemaErr, objectsErr error
	var schemas map[string]string
	if st.full {
		wg.Add(2)
		go func() { defer wg.Done(); schemas, schemaErr = readSchemas(ctx, q, db) }()
		go func() { defer wg.Done(); st.objects, objectsErr = countObjects(ctx, q, db) }()
	}
	err := readTables(ctx, q, db, only, st.tables)
	wg.Wait()
	if err = errors.Join(err, schemaErr, objectsErr); err != nil {
		return st, err
	}
	for name, ts := range st.tables {
		ts.schema += schemas[name]
		st.tables[name] = ts
	}
	return st, nil
}

// readTables reads each table's kind, options and counter, then checksums
// the base tables (or only those in only).
func readTables(ctx context.Context, q querier, db string, only []string, tables map[string]tableState) error {
	rows, err := q.QueryContext(ctx, `SELECT TABLE_NAME, TABLE_TYPE, AUTO_INCREMENT,
		CONCAT_WS('|', IFNULL(ENGINE, ''), IFNULL(ROW_FORMAT, ''), IFNULL(TABLE_COLLATION, ''),
			IFNULL(CREATE_OPTIONS, ''), TABLE_COMMENT)
		FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`, db)
	if err != nil {
		return err
	}
	err = scanAll(rows, func() error {
		var name string
		var ts tableState
		if err := rows.Scan(&name, &ts.kind, &ts.autoInc, &ts.schema); err != nil {
			return err
		}
		if !skipTables[name] {
			tables[name] = ts
		}
		return nil
	})
	if err != nil {
		return err
	}
	sums := only
	if only == nil {
		for name, ts := range tables {
			if ts.kind == "BASE TABLE" {
				sums = append(sums, name)
			}
		}
	}
	return readChecksums(ctx, q, db, sums, tables)
}

// readSchemas hashes each table's columns, indexes and foreign keys, one CRC
// per kind: cheap enough to run after every test (about 20 ms for 500
// tables), so a test that altered a table is caught.
func readSchemas(ctx context.Context, q querier, db string) (map[string]string, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT 'columns', TABLE_NAME, COUNT(*), SUM(CRC32(CONCAT_WS('|', COLUMN_NAME, ORDINAL_POSITION,
			COLUMN_TYPE, IS_NULLABLE, IFNULL(COLUMN_DEFAULT, '-'), EXTRA, IFNULL(COLLATION_NAME, '-'))))
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? GROUP BY TABLE_NAME
		UNION ALL
		SELECT 'indexes', TABLE_NAME, COUNT(*), SUM(CRC32(CONCAT_WS('|', INDEX_NAME, SEQ_IN_INDEX,
			COLUMN_NAME, NON_UNIQUE, IFNULL(SUB_PART, '-'), INDEX_TYPE)))
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? GROUP BY TABLE_NAME
		UNION ALL
		SELECT 'foreign keys', TABLE_NAME, COUNT(*), SUM(CRC32(CONCAT_WS('|', CONSTRAINT_NAME, COLUMN_NAME,
			REFERENCED_TABLE_SCHEMA = TABLE_SCHEMA, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME)))
		FROM information_schema.KEY_COLUMN_USAGE
		WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL GROUP BY TABLE_NAME`,
		db, db, db)
	if err != nil {
		return nil, err
	}
	parts := map[string][]string{}
	err = scanAll(rows, func() error {
		var kind, name string
		var n, crc int64
		if err := rows.Scan(&kind, &name, &n, &crc); err != nil {
			return err
		}
		parts[name] = append(parts[name], fmt.Sprintf("%s:%d:%d", kind, n, crc))
		return nil
	})
	schemas := map[string]string{}
	for name, p := range parts {
		sort.Strings(p)
		schemas[name] = "|" + strings.Join(p, "|")
	}
	return schemas, err
}

// countObjects counts the triggers, routines and events of a database.
func countObjects(ctx context.Context, q querier, db string) (int, error) {
	rows, err := q.QueryContext(ctx, `SELECT
		(SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?) +
		(SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?) +
		(SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?)`, db, db, db)
	if err != nil {
		return 0, err
	}
	var n int
	err = scanAll(rows, func() error { return rows.Scan(&n) })
	return n, err
}

func readChecksums(ctx context.Context, q querier, db string, tables []string, states map[string]tableState) error {
	if len(tables) == 0 {
		return nil
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = qualified(db, t)
	}
	rows, err := q.QueryContext(ctx, "CHECKSUM TABLE "+strings.Join(names, ", "))
	if err != nil {
		return err
	}
	return scanAll(rows, func() error {
		var name string
		var sum sql.NullInt64
		if err := rows.Scan(&name, &sum); err != nil {
			return err
		}
		name = strings.TrimPrefix(name, db+".")
		if ts, ok := states[name]; ok {
			ts.checksum = sum
			states[name] = ts
		}
		return nil
	})
}

// difference compares a database's state with an earlier one (or the
// template's); definitions only when both states have them. changed lists tables that only differ in rows or
// AUTO_INCREMENT, which copying rows can repair; structural describes
// everything else: tables added or dropped, definitions changed, triggers.
func difference(want, got dbState) (changed, structural []string) {
	for _, name := range sortedKeys(got.tables) {
		if _, ok := want.tables[name]; !ok {
			structural = append(structural, "table "+name+" was added")
		}
	}
	for _, name := range sortedKeys(want.tables) {
		w := want.tables[name]
		g, ok := got.tables[name]
		switch {
		case !ok:
			structural = append(structural, "table "+name+" was dropped")
		case g.kind != w.kind || (want.full && got.full && g.schema != w.schema):
			structural = append(structural, "definition of "+name+" changed")
		case g.checksum != w.checksum || g.autoInc != w.autoInc:
			changed = append(changed, name)
		}
	}
	if want.full && got.full && got.objects != want.objects {
		structural = append(structural, fmt.Sprintf("%d triggers, routines or events, want %d", got.objects, want.objects))
	}
	return changed, structural
}

// describe says how a table changed, for failure messages.
func describe(name string, want, got tableState) string {
	var what []string
	if want.checksum != got.checksum {
		what = append(what, "rows")
	}
	if want.autoInc != got.autoInc {
		what = append(what, fmt.Sprintf("AUTO_INCREMENT %s → %s", nullString(want.autoInc), nullString(got.autoInc)))
	}
	return name + " (" + strings.Join(what, ", ") + ")"
}

func nullString(n sql.NullInt64) string {
	if !n.Valid {
		return "NULL"
	}
	return fmt.Sprint(n.Int64)
}

func scanAll(rows *sql.Rows, each func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := each(); err != nil {
			return err
		}
	}
	return rows.Err()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// quote backticks an identifier; the harness only quotes names it made or
// read from information_schema, but doubling backticks keeps any name safe.
func quote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

func qualified(db, table string) string { return quote(db) + "." + quote(table) }
