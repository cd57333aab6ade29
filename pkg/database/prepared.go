package database

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
)

// Statements that run often are prepared on the server, once per
// connection, and then run with the binary protocol: the server parses
// and plans them once instead of at every run (a third of its time for
// the launch's joins). Statements that run rarely, and the ones past the
// cap, go as text with their parameters interpolated by the driver, as
// before; so do all statements of a server that refuses to prepare one.
const (
	// defaultPrepareAfter is how many runs of one query text it takes to
	// prepare it: one-off statements (migrations, lists of varying
	// length) never are.
	defaultPrepareAfter = 8
	// maxPrepared bounds the statements a pool prepares. Each is kept per
	// connection on the server (max_prepared_stmt_count is shared with
	// every client): 64 × db.max_open_conns.
	maxPrepared = 64
)

// query is one query text: its expansion, how often it ran, and its
// prepared statement once it has one.
type query struct {
	text      string // {table} expanded
	runs      atomic.Int64
	stmt      atomic.Pointer[sqlx.Stmt]
	preparing atomic.Bool
	noPrepare atomic.Bool
}

// preparer holds a pool's prepared statements.
type preparer struct {
	after    int64 // 0: never prepare
	mu       sync.Mutex
	prepared []*sqlx.Stmt
	closed   bool
}

// PrepareAfter sets how many runs of a query text it takes to prepare it
// (0: never). Tests set 1, so every statement they run takes the prepared
// path.
func (db *DB) PrepareAfter(runs int) { atomic.StoreInt64(&db.prep.after, int64(runs)) }

// lookup returns what the pool knows of a query text, expanding it the
// first time.
func (db *DB) lookup(q string) *query {
	if v, ok := db.queries.Load(q); ok {
		return v.(*query)
	}
	v, _ := db.queries.LoadOrStore(q, &query{text: tableRef.ReplaceAllString(q, "`"+db.prefix+"$1`")})
	return v.(*query)
}

// stmt returns the prepared statement to run q with, or nil to run q as
// text. When q has run often enough, it is prepared in the background:
// preparing takes a connection of the pool, which a caller inside a
// transaction (holding one) must never wait for.
func (db *DB) stmt(q *query) *sqlx.Stmt {
	if s := q.stmt.Load(); s != nil {
		return s
	}
	after := atomic.LoadInt64(&db.prep.after)
	if after == 0 || q.noPrepare.Load() || q.runs.Add(1) < after {
		return nil
	}
	if q.preparing.CompareAndSwap(false, true) {
		go db.prepare(q)
	}
	return nil
}

// prepareTimeout bounds the wait for a connection to prepare on.
const prepareTimeout = 30 * time.Second

func (db *DB) prepare(q *query) {
	db.prep.mu.Lock()
	full := db.prep.closed || len(db.prep.prepared) >= maxPrepared
	db.prep.mu.Unlock()
	if full {
		q.noPrepare.Store(true)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), prepareTimeout)
	defer cancel()
	s, err := db.X.PreparexContext(ctx, q.text)
	if err != nil {
		// A statement the server will not prepare, or a full server
		// limit (max_prepared_stmt_count): text, as before, for good.
		q.noPrepare.Store(true)
		return
	}
	db.prep.mu.Lock()
	defer db.prep.mu.Unlock()
	if db.prep.closed || len(db.prep.prepared) >= maxPrepared {
		s.Close()
		q.noPrepare.Store(true)
		return
	}
	db.prep.prepared = append(db.prep.prepared, s)
	q.stmt.Store(s)
}

// closePrepared closes the pool's statements (Close).
func (db *DB) closePrepared() {
	db.prep.mu.Lock()
	defer db.prep.mu.Unlock()
	db.prep.closed = true
	for _, s := range db.prep.prepared {
		s.Close()
	}
	db.prep.prepared = nil
}
