package testdb

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/mariadb"
)

// reset brings a database a test used back to its template's state, or
// says why it cannot (then the caller drops it).
//
// Why this equals a fresh copy: what a later test can observe of a
// database is its set of tables, their definitions, their rows and their
// AUTO_INCREMENT counters (InnoDB stores the counter on disk, so it
// survives restarts and eviction from the table cache), plus triggers,
// routines and events. sync compares all of them with the template's: the
// set, definitions and other objects through information_schema, the rows
// through CHECKSUM TABLE (a CRC of every column of every row, read from the
// rows, not from statistics), the counters through information_schema.TABLES.
// A table equal in all is left alone. One whose rows or counter differ gets
// the template's rows back by the same INSERT ... SELECT that made the fresh
// copy, and the template's counter. Anything else (a table added, dropped or
// altered, a trigger) makes the database unusable. The repaired tables are
// then checked again. Not covered: a CRC collision (one in 2^32 per changed
// table), server-wide state (users, global variables), and InnoDB's index
// statistics, which could make a query without ORDER BY return rows in
// another order.
func (s *server) reset(ctx context.Context, name string, tpl *template) error {
	s.killConnections(ctx, name)
	return s.sync(ctx, name, tpl)
}

// killConnections ends connections still using the database: a test that
// leaked one (an open transaction, a worker not stopped) would otherwise
// block the reset or write into the next test's database.
func (s *server) killConnections(ctx context.Context, name string) {
	rows, err := s.admin.QueryContext(ctx,
		"SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()", name)
	if err != nil {
		return
	}
	var ids []int64
	scanAll(rows, func() error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	})
	for _, id := range ids {
		s.admin.ExecContext(ctx, "KILL CONNECTION "+strconv.FormatInt(id, 10))
	}
}

// sync makes database name equal to its template: see reset.
func (s *server) sync(ctx context.Context, name string, tpl *template) error {
	cur, err := readState(ctx, s.admin, name, nil)
	if err != nil {
		return err
	}
	changed, structural := difference(tpl.base, cur)
	if len(structural) > 0 {
		return fmt.Errorf("%s", strings.Join(structural, "; "))
	}
	if len(changed) == 0 {
		return nil
	}
	var rows, counters []string
	for _, t := range changed {
		want, got := tpl.base.tables[t], cur.tables[t]
		if want.checksum != got.checksum {
			rows = append(rows, "DELETE FROM "+qualified(name, t))
			if tpl.nonEmpty[t] {
				rows = append(rows, tpl.copyRows(name, t))
			}
		}
		// Deleting and copying rows leaves the counter where the test
		// moved it: InnoDB never lowers it by itself. Setting the
		// template's value works because it is at least max(id)+1 of the
		// template's rows, which the table now holds.
		if want.autoInc != got.autoInc && want.autoInc.Valid {
			counters = append(counters, fmt.Sprintf("ALTER TABLE %s AUTO_INCREMENT = %d", qualified(name, t), want.autoInc.Int64))
		}
	}
	if len(rows) > 0 {
		if err := inTx(ctx, s.admin, mariadb.Batches(rows, 256<<10)); err != nil {
			return err
		}
	}
	for _, b := range mariadb.Batches(counters, 64<<10) {
		if _, err := s.admin.ExecContext(ctx, b); err != nil {
			return err
		}
	}
	after, err := readState(ctx, s.admin, name, changed)
	if err != nil {
		return err
	}
	var wrong []string
	for _, t := range changed {
		if want, got := tpl.base.tables[t], after.tables[t]; want.checksum != got.checksum || want.autoInc != got.autoInc {
			wrong = append(wrong, describe(t, want, got))
		}
	}
	if len(wrong) > 0 {
		return fmt.Errorf("still differs from the template after the reset: %s", strings.Join(wrong, ", "))
	}
	return nil
}
