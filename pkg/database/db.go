package database

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"regexp"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

var sqlOpenDB = sql.OpenDB

// Querier runs SQL written in Moodle's {table} notation, on the database or
// inside a transaction. Every function that reads or writes Moodle's tables
// takes one, so callers decide what shares a transaction.
type Querier interface {
	// Get scans one row into dest; no row is ErrNotFound.
	Get(ctx context.Context, dest any, query string, args ...any) error
	// Select scans every row into the slice dest.
	Select(ctx context.Context, dest any, query string, args ...any) error
	// Exec runs a statement; a unique-key violation is ErrDuplicate.
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	// Insert runs an INSERT and returns the new row's id.
	Insert(ctx context.Context, query string, args ...any) (int64, error)
	// Query returns rows for streaming; the caller closes them.
	Query(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
	// Table returns the quoted, prefixed name of a Moodle table.
	Table(name string) string
}

// DB is Moodle's database: a connection pool plus the table prefix.
type DB struct {
	X       *sqlx.DB
	Name    string // database name, part of lock names
	prefix  string
	queries sync.Map // query text → *query
	prep    preparer
	// sessionReadCommitted: every connection was opened at READ
	// COMMITTED (Open), so transactions need not set it.
	sessionReadCommitted bool
	memo                 sync.Map // Remember's values
}

// Remember returns the value kept under key for this database, loading it
// with load the first time (and again after a failed load). It is for
// facts that do not change while the service runs, such as the id of
// Moodle's system context: a value read inside a transaction must not
// depend on that transaction's own writes.
func (db *DB) Remember(key string, load func() (any, error)) (any, error) {
	if v, ok := db.memo.Load(key); ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return nil, err
	}
	db.memo.Store(key, v)
	return v, nil
}

// New wraps an open pool. Open is the usual way to get a DB.
func New(x *sqlx.DB, name, prefix string) *DB {
	db := &DB{X: x, Name: name, prefix: prefix}
	db.prep.after = defaultPrepareAfter
	return db
}

// Prefix is Moodle's table prefix.
func (db *DB) Prefix() string { return db.prefix }

// Close closes the pool and its prepared statements.
func (db *DB) Close() error {
	db.closePrepared()
	return db.X.Close()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.X.PingContext(ctx) }

