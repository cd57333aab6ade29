package moodle

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Record is a row as Moodle's PHP holds it after $DB->get_record(): every
// column in the table's order, each value a string, NULL as nil. Its JSON is
// what PHP's json_encode() prints for such a record, so answers that the
// plugin produced with json_encode($record) stay byte-compatible.
type Record struct {
	Columns []string
	Values  []*string
}

// GetRecord runs a query that returns one row; no row is database.ErrNotFound.
func GetRecord(ctx context.Context, q database.Querier, query string, args ...any) (Record, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return Record{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Record{}, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Record{}, err
		}
		return Record{}, database.ErrNotFound
	}
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return Record{}, err
	}
	rec := Record{Columns: cols, Values: make([]*string, len(cols))}
	for i, b := range raw {
		if b != nil {
			s := string(b)
			rec.Values[i] = &s
		}
	}
	return rec, rows.Err()
}

// Get returns a column's value; ok is false for NULL or a missing column.
func (r Record) Get(column string) (string, bool) {
	for i, c := range r.Columns {
		if c == column && r.Values[i] != nil {
			return *r.Values[i], true
		}
	}
	return "", false
}

// Set replaces a column's value, as PHP code does before json_encode.
func (r *Record) Set(column string, value *string) {
	for i, c := range r.Columns {
		if c == column {
			r.Values[i] = value
			return
		}
	}
	r.Columns = append(r.Columns, column)
	r.Values = append(r.Values, value)
}

// Fields returns the record as ordered key/value pairs (nil for NULL).
func (r Record) Fields() Fields {
	f := make(Fields, len(r.Columns))
	for i, c := range r.Columns {
		if r.Values[i] == nil {
			f[i] = Field{c, nil}
		} else {
			f[i] = Field{c, *r.Values[i]}
		}
	}
	return f
}

// MarshalJSON encodes the record as PHP's json_encode() does.
func (r Record) MarshalJSON() ([]byte, error) {
	s, err := PHPJSON(r.Fields())
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return []byte(s), nil
}
