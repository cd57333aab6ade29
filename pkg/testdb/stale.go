package testdb

import (
	"context"
	"os"
	"strconv"
	"strings"
)

// dropStale drops test databases left by processes of this host that died
// without running Main (a crash, a timeout, kill -9), and by an earlier
// process that had our pid (not ours: this process's are in pool.owned).
// Databases kept with LTIPROVIDER_TEST_KEEP=1 stay for a day.
func (s *server) dropStale(ctx context.Context) {
	if s.throwaway != nil {
		return // a new server has none
	}
	like := strings.ReplaceAll(dbPrefix(), "_", `\_`) + "%"
	rows, err := s.admin.QueryContext(ctx, `SELECT s.SCHEMA_NAME, EXISTS(SELECT 1 FROM information_schema.TABLES t
		WHERE t.TABLE_SCHEMA = s.SCHEMA_NAME AND t.TABLE_NAME = ? AND t.CREATE_TIME > NOW() - INTERVAL `+keptFor+`)
		FROM information_schema.SCHEMATA s WHERE s.SCHEMA_NAME LIKE ?`, keptTable, like)
	if err != nil {
		return
	}
	var stale []string
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	scanAll(rows, func() error {
		var name string
		var kept bool
		if err := rows.Scan(&name, &kept); err != nil {
			return err
		}
		pid, _, _ := strings.Cut(strings.TrimPrefix(name, dbPrefix()), "_")
		n, err := strconv.Atoi(pid)
		mine := s.pool.owned[name] != nil
		if err == nil && !kept && !mine && (n == os.Getpid() || !processAlive(n)) {
			stale = append(stale, name)
		}
		return nil
	})
	for _, name := range stale {
		s.dropLocked(name)
	}
}
