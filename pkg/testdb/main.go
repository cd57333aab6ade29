package testdb

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync/atomic"
	"testing"
	"time"
)

// mainCalled tells New that Main will clean up after the run.
var mainCalled atomic.Bool

// Main runs the package's tests and then removes what they left: the pooled
// databases, failed tests' databases (unless LTIPROVIDER_TEST_KEEP=1), and
// the throwaway server if one was started. Call it from TestMain:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
func Main(m *testing.M) {
	mainCalled.Store(true)
	code := m.Run()
	shutdown()
	os.Exit(code)
}

// shutdown cleans up after the tests; a package whose tests never asked for
// a database never looked for a server, and has nothing to do.
func shutdown() {
	serverMu.Lock()
	s := theServer
	serverMu.Unlock()
	if s == nil {
		return
	}
	s.pool.drops.Wait()
	s.pool.mu.Lock()
	var drop, kept []string
	for name, o := range s.pool.owned {
		if o.keptBy != "" && keepAfterRun() {
			kept = append(kept, fmt.Sprintf("%s (%s)", name, o.keptBy))
		} else {
			drop = append(drop, name)
		}
	}
	s.pool.owned = nil
	s.pool.free = nil
	s.pool.mu.Unlock()
	sort.Strings(kept)

	if s.throwaway != nil {
		// Killing the server throws away every database at once.
		s.admin.Close()
		s.throwaway.Stop()
		if len(kept) > 0 {
			fmt.Fprintf(os.Stderr, "testdb: %s=1 cannot keep databases on a throwaway server; lost: %v\n", envKeep, kept)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, name := range drop {
		if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quote(name)); err != nil {
			fmt.Fprintf(os.Stderr, "testdb: dropping %s: %v (the next run drops it)\n", name, err)
		}
	}
	if len(kept) > 0 {
		fmt.Fprintf(os.Stderr, "testdb: kept for inspection on %s, for a day: %v\n", s.desc, kept)
	}
	s.admin.Close()
}
