package coursecopy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// row is one database row as the driver returns it: every non-NULL value is
// the column's bytes (the service interpolates its queries, so rows come
// over MySQL's text protocol), NULL is nil. Copying a row passes the bytes
// back unchanged, so decimals, texts and dates keep their exact values.
type row map[string]any

// int returns a column as a whole number, 0 for NULL or text.
func (r row) int(col string) int64 {
	return toInt(r[col])
}

// str returns a column as a string, "" for NULL.
func (r row) str(col string) string {
	switch v := r[col].(type) {
	case nil:
		return ""
	case []byte:
		return string(v)
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

func (r row) isNull(col string) bool { return r[col] == nil }

func toInt(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 0
	case int64:
		return x
	case int:
		return int64(x)
	case []byte:
		n, _ := strconv.ParseInt(string(x), 10, 64)
		return n
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// schema knows the columns of the tables a copy touches, read from
// information_schema, so rows are copied whole even on sites whose tables
// have columns this code has never heard of.
type schema struct {
	q       database.Querier
	key     string              // database and table prefix, for the shared cache
	columns map[string][]string // table (without prefix) → columns in order; nil: table missing
}

// columnCache keeps the columns of existing tables between copies: reading
// information_schema is a large part of a copy's time. An entry is trusted
// for columnTTL, so a table a Moodle upgrade changed is read again soon.
var columnCache sync.Map // key + "\x00" + table → cachedColumns

type cachedColumns struct {
	names []string
	at    time.Time
}

const columnTTL = 10 * time.Minute

func newSchema(q database.Querier) *schema {
	return &schema{q: q, columns: map[string][]string{}}
}

// cols returns the columns of a table, nil when the site has no such table
// (a plugin that is not installed).
func (s *schema) cols(ctx context.Context, table string) ([]string, error) {
	if c, ok := s.columns[table]; ok {
		return c, nil
	}
	if s.key == "" {
		var db string
		if err := s.q.Get(ctx, &db, "SELECT DATABASE()"); err != nil {
			return nil, fmt.Errorf("database name: %w", err)
		}
		s.key = db + "\x00" + s.q.Table("")
	}
	if v, ok := columnCache.Load(s.key + "\x00" + table); ok {
		if cc := v.(cachedColumns); time.Since(cc.at) < columnTTL {
			s.columns[table] = cc.names
			return cc.names, nil
		}
	}
	var names []string
	err := s.q.Select(ctx, &names, `SELECT COLUMN_NAME FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, strings.Trim(s.q.Table(table), "`"))
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	s.columns[table] = names
	if len(names) > 0 {
		columnCache.Store(s.key+"\x00"+table, cachedColumns{names, time.Now()})
	}
	return names, nil
}

func (s *schema) exists(ctx context.Context, table string) (bool, error) {
	c, err := s.cols(ctx, table)
	return len(c) > 0, err
}

func (s *schema) has(ctx context.Context, table, column string) (bool, error) {
	c, err := s.cols(ctx, table)
	if err != nil {
		return false, err
	}
	for _, n := range c {
		if n == column {
			return true, nil
		}
	}
	return false, nil
}

// selectRows reads rows of a table; where uses ? placeholders. A table the
// site lacks has no rows.
func (s *schema) selectRows(ctx context.Context, table, where string, args ...any) ([]row, error) {
	ok, err := s.exists(ctx, table)
	if err != nil || !ok {
		return nil, err
	}
	query := "SELECT * FROM {" + table + "}"
	if where != "" {
		query += " WHERE " + where
	}
	if c, _ := s.cols(ctx, table); len(c) > 0 && c[0] == "id" {
		query += " ORDER BY id"
	}
	rows, err := s.q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", table, err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		r := row{}
		if err := rows.MapScan(r); err != nil {
			return nil, fmt.Errorf("reading %s: %w", table, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// insert writes a copy of r into table with the values of set replacing
// r's, and returns the new id. Every column but id is written.
func (s *schema) insert(ctx context.Context, table string, r row, set row) (int64, error) {
	cols, err := s.cols(ctx, table)
	if err != nil {
		return 0, err
	}
	names := make([]string, 0, len(cols))
	vals := make([]any, 0, len(cols))
	for _, c := range cols {
		if c == "id" {
			continue
		}
		v, ok := set[c]
		if !ok {
			v = r[c]
		}
		names = append(names, "`"+c+"`")
		vals = append(vals, v)
	}
	id, err := s.q.Insert(ctx, "INSERT INTO {"+table+"} ("+strings.Join(names, ", ")+") VALUES ("+
		strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")+")", vals...)
	if err != nil {
		return 0, fmt.Errorf("copying a row of %s: %w", table, err)
	}
	return id, nil
}

// update sets columns of one row.
func (s *schema) update(ctx context.Context, table string, id int64, set row) error {
	if len(set) == 0 {
		return nil
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sortStrings(keys)
	parts := make([]string, len(keys))
	vals := make([]any, 0, len(keys)+1)
	for i, k := range keys {
		parts[i] = "`" + k + "` = ?"
		vals = append(vals, set[k])
	}
	_, err := s.q.Exec(ctx, "UPDATE {"+table+"} SET "+strings.Join(parts, ", ")+" WHERE id = ?", append(vals, id)...)
	if err != nil {
		return fmt.Errorf("updating %s %d: %w", table, id, err)
	}
	return nil
}

// in returns "(?, ?, …)" and the ids as arguments, for WHERE x IN.
func in(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}
