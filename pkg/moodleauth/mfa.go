package moodleauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Moodle's multi-factor authentication (admin/tool/mfa): a password login
// writes the session's user at once (sessions.userid), but while tool_mfa
// is enabled every page sends the session to the factors until
// $SESSION->tool_mfa_authenticated is set (tool_mfa_after_config() and
// manager::require_auth(), which also sets it for users with nothing to
// verify). A session without it has not finished logging in.

// ErrSessionUnreadable: the session's data, where the MFA flag is, cannot
// be read (a handler or compressor the service does not read, a session
// folder it cannot see).
var ErrSessionUnreadable = errors.New("moodleauth: the session's data cannot be read")

// maxSessionData bounds what is read of one session's data.
const maxSessionData = 8 << 20

// MFAPending reports whether Moodle would still send this logged-in
// session to its multi-factor authentication: tool_mfa is enabled and
// $SESSION->tool_mfa_authenticated is not set. When the session's data
// cannot be read it reports true with ErrSessionUnreadable, so that
// callers refuse rather than guess.
func (a *Authenticator) MFAPending(ctx context.Context, id Identity) (bool, error) {
	if !id.LoggedIn() {
		return false, nil
	}
	var enabled string
	err := a.DB.Get(ctx, &enabled, "SELECT value FROM {config_plugins} WHERE plugin = 'tool_mfa' AND name = 'enabled'")
	if errors.Is(err, database.ErrNotFound) || (err == nil && (enabled == "" || enabled == "0")) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("moodleauth: tool_mfa: %w", err)
	}
	data, err := a.sessionData(ctx, id.SID)
	if err != nil {
		return true, err
	}
	passed, err := sessionFlag(data, "SESSION", "tool_mfa_authenticated")
	if err != nil {
		return true, fmt.Errorf("%w: %v", ErrSessionUnreadable, err)
	}
	return !passed, nil
}

// DataStore is a Store that can also read a session's data.
type DataStore interface {
	// Data returns the session's data as PHP's session handler wrote it.
	Data(ctx context.Context, sid string) ([]byte, error)
}

// sessionData reads a session's data: from the session store when it can,
// else from the sessions row (database handler: base64 in sessdata), else
// from the file handler's sess_<sid> in SessionDir.
func (a *Authenticator) sessionData(ctx context.Context, sid string) ([]byte, error) {
	if !validSID.MatchString(sid) {
		return nil, ErrSessionUnreadable
	}
	if ds, ok := a.Sessions.(DataStore); ok {
		return ds.Data(ctx, sid)
	}
	if a.SessionData != nil {
		return a.SessionData.Data(ctx, sid)
	}
	if a.Sessions != nil {
		return nil, fmt.Errorf("%w: its store keeps no data", ErrSessionUnreadable)
	}
	var sessdata *string
	if err := a.DB.Get(ctx, &sessdata, "SELECT sessdata FROM {sessions} WHERE sid = ?", sid); err != nil {
		if errors.Is(err, database.ErrNotFound) {
			return nil, ErrSessionUnreadable
		}
		return nil, fmt.Errorf("moodleauth: session: %w", err)
	}
	if sessdata != nil {
		data, err := base64.StdEncoding.DecodeString(*sessdata)
		if err != nil {
			return nil, fmt.Errorf("%w: sessdata is not base64", ErrSessionUnreadable)
		}
		return data, nil
	}
	if a.SessionDir == "" {
		return nil, fmt.Errorf("%w: no session folder", ErrSessionUnreadable)
	}
	f, err := os.Open(filepath.Join(a.SessionDir, "sess_"+sid))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSessionUnreadable, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSessionData))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSessionUnreadable, err)
	}
	return data, nil
}

// sessionFlag reports whether the session variable name (an object, like
// $SESSION) has a property prop that PHP's empty() calls set. It reads
// PHP's "php" session format and walks every other value without
// interpreting it, so no string inside the data can pose as the property.
func sessionFlag(data []byte, name, prop string) (bool, error) {
	p := &phpScanner{b: data}
	for p.pos < len(p.b) {
		bar := bytes.IndexByte(p.b[p.pos:], '|')
		if bar <= 0 {
			return false, p.errorf("session variable without a name")
		}
		v := string(p.b[p.pos : p.pos+bar])
		p.pos += bar + 1
		if v != name {
			if err := p.skip(0); err != nil {
				return false, err
			}
			continue
		}
		return p.objectFlag(prop)
	}
	return false, nil
}

// phpScanner walks values of PHP's serialize() format.
type phpScanner struct {
	b   []byte
	pos int
}

