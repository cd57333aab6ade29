package session

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// store is where one Moodle session handler keeps sessions.
type store interface {
	// write adds a new, logged-in session (Moodle's add_session() plus the
	// data PHP writes at the end of the login request).
	write(ctx context.Context, tx *database.Tx, s newSession) error
	// destroy removes a session as the handler's destroy() does.
	destroy(ctx context.Context, q database.Querier, sid string) error
	// sessionsOf lists a user's sessions, for the concurrent-login limit.
	sessionsOf(ctx context.Context, q database.Querier, userID int64) ([]sessionRef, error)
}

type newSession struct {
	sid    string
	userID int64
	data   []byte // PHP session encoding
	now    time.Time
	ip     string
}

type sessionRef struct {
	SID         string `db:"sid"`
	TimeCreated int64  `db:"timecreated"`
}

// rowStore is the sessions table that every handler but redis keeps:
// Moodle ignores a session's data unless its row exists, so deleting the
// row ends the session whatever holds the data (memcached included).
type rowStore struct{}

func (rowStore) write(ctx context.Context, tx *database.Tx, s newSession) error {
	return fmt.Errorf("the service does not write this session handler's data")
}

// insertRow writes the row as handler::add_session() does, with sessdata
// as the database handler's write() leaves it (nil for other handlers).
func insertRow(ctx context.Context, q database.Querier, s newSession, sessdata any) error {
	t := s.now.Unix()
	_, err := q.Exec(ctx, "INSERT INTO {sessions} (state, sid, userid, sessdata, timecreated, timemodified, firstip, lastip) "+
		"VALUES (0, ?, ?, ?, ?, ?, ?, ?)", s.sid, s.userID, sessdata, t, t, s.ip, s.ip)
	if err != nil {
		return fmt.Errorf("sessions row: %w", err)
	}
	return nil
}

func (rowStore) destroy(ctx context.Context, q database.Querier, sid string) error {
	if _, err := q.Exec(ctx, "DELETE FROM {sessions} WHERE sid = ?", sid); err != nil {
		return fmt.Errorf("deleting session: %w", err)
	}
	return nil
}

func (rowStore) sessionsOf(ctx context.Context, q database.Querier, userID int64) ([]sessionRef, error) {
	var refs []sessionRef
	err := q.Select(ctx, &refs, "SELECT sid, timecreated FROM {sessions} WHERE userid = ?", userID)
	return refs, err
}

// dbStore is \core\session\database: the data, base64, in sessdata.
type dbStore struct{ rowStore }

func (dbStore) write(ctx context.Context, tx *database.Tx, s newSession) error {
	return insertRow(ctx, tx, s, base64.StdEncoding.EncodeToString(s.data))
}

// afterCommit runs fn after the transaction commits when q is one, now
// otherwise: work outside the database must not happen for a rolled-back
// change.
func afterCommit(q database.Querier, fn func()) {
	if tx, ok := q.(*database.Tx); ok {
		tx.AfterCommit(fn)
		return
	}
	fn()
}
