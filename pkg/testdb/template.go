package testdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	sqlfiles "github.com/moodle-ltiprovider/moodle-ltiprovider/sql"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/mariadb"
)

const (
	// markerTable exists in a template once it is complete; a template
	// without it is a build that crashed and is rebuilt.
	markerTable = "ltip_template_ready"
	// templateVersion changes when the way templates are built changes, so
	// that old templates are not mistaken for new ones.
	templateVersion = "1"
	// Templates nobody used for this long are dropped when a new one is built.
	templateUnusedFor = 7 * 24 * time.Hour
	// How long to wait for another process that is building the same template.
	templateLockWait = 300
)

// template is a database holding the fixture (and what a Prepare function
// added) that test databases are copied from, plus what this process read
// from it once: its state, against which test databases are reset, and how
// to copy each table.
type template struct {
	name     string
	base     dbState
	tables   []string          // every table, sorted
	creates  map[string]string // SHOW CREATE TABLE of tables with foreign keys, which LIKE would lose
	columns  map[string]string // column list of tables with generated columns, which SELECT * would try to fill
	nonEmpty map[string]bool
}

type templateOnce struct {
	once sync.Once
	tpl  *template
	err  error
}

// templateName is a hash of everything the template's content depends on,
// so any change to the fixture, prefix or Prepare key gives a new template.
func templateName(o options) string {
	h := sha256.New()
	for _, part := range []string{templateVersion, sqlfiles.MoodleFixture, sqlfiles.FixturePrefix, o.prefix, o.prepareKey} {
		fmt.Fprintf(h, "%d:%s\x00", len(part), part)
	}
	return "ltip_tpl_" + hex.EncodeToString(h.Sum(nil))[:12]
}

// template returns the template for o, building it if no process has yet.
// Each process reads a template once; a failure is remembered so that every
// test reports it without retrying.
func (s *server) template(ctx context.Context, o options) (*template, error) {
	name := templateName(o)
	v, _ := s.templates.LoadOrStore(name, &templateOnce{})
	to := v.(*templateOnce)
	to.once.Do(func() {
		built, err := s.ensureTemplate(ctx, name, o)
		if err == nil {
			to.tpl, err = s.loadTemplate(ctx, name)
		}
		if err != nil {
			to.err = fmt.Errorf("testdb: template %s on %s: %w", name, s.desc, err)
		}
		if built {
			// Rare (a new fixture or Prepare key) and slow: in the
			// background; Main waits for it.
			s.pool.drops.Add(1)
			go func() {
				defer s.pool.drops.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				s.dropUnusedTemplates(ctx, name)
			}()
		}
	})
	return to.tpl, to.err
}

// ensureTemplate makes sure template name is complete. Test processes of one
// run (and of runs on other machines sharing the server) build it at most
// once between them: a named lock serialises them, and the marker table says
// the build finished.
func (s *server) ensureTemplate(ctx context.Context, name string, o options) (built bool, err error) {
	conn, err := s.admin.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, templateLockWait).Scan(&got); err != nil {
		return false, err
	}
	if got.Int64 != 1 {
		return false, fmt.Errorf("another test process has been building it for %d s; is one stuck?", templateLockWait)
	}
	defer releaseLock(conn, name)

	ready, err := hasTable(ctx, conn, name, markerTable)
	if err != nil {
		return false, err
	}
	if !ready {
		if err := s.buildTemplate(ctx, name, o); err != nil {
			return false, err
		}
		built = true
	}
	_, err = conn.ExecContext(ctx, "UPDATE "+qualified(name, markerTable)+" SET last_used = NOW()")
	return built, err
}

