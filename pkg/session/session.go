package session

import (
	"context"
	"errors"
	"net/http"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// LoginRequest is what a launch asks for.
type LoginRequest struct {
	// UserID is the Moodle user to log in (already checked by the launch:
	// not deleted, not suspended; Login refuses those again).
	UserID int64
	// Dest is the absolute Moodle URL, under wwwroot, to land on.
	Dest string
	// ClientIP is the browser's address, resolved through trusted proxies.
	ClientIP string
	// Browser is the launch request, for the browser's previous
	// MoodleSession cookie (its session is destroyed).
	Browser *http.Request
	// NewUser says the user was created in the caller's transaction: they
	// have no course accesses, preferences or messages yet, so Login does
	// not read them.
	NewUser bool
}

// Handoff is what the browser must receive to arrive logged in.
type Handoff struct {
	// Cookies to set: the new MoodleSession cookie, or one that expires the
	// old session's cookie (autologin).
	Cookies []*http.Cookie
	// Redirect is where the browser goes next: Dest, or Moodle's autologin
	// URL that continues to Dest.
	Redirect string
	// SID is the new Moodle session id; "" when Moodle makes it (autologin).
	SID string
	// Strategy is the strategy that made this handoff.
	Strategy string
}

// Strategy logs a browser into Moodle one way.
type Strategy interface {
	// Name is database, file, redis, memcached or autologin (auto for Manager).
	Name() string
	// Login writes, inside tx, what Moodle needs to see the browser as
	// logged in: the session (row, file or Redis entry), the login times of
	// the user row and the user_loggedin event. Writes outside the database
	// are undone with tx.OnRollback if the launch fails.
	Login(ctx context.Context, tx *database.Tx, req LoginRequest) (*Handoff, error)
	// Destroy ends a Moodle session (the browser's previous one, or the
	// caller's on force_logout). An unknown sid is not an error. With a
	// *database.Tx, the parts outside the database (file, Redis keys) go
	// after the commit.
	Destroy(ctx context.Context, q database.Querier, sid string) error
}

// ErrRefused marks a login that cannot be done for this user or site (a
// suspended user, a site admin with autologin, autologin without https).
// Its message is safe to show to the user; other errors are internal.
var ErrRefused = errors.New("cannot log you in to Moodle")

// refused wraps a reason for the user in ErrRefused.
type refused struct{ reason string }

func (r refused) Error() string        { return ErrRefused.Error() + ": " + r.reason }
func (r refused) Is(target error) bool { return target == ErrRefused }

func refuse(reason string) error { return refused{reason} }
