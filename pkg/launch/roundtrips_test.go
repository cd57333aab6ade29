package launch

import (
	"context"
	"database/sql/driver"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// statementLog records every statement a pool sends, and the transactions
// it begins, as the server sees them.
type statementLog struct {
	mu    sync.Mutex
	stmts []string
}

func (l *statementLog) add(s string) {
	l.mu.Lock()
	l.stmts = append(l.stmts, strings.Join(strings.Fields(s), " "))
	l.mu.Unlock()
}

func (l *statementLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.stmts
	l.stmts = nil
	return out
}

type loggingConnector struct {
	driver.Connector
	log *statementLog
}

func (c loggingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return loggingConn{conn, c.log}, nil
}

type loggingConn struct {
	driver.Conn
	log *statementLog
}

func (c loggingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.log.add(q)
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
}

func (c loggingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.log.add(q)
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
}

func (c loggingConn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	if o.Isolation != 0 {
		c.log.add("SET TRANSACTION ISOLATION LEVEL") // what the driver sends first
	}
	c.log.add("START TRANSACTION")
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, o)
	if err != nil {
		return nil, err
	}
	return loggingTx{tx, c.log}, nil
}

type loggingTx struct {
	driver.Tx
	log *statementLog
}

func (t loggingTx) Commit() error { t.log.add("COMMIT"); return t.Tx.Commit() }

// The statements of a launch, counted through the driver with the
// service's own session handoff (the fixture keeps sessions in files) and
// warm caches, as in production: what the work on the hot path removed
// stays removed (docs/performance.md lists them). A first launch creates
// a user, enrols them and logs them in; a returning one logs them in.
func TestLaunchStatements(t *testing.T) {
	_, tdb := testenv.DB(t)
	dataroot := t.TempDir()
	if err := os.Mkdir(filepath.Join(dataroot, "sessions"), 0o700); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"LTIPROVIDER_DSN": tdb.DSN(), "LTIPROVIDER_DB_PREFIX": tdb.Prefix,
		"LTIPROVIDER_WWWROOT": wwwroot, "LTIPROVIDER_DATAROOT": dataroot}
	cfg, err := config.Load(config.Input{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	// The service's pool (READ COMMITTED set once per connection), its
	// connector wrapped to see the statements.
	log := &statementLog{}
	traced, err := database.OpenWith(context.Background(), cfg.DB, func(c driver.Connector) driver.Connector {
		return loggingConnector{c, log}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { traced.Close() })
	// Statements as text, each one seen by the connector (prepared ones
	// run through driver statements; they are the same statements).
	traced.PrepareAfter(0)

	e := &env{t: t, db: traced, tdb: tdb, now: time.Now(), wwwroot: wwwroot}
	sites := &moodle.SiteCache{DB: traced, Forced: cfg, TTL: time.Minute}
	e.h = New(Config{DB: traced, WWWRoot: wwwroot, TimestampWindow: 5 * time.Minute, Sites: sites, Forced: cfg,
		Sessions: session.New(cfg, sites, logging.Discard()), DataRoot: dataroot, Log: logging.Discard(),
		Now: func() time.Time { return e.now }, CacheTTL: time.Minute})
	router := web.NewRouter()
	e.h.Routes(router.PathPrefix(web.BasePath).Subrouter())
	e.srv = httptest.NewServer(web.Middleware(logging.Discard(), nil)(router))
	t.Cleanup(e.srv.Close)

	tool := e.courseTool()
	for _, id := range []string{"warm-1", "warm-2"} { // bind the key, fill the caches
		e.wantRedirect(e.launch(tool, launchForm(id)), "/course/view.php?id=3")
	}
	log.take()
	for _, c := range []struct {
		user string
		want int
	}{
		// nonce; START; consumer key; place; users; user; context and
		// its path; course modules (SSO); manual enrolment; enrolment;
		// role and assignment; assignment; cache flag; tool user;
		// outcome; layout; session: user row, preference and its cache
		// flag, sessions row, login times; the four events; COMMIT. (A
		// user created by the launch has no accesses, preferences or
		// messages to read. Before the work on the hot path: 47.)
		{"first", 24},
		// nonce; START; consumer key; place; user; course modules;
		// manual enrolment; tool user (one update); outcome; layout;
		// session: user row, accesses and preferences, sessions row,
		// login times; the event; COMMIT. (Before: 26.)
		{"warm-1", 16},
	} {
		e.now = e.now.Add(time.Second) // a later launch, as in life
		e.wantRedirect(e.launch(tool, launchForm(c.user)), "/course/view.php?id=3")
		got := log.take()
		if len(got) != c.want {
			t.Errorf("launch of %s: %d statements, want %d:\n  %s", c.user, len(got), c.want, strings.Join(got, "\n  "))
		}
		for _, s := range got {
			if strings.HasPrefix(s, "SET TRANSACTION") || strings.Contains(s, "FROM `"+tdb.Prefix+"local_ltiprovider` WHERE id") ||
				strings.Contains(s, "FROM `"+tdb.Prefix+"config") {
				t.Errorf("launch of %s: %s (cached or set once per connection)", c.user, s)
			}
		}
	}
}
