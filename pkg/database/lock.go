package database

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"
)

// Lock is a MySQL named lock (GET_LOCK) held on its own connection, so that
// only one replica of the service runs a job at a time. The server frees it
// if the process dies and its connection drops.
type Lock struct {
	conn *sql.Conn
	name string
}

// LockName is the server-wide name of one of the service's locks. It carries
// the database and prefix, like Moodle's own lock names, so two Moodle sites
// on one server never share a lock, and stays within MySQL's 64 characters.
func (db *DB) LockName(name string) string {
	full := fmt.Sprintf("%s-%s-ltiprovider-%s", db.Name, db.prefix, name)
	if len(full) <= 64 {
		return full
	}
	sum := sha1.Sum([]byte(full))
	return "ltiprovider-" + hex.EncodeToString(sum[:])
}

// TryLock waits up to wait for the named lock. It returns (nil, nil) when
// another holder kept it for the whole wait.
func (db *DB) TryLock(ctx context.Context, name string, wait time.Duration) (*Lock, error) {
	conn, err := db.X.Conn(ctx)
	if err != nil {
		return nil, translate(err)
	}
	full := db.LockName(name)
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", full, int(wait.Seconds())).Scan(&got); err != nil {
		conn.Close()
		return nil, translate(err)
	}
	if !got.Valid || got.Int64 != 1 {
		conn.Close()
		return nil, nil
	}
	return &Lock{conn: conn, name: full}, nil
}

// Release frees the lock and returns its connection to the pool.
func (l *Lock) Release() error {
	// A fresh context: the lock must be freed even when the job's context
	// was cancelled.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := l.conn.ExecContext(ctx, "SELECT RELEASE_LOCK(?)", l.name)
	if cerr := l.conn.Close(); err == nil {
		err = cerr
	}
	return translate(err)
}
