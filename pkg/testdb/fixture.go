package testdb

import (
	"fmt"
	"strings"
)

// fixtureSQL is the fixture split into its CREATE TABLE and INSERT
// statements, with the table prefix already rewritten.
type fixtureSQL struct {
	creates []string
	inserts []string
}

// parseFixture splits a mysqldump-style script into statements and renames
// every backticked identifier that starts with from (tables and indexes) so
// that it starts with to. It tracks quotes so that data is never touched: a
// row whose text happens to contain `mdl_x` or a ';' stays as it is.
func parseFixture(script, from, to string) (fixtureSQL, error) {
	var out fixtureSQL
	var b strings.Builder
	b.Grow(len(script) + len(script)/8)
	flush := func() error {
		stmt := strings.TrimSpace(b.String())
		b.Reset()
		switch {
		case stmt == "":
		case hasPrefixFold(stmt, "CREATE TABLE"):
			out.creates = append(out.creates, stmt)
		case hasPrefixFold(stmt, "INSERT INTO"):
			out.inserts = append(out.inserts, stmt)
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

// batches joins statements into multi-statement queries of about max bytes,
// so that loading takes few round trips and stays under max_allowed_packet.
func batches(stmts []string, max int) []string {
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
