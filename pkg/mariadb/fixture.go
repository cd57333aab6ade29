package mariadb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Fixture is a mysqldump-style script split into its CREATE TABLE and
// INSERT statements, with the table prefix already rewritten.
type Fixture struct {
	Creates []string
	Inserts []string
}

// ParseFixture splits a mysqldump-style script into statements and renames
// every backticked identifier that starts with from (tables and indexes) so
// that it starts with to. It tracks quotes so that data is never touched: a
// row whose text happens to contain `mdl_x` or a ';' stays as it is.
func ParseFixture(script, from, to string) (Fixture, error) {
	var out Fixture
	var b strings.Builder
	b.Grow(len(script) + len(script)/8)
	flush := func() error {
		stmt := strings.TrimSpace(b.String())
		b.Reset()
		switch {
		case stmt == "":
		case hasPrefixFold(stmt, "CREATE TABLE"):
			out.Creates = append(out.Creates, stmt)
		case hasPrefixFold(stmt, "INSERT INTO"):
			out.Inserts = append(out.Inserts, stmt)
		default:
			// Anything else (SET, LOCK TABLES, ...) would change how the
			// template is built; the fixture is generated without them.
			return fmt.Errorf("fixture: unexpected statement %.60q", stmt)
		}
		return nil
	}
	atLineStart := true
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case atLineStart && strings.HasPrefix(script[i:], "--"):
			// A comment line: skip it whole.
			j := strings.IndexByte(script[i:], '\n')
			if j < 0 {
				i = len(script)
				continue
			}
			i += j // the loop's i++ steps over the newline
			continue
		case c == '\'' || c == '"':
			j, err := endOfString(script, i)
			if err != nil {
				return out, err
			}
			b.WriteString(script[i : j+1])
			i = j
		case c == '`':
			j := strings.IndexByte(script[i+1:], '`')
			if j < 0 {
				return out, fmt.Errorf("fixture: unterminated identifier at byte %d", i)
			}
			ident := script[i+1 : i+1+j]
			if strings.HasPrefix(ident, from) {
				ident = to + ident[len(from):]
			}
			b.WriteByte('`')
			b.WriteString(ident)
			b.WriteByte('`')
			i += j + 1
		case c == ';':
			b.WriteByte(';')
			if err := flush(); err != nil {
				return out, err
			}
		default:
			b.WriteByte(c)
		}
		atLineStart = c == '\n' || (atLineStart && (c == ' ' || c == '\t'))
	}
	if strings.TrimSpace(b.String()) != "" {
		return out, fmt.Errorf("fixture: last statement has no ';'")
	}
	return out, nil
}

// endOfString returns the index of the quote that closes the string starting
// at s[start], honouring backslash escapes and doubled quotes.
func endOfString(s string, start int) (int, error) {
	q := s[start]
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case q:
			if i+1 < len(s) && s[i+1] == q {
				i++
				continue
			}
			return i, nil
		}
	}
	return 0, fmt.Errorf("fixture: unterminated string at byte %d", start)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// Batches joins statements into multi-statement queries of about max bytes,
// so that loading takes few round trips and stays under max_allowed_packet.
func Batches(stmts []string, max int) []string {
	var out []string
	var b strings.Builder
	for _, s := range stmts {
		if b.Len() > 0 && b.Len()+len(s) > max {
			out = append(out, b.String())
			b.Reset()
		}
		b.WriteString(s)
		if !strings.HasSuffix(s, ";") {
			b.WriteByte(';')
		}
		b.WriteByte('\n')
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// CreateDatabase is the statement that creates a database the way Moodle's
// installer wants it.
func CreateDatabase(name string) string {
	return "CREATE DATABASE `" + strings.ReplaceAll(name, "`", "``") + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
}

// LoadFixture creates the fixture's tables and rows in the database db is
// connected to. db must allow several statements per query
// (MultiStatements) and should use sql_mode NO_AUTO_VALUE_ON_ZERO so rows
// with id 0 keep it. Tables first, then every row in one transaction: one
// commit instead of one per row is most of the speed.
func LoadFixture(ctx context.Context, db *sql.DB, fx Fixture) error {
	for _, b := range Batches(fx.Creates, 256<<10) {
		if _, err := db.ExecContext(ctx, b); err != nil {
			return fmt.Errorf("loading the fixture: %w", err)
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, b := range Batches(fx.Inserts, 1<<20) {
		if _, err := tx.ExecContext(ctx, b); err != nil {
			tx.Rollback()
			return fmt.Errorf("loading the fixture: %w", err)
		}
	}
	return tx.Commit()
}
