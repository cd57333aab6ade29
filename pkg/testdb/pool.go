package testdb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sync"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/mariadb"
)

// Test databases are named ltip_t_<host>_<pid>_<n>: the host and pid say
// which process owns one, so a later run can drop those of a process that
// died, and never those of one still running, here or on another machine.
var dbPrefix = sync.OnceValue(func() string {
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(host))
	return "ltip_t_" + hex.EncodeToString(sum[:])[:8] + "_"
})

// keptTable marks a failed test's database that LTIPROVIDER_TEST_KEEP=1
// keeps after the run; other processes leave it alone for keptFor.
const (
	keptTable = "ltip_kept"
	keptFor   = "1 DAY"
)

// pool holds this process's test databases. A database is in one of three
// places: free (reset to its template, waiting for a test), in use by a
// test, or kept because its test failed.
type pool struct {
	mu    sync.Mutex
	free  map[string][]string // template name → free databases
	owned map[string]*owned   // every database this process made and has not dropped
	next  int
	drops sync.WaitGroup // drops run in the background; Main waits for them
}

type owned struct {
	keptBy string // name of the failed test, if kept
}

// take hands out a database in its template's state: a free one if there
// is one (a reset costs tens of milliseconds), else a new copy (a second).
func (s *server) take(ctx context.Context, tpl *template) (string, error) {
	s.staleOnce.Do(func() { s.dropStale(ctx) })
	p := &s.pool
	p.mu.Lock()
	if free := p.free[tpl.name]; len(free) > 0 {
		name := free[len(free)-1]
		p.free[tpl.name] = free[:len(free)-1]
		p.mu.Unlock()
		return name, nil
	}
	p.next++
	name := fmt.Sprintf("%s%d_%d", dbPrefix(), os.Getpid(), p.next)
	if p.owned == nil {
		p.owned = map[string]*owned{}
	}
	p.owned[name] = &owned{}
	p.mu.Unlock()
	if err := s.clone(ctx, name, tpl); err != nil {
		s.dropAsync(name)
		return "", err
	}
	return name, nil
}

// put returns a database that was reset to its template.
func (s *server) put(tpl *template, name string) {
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	if s.pool.free == nil {
		s.pool.free = map[string][]string{}
	}
	s.pool.free[tpl.name] = append(s.pool.free[tpl.name], name)
}

// clone copies the template into a new database. CREATE TABLE ... LIKE
// copies definitions but not foreign keys (those tables use the template's
// SHOW CREATE TABLE) nor AUTO_INCREMENT counters, which the closing sync
// sets, checking the copy against the template on the way.
func (s *server) clone(ctx context.Context, name string, tpl *template) error {
	if _, err := s.admin.ExecContext(ctx, createDatabase(name)); err != nil {
		return err
	}
	db, err := openConfig(s.adminConfig(name))
	if err != nil {
		return err
	}
	defer db.Close()
	// One connection, so the batches run in order on the same session.
	db.SetMaxOpenConns(1)
	var ddl, copies []string
	for _, t := range tpl.tables {
		if create := tpl.creates[t]; create != "" {
			ddl = append(ddl, create)
		} else {
			ddl = append(ddl, "CREATE TABLE "+quote(t)+" LIKE "+qualified(tpl.name, t))
		}
		if tpl.nonEmpty[t] {
			copies = append(copies, tpl.copyRows(name, t))
		}
	}
	for _, b := range mariadb.Batches(ddl, 64<<10) {
		if _, err := db.ExecContext(ctx, b); err != nil {
			return err
		}
	}
	if err := inTx(ctx, db, mariadb.Batches(copies, 64<<10)); err != nil {
		return err
	}
	if err := s.sync(ctx, name, tpl); err != nil {
		return fmt.Errorf("the copy differs from the template: %w", err)
	}
	return nil
}

// keep marks a failed test's database so that nobody resets it; with
// LTIPROVIDER_TEST_KEEP=1 it also survives Main and other processes'
// clean-ups for a day.
func (s *server) keep(ctx context.Context, name, test string) error {
	s.pool.mu.Lock()
	if o := s.pool.owned[name]; o != nil {
		o.keptBy = test
	}
	s.pool.mu.Unlock()
	if !keepAfterRun() || s.throwaway != nil {
		return nil
	}
	if _, err := s.admin.ExecContext(ctx, "CREATE TABLE "+qualified(name, keptTable)+
		" (test VARCHAR(255) NOT NULL, kept_at DATETIME NOT NULL)"); err != nil {
		return err
	}
	_, err := s.admin.ExecContext(ctx, "INSERT INTO "+qualified(name, keptTable)+" VALUES (?, NOW())", test)
	return err
}

func keepAfterRun() bool { return os.Getenv(envKeep) == "1" }

// dropAsync drops a database in the background: DROP DATABASE of 500
// tables takes about a second that no test needs to wait for.
func (s *server) dropAsync(name string) {
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	s.dropLocked(name)
}

// dropLocked is dropAsync with pool.mu held.
func (s *server) dropLocked(name string) {
	delete(s.pool.owned, name)
	s.pool.drops.Add(1)
	go func() {
		defer s.pool.drops.Done()
		s.admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+quote(name))
	}()
}
