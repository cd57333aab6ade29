package session

import (
	"context"
	"log/slog"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/memcache"
)

// memcachedStore is Moodle's \core\session\memcached: the sessions row, as
// every handler but redis keeps it, and the data where the PHP memcached
// extension's session handler keeps it: key <prefix><sid>, flags 0 (a
// plain string), expiring after session.gc_maxlifetime, which Moodle sets
// to four days (its own timeout applies through the row).
type memcachedStore struct {
	rowStore
	mc     memcache.Client
	prefix string
	log    *slog.Logger
}

// memcachedLifetime is Moodle's session.gc_maxlifetime (manager.php).
const memcachedLifetime = 4 * 24 * 60 * 60

func (m memcachedStore) write(ctx context.Context, tx *database.Tx, s newSession) error {
	// The row first: a duplicate sid fails before any data exists.
	if err := insertRow(ctx, tx, s, nil); err != nil {
		return err
	}
	key := m.prefix + s.sid
	tx.OnRollback(func() {
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.mc.Delete(dctx, key); err != nil {
			m.log.Warn("cannot remove a rolled-back memcached session", "err", err)
		}
	})
	return m.mc.Set(ctx, key, s.data, memcachedLifetime)
}

func (m memcachedStore) destroy(ctx context.Context, q database.Querier, sid string) error {
	if err := m.rowStore.destroy(ctx, q, sid); err != nil {
		return err
	}
	if !validSID(sid) {
		return nil
	}
	afterCommit(q, func() {
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.mc.Delete(dctx, m.prefix+sid); err != nil {
			m.log.Warn("cannot destroy a memcached session", "err", err)
		}
	})
	return nil
}