func (p *phpScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("session data at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *phpScanner) expect(s string) error {
	if !bytes.HasPrefix(p.b[p.pos:], []byte(s)) {
		return p.errorf("want %q", s)
	}
	p.pos += len(s)
	return nil
}

// until returns the text up to the next c and moves past c.
func (p *phpScanner) until(c byte) (string, error) {
	i := bytes.IndexByte(p.b[p.pos:], c)
	if i < 0 {
		return "", p.errorf("want %q", c)
	}
	s := string(p.b[p.pos : p.pos+i])
	p.pos += i + 1
	return s, nil
}

func (p *phpScanner) count(end byte) (int, error) {
	s, err := p.until(end)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > len(p.b) {
		return 0, p.errorf("bad length %q", s)
	}
	return n, nil
}

// quoted reads "<n bytes>" after its length.
func (p *phpScanner) quoted(n int) (string, error) {
	if err := p.expect(`"`); err != nil {
		return "", err
	}
	if p.pos+n > len(p.b) {
		return "", p.errorf("string past the end")
	}
	s := string(p.b[p.pos : p.pos+n])
	p.pos += n
	return s, p.expect(`"`)
}

// scalar reads b:, i:, d: or s: values as text, for a property's value.
func (p *phpScanner) scalar() (kind byte, text string, err error) {
	if p.pos+2 > len(p.b) {
		return 0, "", p.errorf("value past the end")
	}
	kind = p.b[p.pos]
	switch kind {
	case 'b', 'i', 'd':
		p.pos += 2
		text, err = p.until(';')
		return kind, text, err
	case 's':
		p.pos += 2
		n, err := p.count(':')
		if err != nil {
			return 0, "", err
		}
		if text, err = p.quoted(n); err != nil {
			return 0, "", err
		}
		return kind, text, p.expect(";")
	}
	return kind, "", p.skip(0)
}

// objectFlag reads an object's properties up to prop.
func (p *phpScanner) objectFlag(prop string) (bool, error) {
	if err := p.expect("O:"); err != nil {
		return false, nil // not an object: no such property
	}
	n, err := p.count(':')
	if err != nil {
		return false, err
	}
	if _, err := p.quoted(n); err != nil {
		return false, err
	}
	if err := p.expect(":"); err != nil {
		return false, err
	}
	props, err := p.count(':')
	if err != nil {
		return false, err
	}
	if err := p.expect("{"); err != nil {
		return false, err
	}
	for i := 0; i < props; i++ {
		kind, key, err := p.scalar()
		if err != nil {
			return false, err
		}
		if kind != 's' || key != prop {
			if err := p.skip(1); err != nil {
				return false, err
			}
			continue
		}
		kind, v, err := p.scalar()
		if err != nil {
			return false, err
		}
		switch kind {
		case 'b', 'i':
			n, _ := strconv.ParseInt(v, 10, 64)
			return n != 0, nil
		case 'd':
			f, _ := strconv.ParseFloat(v, 64)
			return f != 0, nil
		case 's':
			return v != "" && v != "0", nil
		}
		return false, nil
	}
	return false, nil
}

// skip moves past one value of any kind.
func (p *phpScanner) skip(depth int) error {
	if depth > 512 {
		return p.errorf("nested too deep")
	}
	if p.pos >= len(p.b) {
		return p.errorf("value past the end")
	}
	switch p.b[p.pos] {
	case 'N':
		return p.expect("N;")
	case 'b', 'i', 'd', 'r', 'R':
		p.pos += 2
		_, err := p.until(';')
		return err
	case 's', 'E':
		_, _, err := p.scalarString()
		return err
	case 'a', 'O', 'C':
		kind := p.b[p.pos]
		p.pos += 2
		if kind != 'a' {
			n, err := p.count(':')
			if err != nil {
				return err
			}
			if _, err := p.quoted(n); err != nil {
				return err
			}
			if err := p.expect(":"); err != nil {
				return err
			}
		}
		n, err := p.count(':')
		if err != nil {
			return err
		}
		if err := p.expect("{"); err != nil {
			return err
		}
		if kind == 'C' { // Serializable: n raw bytes
			if p.pos+n > len(p.b) {
				return p.errorf("object past the end")
			}
			p.pos += n
			return p.expect("}")
		}
		for i := 0; i < 2*n; i++ {
			if err := p.skip(depth + 1); err != nil {
				return err
			}
		}
		return p.expect("}")
	}
	return p.errorf("unknown value %q", p.b[p.pos])
}

// scalarString skips s:<n>:"…"; and E:<n>:"…";.
func (p *phpScanner) scalarString() (byte, string, error) {
	kind := p.b[p.pos]
	p.pos += 2
	n, err := p.count(':')
	if err != nil {
		return 0, "", err
	}
	s, err := p.quoted(n)
	if err != nil {
		return 0, "", err
	}
	return kind, s, p.expect(";")
}
