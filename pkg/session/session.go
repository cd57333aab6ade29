// Package session hands a browser over to Moodle after a launch: it makes
// Moodle 4.5 treat the browser as logged in as the LTI user, exactly as a
// session Moodle made itself, with the strategy that fits the site's
// session handler (database, file, redis, or Moodle's own autologin).
//
// The launch handler calls a Strategy inside its transaction; services.php
// calls Destroy for force_logout. The package knows Moodle's session
// formats, not LTI.
package session

import (
	"context"
	"net/http"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// LoginRequest is what a launch asks for.
type LoginRequest struct {
	// UserID is the Moodle user to log in (already checked: not deleted,
	// not suspended).
	UserID int64
	// Dest is the absolute Moodle URL, under wwwroot, to land on.
	Dest string
	// ClientIP is the browser's address, resolved through trusted proxies.
	ClientIP string
	// Browser is the launch request, for the browser's previous
	// MoodleSession cookie (its session is destroyed) and its User-Agent.
	Browser *http.Request
}

// Handoff is what the browser must receive to arrive logged in.
type Handoff struct {
	// Cookies to set: the new MoodleSession cookie, or one that expires the
	// old session.
	Cookies []*http.Cookie
	// Redirect is where the browser goes next: Dest, or Moodle's autologin
	// URL that continues to Dest.
	Redirect string
	// SID is the new Moodle session id; "" when Moodle makes it (autologin).
	SID string
}

// Strategy logs a browser into Moodle one way.
type Strategy interface {
	// Name is database, file, redis or autologin.
	Name() string
	// Login writes, inside tx, what Moodle needs to see the browser as
	// logged in: the session (row, file or Redis entry), the login times of
	// the user row and the user_loggedin event. Writes outside the database
	// are undone with tx.OnRollback if the launch fails.
	Login(ctx context.Context, tx *database.Tx, req LoginRequest) (*Handoff, error)
	// Destroy ends a Moodle session (the browser's previous one, or the
	// caller's on force_logout). An unknown sid is not an error.
	Destroy(ctx context.Context, q database.Querier, sid string) error
}