var tableRef = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\}`)

// Expand rewrites {name} to the quoted, prefixed table name. Results are
// cached, so the rewrite costs one map lookup per statement.
func (db *DB) Expand(query string) string { return db.lookup(query).text }

// Table returns the quoted, prefixed name of a Moodle table.
func (db *DB) Table(name string) string { return "`" + db.prefix + name + "`" }

func (db *DB) Get(ctx context.Context, dest any, query string, args ...any) error {
	q := db.lookup(query)
	if s := db.stmt(q); s != nil {
		return translate(s.GetContext(ctx, dest, args...))
	}
	return translate(db.X.GetContext(ctx, dest, q.text, args...))
}

func (db *DB) Select(ctx context.Context, dest any, query string, args ...any) error {
	q := db.lookup(query)
	if s := db.stmt(q); s != nil {
		return translate(s.SelectContext(ctx, dest, args...))
	}
	return translate(db.X.SelectContext(ctx, dest, q.text, args...))
}

func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q := db.lookup(query)
	if s := db.stmt(q); s != nil {
		res, err := s.ExecContext(ctx, args...)
		return res, translate(err)
	}
	res, err := db.X.ExecContext(ctx, q.text, args...)
	return res, translate(err)
}

func (db *DB) Insert(ctx context.Context, query string, args ...any) (int64, error) {
	return insertID(db.Exec(ctx, query, args...))
}

func (db *DB) Query(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	q := db.lookup(query)
	if s := db.stmt(q); s != nil {
		rows, err := s.QueryxContext(ctx, args...)
		return rows, translate(err)
	}
	rows, err := db.X.QueryxContext(ctx, q.text, args...)
	return rows, translate(err)
}

// Tx is a transaction on Moodle's database.
type Tx struct {
	X            *sqlx.Tx
	db           *DB
	beforeCommit []func(ctx context.Context) error
	afterCommit  []func()
	onRollback   []func()
	values       map[any]any
}

// stmt is the transaction's copy of q's prepared statement (prepared on
// the transaction's connection if it is not yet), or nil to run q as text.
func (tx *Tx) stmt(ctx context.Context, q *query) *sqlx.Stmt {
	if s := tx.db.stmt(q); s != nil {
		return tx.X.StmtxContext(ctx, s)
	}
	return nil
}

func (tx *Tx) Get(ctx context.Context, dest any, query string, args ...any) error {
	q := tx.db.lookup(query)
	if s := tx.stmt(ctx, q); s != nil {
		return translate(s.GetContext(ctx, dest, args...))
	}
	return translate(tx.X.GetContext(ctx, dest, q.text, args...))
}

func (tx *Tx) Select(ctx context.Context, dest any, query string, args ...any) error {
	q := tx.db.lookup(query)
	if s := tx.stmt(ctx, q); s != nil {
		return translate(s.SelectContext(ctx, dest, args...))
	}
	return translate(tx.X.SelectContext(ctx, dest, q.text, args...))
}

func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q := tx.db.lookup(query)
	if s := tx.stmt(ctx, q); s != nil {
		res, err := s.ExecContext(ctx, args...)
		return res, translate(err)
	}
	res, err := tx.X.ExecContext(ctx, q.text, args...)
	return res, translate(err)
}

func (tx *Tx) Insert(ctx context.Context, query string, args ...any) (int64, error) {
	return insertID(tx.Exec(ctx, query, args...))
}

func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	q := tx.db.lookup(query)
	if s := tx.stmt(ctx, q); s != nil {
		rows, err := s.QueryxContext(ctx, args...)
		return rows, translate(err)
	}
	rows, err := tx.X.QueryxContext(ctx, q.text, args...)
	return rows, translate(err)
}

// Table returns the quoted, prefixed name of a Moodle table.
func (tx *Tx) Table(name string) string { return tx.db.Table(name) }

// DB is the database the transaction runs on.
func (tx *Tx) DB() *DB { return tx.db }

// BeforeCommit registers fn to run inside the transaction once its work is
// done, just before the commit, in the order registered; an error rolls
// the transaction back. Rows that can wait until then are written there
// together, in one statement (moodle's log-store events).
func (tx *Tx) BeforeCommit(fn func(ctx context.Context) error) {
	tx.beforeCommit = append(tx.beforeCommit, fn)
}

// Value returns what SetValue kept under key for this transaction (nil if
// nothing). A rerun of the transaction starts without values.
func (tx *Tx) Value(key any) any { return tx.values[key] }

// SetValue keeps v under key for the transaction's life.
func (tx *Tx) SetValue(key, v any) {
	if tx.values == nil {
		tx.values = map[any]any{}
	}
	tx.values[key] = v
}

// AfterCommit registers fn to run once the transaction has committed, for
// side effects outside the database (files, caches) that must not happen
// when it rolls back.
func (tx *Tx) AfterCommit(fn func()) { tx.afterCommit = append(tx.afterCommit, fn) }

// OnRollback registers fn to run if the transaction rolls back, to undo
// work done outside the database before the commit (a session file written
// ahead of its sessions row).
func (tx *Tx) OnRollback(fn func()) { tx.onRollback = append(tx.onRollback, fn) }

func insertID(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// maxAttempts bounds how often WithTx reruns a transaction that lost a race.
const maxAttempts = 4

// WithTx runs fn in one READ COMMITTED transaction (Moodle's isolation level)
// and commits it, or rolls it back when fn returns an error. A transaction
// that hits a deadlock or a unique-key race is run again from the start, so
// fn must do all its reading inside the transaction.
func (db *DB) WithTx(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.runTx(ctx, fn)
		if err == nil || attempt == maxAttempts || !retryable(err) || ctx.Err() != nil {
			return err
		}
		// A short random pause lets the winner of the race commit first.
		time.Sleep(time.Duration(attempt*5+rand.IntN(10)) * time.Millisecond)
	}
}

func (db *DB) runTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	opts := &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	if db.sessionReadCommitted {
		opts = nil // the connection's level already; saves a round trip
	}
	x, err := db.X.BeginTxx(ctx, opts)
	if err != nil {
		return translate(err)
	}
	tx := &Tx{X: x, db: db}
	defer func() {
		if p := recover(); p != nil {
			_ = x.Rollback()
			for _, f := range tx.onRollback {
				f()
			}
			panic(p)
		}
		if err != nil {
			_ = x.Rollback()
			for _, f := range tx.onRollback {
				f()
			}
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	for i := 0; i < len(tx.beforeCommit); i++ {
		if err = tx.beforeCommit[i](ctx); err != nil {
			return err
		}
	}
	if err = translate(x.Commit()); err != nil {
		return err
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

func retryable(err error) bool {
	return errors.Is(err, ErrDeadlock) || errors.Is(err, ErrDuplicate)
}
