package testdb

import (
	"context"
	"database/sql"
)

// dropUnusedTemplates drops templates that no process used for a week (an
// older fixture, an older Prepare key), so that they do not pile up on a
// developer's server. A template in use or being built holds or soon takes
// its lock, and its last_used is recent, so it is never dropped.
func (s *server) dropUnusedTemplates(ctx context.Context, current string) {
	rows, err := s.admin.QueryContext(ctx,
		`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'ltip\_tpl\_%'`)
	if err != nil {
		return
	}
	var names []string
	scanAll(rows, func() error {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		if n != current {
			names = append(names, n)
		}
		return nil
	})
	for _, n := range names {
		s.dropTemplateIfUnused(ctx, n)
	}
}

func (s *server) dropTemplateIfUnused(ctx context.Context, name string) {
	conn, err := s.admin.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	var got sql.NullInt64
	if conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got) != nil || got.Int64 != 1 {
		return // someone is building or checking it
	}
	defer releaseLock(conn, name)
	if ready, err := hasTable(ctx, conn, name, markerTable); err != nil {
		return
	} else if ready {
		var unused bool
		err := conn.QueryRowContext(ctx, "SELECT MAX(last_used) < NOW() - INTERVAL ? SECOND FROM "+
			qualified(name, markerTable), int(templateUnusedFor.Seconds())).Scan(&unused)
		if err != nil || !unused {
			return
		}
	}
	// Not ready and nobody holds the lock: a build that crashed.
	conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quote(name))
}
