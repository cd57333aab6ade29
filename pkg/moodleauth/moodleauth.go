package moodleauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
)

// User is the Moodle user of a session.
type User struct {
	ID        int64  `db:"id"`
	Username  string `db:"username"`
	FirstName string `db:"firstname"`
	LastName  string `db:"lastname"`
	Email     string `db:"email"`
	Auth      string `db:"auth"`
	Deleted   bool   `db:"deleted"`
	Suspended bool   `db:"suspended"`
}

// FullName is the user's name as Moodle shows it by default.
func (u *User) FullName() string { return u.FirstName + " " + u.LastName }

// State says why a browser is or is not a logged-in user.
type State int

const (
	// Anonymous: no cookie, no session, a visitor or the guest account.
	Anonymous State = iota
	// LoggedIn: a live session of an active user.
	LoggedIn
	// Expired: the session is older than $CFG->sessiontimeout.
	Expired
	// Refused: the session's user is deleted or suspended.
	Refused
)

// Identity is who a request comes from.
type Identity struct {
	State State
	// User is set when State is LoggedIn.
	User *User
	// SID is the Moodle session id of a live session; it keys CSRF tokens.
	SID string
	// SessionCreated is when Moodle (or a launch) created the session.
	SessionCreated int64
}

// LoggedIn reports whether the request comes from a logged-in user.
func (id Identity) LoggedIn() bool { return id.State == LoggedIn && id.User != nil }

// UserID is the user's id, 0 when not logged in.
func (id Identity) UserID() int64 {
	if id.LoggedIn() {
		return id.User.ID
	}
	return 0
}

// Record is what identification needs of a Moodle session record.
type Record struct {
	UserID       int64
	TimeCreated  int64
	TimeModified int64
}

// ErrNoSession is returned by a Store for an unknown session id.
var ErrNoSession = errors.New("no such session")

// Store finds session records; database.ErrNotFound or ErrNoSession for
// an unknown id.
type Store interface {
	Lookup(ctx context.Context, sid string) (Record, error)
}

// SiteFunc returns Moodle's configuration, usually (*moodle.SiteCache).Get.
type SiteFunc func(ctx context.Context) (*moodle.Site, error)

// Authenticator identifies browsers by their Moodle session.
type Authenticator struct {
	DB   database.Querier
	Site SiteFunc
	// Config, when set, names the cookie the way the session handoff does
	// (session.CookieFor: config.php, then the config table).
	Config *config.Config
	// CookieSuffix is $CFG->sessioncookie from config.php when Config is
	// nil; when empty the config table's value is used.
	CookieSuffix string
	// Sessions finds session records. Nil means the sessions table, which
	// is right for the file, database and memcached handlers.
	Sessions Store
	// SessionData, when set, reads session data kept outside the sessions
	// table and the folder (the memcached handler's).
	SessionData DataStore
	// SessionDir is where the file handler keeps session data
	// ($CFG->session_file_save_path, else <dataroot>/sessions); it is read
	// only to check multi-factor authentication (MFAPending).
	SessionDir string
	Now        func() time.Time
}

// validSID is what PHP's session handlers accept as an id (the files
// handler refuses anything else), within the sessions.sid column.
var validSID = regexp.MustCompile(`^[A-Za-z0-9,-]{1,128}$`)

// CookieName is the name of Moodle's session cookie on this site.
func (a *Authenticator) CookieName(site *moodle.Site) string {
	suffix := a.CookieSuffix
	if suffix == "" && site != nil {
		suffix = site.Get("sessioncookie")
	}
	return "MoodleSession" + suffix
}

// Identify tells who r comes from. An error means Moodle's database or
// session store could not be read, not that the browser is unknown.
func (a *Authenticator) Identify(r *http.Request) (Identity, error) {
	ctx := r.Context()
	site, err := a.Site(ctx)
	if err != nil {
		return Identity{}, fmt.Errorf("moodleauth: %w", err)
	}
	var sid string
	if a.Config != nil {
		sid = session.CookieFor(a.Config, site).SID(r)
	} else if cookie, err := r.Cookie(a.CookieName(site)); err == nil {
		sid = cookie.Value
	}
	if !validSID.MatchString(sid) {
		return Identity{State: Anonymous}, nil
	}
	return a.identifySID(ctx, site, sid)
}

func (a *Authenticator) identifySID(ctx context.Context, site *moodle.Site, sid string) (Identity, error) {
	store := a.Sessions
	if store == nil {
		store = TableStore{DB: a.DB}
	}
	rec, err := store.Lookup(ctx, sid)
	if errors.Is(err, database.ErrNotFound) || errors.Is(err, ErrNoSession) {
		return Identity{State: Anonymous}, nil
	}
	if err != nil {
		return Identity{}, fmt.Errorf("moodleauth: session: %w", err)
	}
	// Visitors and the guest account are never "logged in" here, and
	// Moodle does not time their sessions out.
	if rec.UserID <= 0 || rec.UserID == site.Int("siteguest", 0) {
		return Identity{State: Anonymous}, nil
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	timeout := int64(site.SessionTimeout() / time.Second)
	if rec.TimeModified < now().Unix()-timeout {
		return Identity{State: Expired}, nil
	}
	var u User
	err = a.DB.Get(ctx, &u, "SELECT id, username, firstname, lastname, email, auth, deleted, suspended FROM {user} WHERE id = ?", rec.UserID)
	if errors.Is(err, database.ErrNotFound) {
		return Identity{State: Refused}, nil
	}
	if err != nil {
		return Identity{}, fmt.Errorf("moodleauth: user %d: %w", rec.UserID, err)
	}
	if u.Deleted || u.Suspended {
		return Identity{State: Refused}, nil
	}
	return Identity{State: LoggedIn, User: &u, SID: sid, SessionCreated: rec.TimeCreated}, nil
}

// TableStore reads the sessions table, where every handler but redis keeps
// its session records.
type TableStore struct{ DB database.Querier }

// Lookup reads a sessions row.
func (s TableStore) Lookup(ctx context.Context, sid string) (Record, error) {
	var row struct {
		UserID       int64 `db:"userid"`
		TimeCreated  int64 `db:"timecreated"`
		TimeModified int64 `db:"timemodified"`
	}
	if err := s.DB.Get(ctx, &row, "SELECT userid, timecreated, timemodified FROM {sessions} WHERE sid = ?", sid); err != nil {
		return Record{}, err
	}
	return Record(row), nil
}
