package migrate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	sqlfiles "github.com/moodle-ltiprovider/moodle-ltiprovider/sql"
)

// Step is one change to the service's own tables. MySQL commits DDL at once,
// so a step can be applied and yet not recorded if the process dies; every
// step therefore checks before it changes anything, and running it twice is
// harmless.
type Step struct {
	Version int
	Name    string
	Run     func(ctx context.Context, m *Migrator) error
}

// Migrator applies steps to one database.
type Migrator struct {
	DB        *database.DB
	Collation string // the site's collation, e.g. utf8mb4_unicode_ci
	Now       func() time.Time
	rowFormat string
}

// Result says what a run changed.
type Result struct {
	Applied  []Step   // steps run, in order
	Settings []string // site settings written with their default
}

// Empty reports whether the run changed nothing.
func (r *Result) Empty() bool { return len(r.Applied) == 0 && len(r.Settings) == 0 }

const schemaTable = "local_ltiprovider_schema"

// Run applies every step not yet recorded, in version order, then writes
// the default of every site setting that is absent. Several replicas may
// start at once: a named lock makes them take turns.
func (m *Migrator) Run(ctx context.Context) (*Result, error) {
	if m.Now == nil {
		m.Now = time.Now
	}
	lock, err := m.DB.TryLock(ctx, "migrate", 120*time.Second)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if lock == nil {
		return nil, fmt.Errorf("migrate: another migration has held the lock for two minutes")
	}
	defer lock.Release()

	if err := m.ensureSchemaTable(ctx); err != nil {
		return nil, err
	}
	if m.rowFormat, err = m.detectRowFormat(ctx); err != nil {
		return nil, err
	}
	pending, err := m.Pending(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, s := range pending {
		if err := s.Run(ctx, m); err != nil {
			return res, fmt.Errorf("migrate: step %d (%s): %w", s.Version, s.Name, err)
		}
		if _, err := m.DB.Exec(ctx, "INSERT INTO {"+schemaTable+"} (version, name, timeapplied) VALUES (?, ?, ?)",
			s.Version, s.Name, m.Now().Unix()); err != nil {
			return res, fmt.Errorf("migrate: recording step %d: %w", s.Version, err)
		}
		res.Applied = append(res.Applied, s)
	}
	if res.Settings, err = ensureSettings(ctx, m.DB); err != nil {
		return res, err
	}
	return res, nil
}

// Pending returns the steps not yet applied, in order. A database without
// the schema table has every step pending.
func (m *Migrator) Pending(ctx context.Context) ([]Step, error) {
	var done []int
	err := m.DB.Select(ctx, &done, "SELECT version FROM {"+schemaTable+"}")
	if err != nil && !database.IsMissingTable(err) {
		return nil, fmt.Errorf("migrate: reading applied steps: %w", err)
	}
	applied := map[int]bool{}
	for _, v := range done {
		applied[v] = true
	}
	var pending []Step
	for _, s := range Steps() {
		if !applied[s.Version] {
			pending = append(pending, s)
		}
	}
	return pending, nil
}

// Steps returns every step, sorted by version.
func Steps() []Step {
	all := append([]Step(nil), steps...)
	sort.Slice(all, func(i, j int) bool { return all[i].Version < all[j].Version })
	return all
}

func (m *Migrator) ensureSchemaTable(ctx context.Context) error {
	_, err := m.DB.Exec(ctx, m.expand("CREATE TABLE IF NOT EXISTS {"+schemaTable+"} ("+
		"`version` BIGINT(10) NOT NULL, `name` VARCHAR(255) COLLATE @COLLATION@ NOT NULL DEFAULT '', "+
		"`timeapplied` BIGINT(10) NOT NULL, PRIMARY KEY (`version`)"+
		") ENGINE = InnoDB DEFAULT COLLATE = @COLLATION@ COMMENT='Schema steps applied by moodle-ltiprovider'"))
	if err != nil {
		return fmt.Errorf("migrate: creating %s: %w", schemaTable, err)
	}
	return nil
}

// detectRowFormat follows Moodle: compressed rows when the server stores a
// file per table (what utf8mb4 tables need), dynamic otherwise.
func (m *Migrator) detectRowFormat(ctx context.Context) (string, error) {
	var perTable int
	if err := m.DB.Get(ctx, &perTable, "SELECT @@innodb_file_per_table"); err != nil {
		return "", fmt.Errorf("migrate: reading innodb_file_per_table: %w", err)
	}
	if perTable == 1 {
		return "ROW_FORMAT=Compressed", nil
	}
	return "ROW_FORMAT=Dynamic", nil
}

// expand fills the placeholders of a migration file.
func (m *Migrator) expand(sqlText string) string {
	return strings.NewReplacer(
		"@COLLATION@", m.Collation,
		"@ROWFORMAT@", m.rowFormat,
		"@PREFIX@", m.DB.Prefix(),
	).Replace(sqlText)
}

// ExecFile runs one statement from sql/migrations.
func (m *Migrator) ExecFile(ctx context.Context, name string) error {
	b, err := sqlfiles.Migrations.ReadFile("migrations/" + name)
	if err != nil {
		return err
	}
	_, err = m.DB.Exec(ctx, m.expand(string(b)))
	return err
}

// TableExists reports whether one of Moodle's (prefixed) tables exists.
func (m *Migrator) TableExists(ctx context.Context, table string) (bool, error) {
	var n int
	err := m.DB.Get(ctx, &n, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
		m.DB.Prefix()+table)
	return n > 0, err
}

// ColumnExists reports whether a column exists.
func (m *Migrator) ColumnExists(ctx context.Context, table, column string) (bool, error) {
	var n int
	err := m.DB.Get(ctx, &n, "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?",
		m.DB.Prefix()+table, column)
	return n > 0, err
}

// IndexExists reports whether an index exists.
func (m *Migrator) IndexExists(ctx context.Context, table, index string) (bool, error) {
	var n int
	err := m.DB.Get(ctx, &n, "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?",
		m.DB.Prefix()+table, m.expand(index))
	return n > 0, err
}

// AddColumn adds a column unless it exists. definition is the SQL after the
// column name, e.g. "BIGINT(10) NOT NULL DEFAULT 0 AFTER `sendgrades`".
func (m *Migrator) AddColumn(ctx context.Context, table, column, definition string) error {
	ok, err := m.ColumnExists(ctx, table, column)
	if err != nil || ok {
		return err
	}
	_, err = m.DB.Exec(ctx, m.expand(fmt.Sprintf("ALTER TABLE {%s} ADD COLUMN `%s` %s", table, column, definition)))
	return err
}