// releaseLock releases a GET_LOCK lock; if it cannot, it discards the
// connection, which releases the lock, rather than pool a connection that
// still holds it.
func releaseLock(conn *sql.Conn, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := conn.ExecContext(ctx, "DO RELEASE_LOCK(?)", name); err != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

func hasTable(ctx context.Context, q querier, db, table string) (bool, error) {
	rows, err := q.QueryContext(ctx,
		"SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", db, table)
	if err != nil {
		return false, err
	}
	found := false
	err = scanAll(rows, func() error { found = true; return nil })
	return found, err
}

func (s *server) buildTemplate(ctx context.Context, name string, o options) error {
	fx, err := mariadb.ParseFixture(sqlfiles.MoodleFixture, sqlfiles.FixturePrefix, o.prefix)
	if err != nil {
		return err
	}
	if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quote(name)); err != nil {
		return err
	}
	if _, err := s.admin.ExecContext(ctx, createDatabase(name)); err != nil {
		return err
	}
	db, err := openConfig(s.adminConfig(name))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := mariadb.LoadFixture(ctx, db, fx); err != nil {
		return err
	}

	if o.prepare != nil {
		udb, err := openConfig(s.userConfig(name))
		if err != nil {
			return err
		}
		err = o.prepare(ctx, udb, o.prefix)
		udb.Close()
		if err != nil {
			return fmt.Errorf("prepare %q: %w", o.prepareKey, err)
		}
	}
	st, err := readState(ctx, s.admin, name, nil)
	if err != nil {
		return err
	}
	if st.objects > 0 {
		return errors.New("it has triggers, routines or events, which test databases cannot copy")
	}
	for _, t := range sortedKeys(st.tables) {
		if st.tables[t].kind != "BASE TABLE" {
			return fmt.Errorf("%s is a %s; test databases can only copy tables", t, st.tables[t].kind)
		}
	}

	if _, err := s.admin.ExecContext(ctx, "CREATE TABLE "+qualified(name, markerTable)+
		" (prefix VARCHAR(32) NOT NULL, prepare_key VARCHAR(255) NOT NULL,"+
		" built_at DATETIME NOT NULL, last_used DATETIME NOT NULL)"); err != nil {
		return err
	}
	_, err = s.admin.ExecContext(ctx, "INSERT INTO "+qualified(name, markerTable)+
		" VALUES (?, ?, NOW(), NOW())", o.prefix, o.prepareKey)
	return err
}

func createDatabase(name string) string { return mariadb.CreateDatabase(name) }

// inTx runs multi-statement queries in one transaction.
func inTx(ctx context.Context, db *sql.DB, queries []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, q := range queries {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// loadTemplate reads what this process needs to know about a complete
// template: its state and how to copy each table.
func (s *server) loadTemplate(ctx context.Context, name string) (*template, error) {
	st, err := readState(ctx, s.admin, name, nil)
	if err != nil {
		return nil, err
	}
	tpl := &template{
		name:     name,
		base:     st,
		tables:   sortedKeys(st.tables),
		creates:  map[string]string{},
		columns:  map[string]string{},
		nonEmpty: map[string]bool{},
	}

	rows, err := s.admin.QueryContext(ctx, `SELECT DISTINCT TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS
		WHERE CONSTRAINT_SCHEMA = ?`, name)
	if err != nil {
		return nil, err
	}
	var withFK []string
	err = scanAll(rows, func() error {
		var t string
		err := rows.Scan(&t)
		withFK = append(withFK, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, t := range withFK {
		var table, create string
		if err := s.admin.QueryRowContext(ctx, "SHOW CREATE TABLE "+qualified(name, t)).Scan(&table, &create); err != nil {
			return nil, err
		}
		tpl.creates[t] = create
	}

	rows, err = s.admin.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME,
		EXTRA LIKE '%VIRTUAL GENERATED%' OR EXTRA LIKE '%STORED GENERATED%' OR EXTRA LIKE '%PERSISTENT%'
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`, name)
	if err != nil {
		return nil, err
	}
	plain, generated := map[string][]string{}, map[string]bool{}
	err = scanAll(rows, func() error {
		var t, c string
		var gen bool
		if err := rows.Scan(&t, &c, &gen); err != nil {
			return err
		}
		if gen {
			generated[t] = true
		} else {
			plain[t] = append(plain[t], quote(c))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for t := range generated {
		tpl.columns[t] = strings.Join(plain[t], ", ")
	}

	// Which tables have rows: copying only those saves ~400 statements.
	var probes []string
	for _, t := range tpl.tables {
		probes = append(probes, fmt.Sprintf("SELECT %s, EXISTS(SELECT 1 FROM %s)", sqlString(t), qualified(name, t)))
	}
	if len(probes) > 0 {
		rows, err = s.admin.QueryContext(ctx, strings.Join(probes, " UNION ALL "))
		if err != nil {
			return nil, err
		}
		err = scanAll(rows, func() error {
			var t string
			var has bool
			if err := rows.Scan(&t, &has); err != nil {
				return err
			}
			tpl.nonEmpty[t] = has
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return tpl, nil
}

// copyRows is the statement that fills table t of database db with the
// template's rows.
func (tpl *template) copyRows(db, t string) string {
	if cols := tpl.columns[t]; cols != "" {
		return fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s", qualified(db, t), cols, cols, qualified(tpl.name, t))
	}
	return fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", qualified(db, t), qualified(tpl.name, t))
}

// sqlString quotes a string literal; used only for table names read from
// information_schema.
func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + "'"
}
