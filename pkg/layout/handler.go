package layout

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/jmoiron/sqlx"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodleauth"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

//go:embed script.js
var script string

// launchSlack is how much older than the browser's session a launch may
// be and still count: a launch creates the session (or, with autologin,
// Moodle creates it moments later). A session the user started later by
// logging in some other way is not an LTI session.
const launchSlack = 300

// Handler serves layout.js and layout.css.
type Handler struct {
	DB      *database.DB
	Auth    *moodleauth.Authenticator
	Sites   *moodle.SiteCache
	WWWRoot string
	Log     *slog.Logger
}

// Mount adds the two endpoints under /local/ltiprovider.
func (h *Handler) Mount(r *mux.Router) {
	r.HandleFunc("/layout.js", h.serveJS).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/layout.css", h.serveCSS).Methods(http.MethodGet, http.MethodHead)
}

// ltiLayout returns the layout of the browser's LTI session, or nil when
// the browser is not in one.
func (h *Handler) ltiLayout(r *http.Request) (*moodleauth.Identity, *store.Launch, error) {
	// Moodle's session cookie goes with cross-site requests too
	// (SameSite=None, for consumers' iframes), so a page of another site
	// could include the script and read what it says about the user. Only
	// Moodle's own pages (same origin, framed or not) are answered.
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return &moodleauth.Identity{State: moodleauth.Anonymous}, nil, nil
	}
	id, err := h.Auth.Identify(r)
	if err != nil || !id.LoggedIn() {
		return &id, nil, err
	}
	l, err := store.GetLaunch(r.Context(), h.DB, id.UserID())
	if errors.Is(err, database.ErrNotFound) {
		return &id, nil, nil
	}
	if err != nil {
		return &id, nil, err
	}
	if l.TimeCreated < id.SessionCreated-launchSlack {
		return &id, nil, nil
	}
	return &id, l, nil
}

func private(w http.ResponseWriter, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	// Per user and per session: no shared or browser cache may keep it
	// (the plugin cached session CSS for three days).
	h.Set("Cache-Control", "private, no-store")
	h.Set("Vary", "Cookie")
}

func (h *Handler) serveCSS(w http.ResponseWriter, r *http.Request) {
	_, l, err := h.ltiLayout(r)
	if err != nil {
		h.logErr(r, err)
	}
	private(w, "text/css; charset=utf-8")
	if l == nil || r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write([]byte(CSS(l.Layout)))
}

type forceNav struct {
	CourseID  int64  `json:"courseid"`
	ContextID int64  `json:"contextid,omitempty"`
	Target    string `json:"target"`
}

type scriptConfig struct {
	CSS   string    `json:"css,omitempty"`
	Force *forceNav `json:"force,omitempty"`
	Nav   string    `json:"nav,omitempty"`
}

func (h *Handler) serveJS(w http.ResponseWriter, r *http.Request) {
	id, l, err := h.ltiLayout(r)
	if err != nil {
		h.logErr(r, err)
	}
	var cfg scriptConfig
	if l != nil {
		if CSS(l.Layout) != "" {
			cfg.CSS = h.WWWRoot + web.BasePath + "/layout.css"
		}
		if l.Layout.ForceNavigation {
			cfg.Force = h.forceNav(r.Context(), l.Layout)
		}
	}
	if id != nil && id.LoggedIn() {
		if may, err := h.mayManageSomewhere(r.Context(), id.UserID()); err != nil {
			h.logErr(r, err)
		} else if may {
			cfg.Nav = h.WWWRoot + web.BasePath + "/nav.json"
		}
	}
	private(w, "text/javascript; charset=utf-8")
	if r.Method == http.MethodHead {
		return
	}
	conf, _ := json.Marshal(cfg) // escapes <, > and & so the script stays one script
	_, _ = w.Write([]byte(strings.TrimSpace(script) + "(" + string(conf) + ");\n"))
}

// forceNav works out where force navigation keeps the user: the activity
// (its context, and its view page) or the course.
func (h *Handler) forceNav(ctx context.Context, l store.Layout) *forceNav {
	f := &forceNav{CourseID: l.CourseID, Target: h.WWWRoot + "/course/view.php?id=" + strconv.FormatInt(l.CourseID, 10)}
	if l.CMID != 0 {
		cm, err := moodle.GetCourseModule(ctx, h.DB, l.CMID)
		if err == nil {
			f.ContextID = l.ContextID
			f.Target = h.WWWRoot + "/mod/" + cm.ModName + "/view.php?id=" + strconv.FormatInt(cm.ID, 10)
		}
	}
	if f.CourseID == 0 {
		return nil
	}
	return f
}

// mayManageSomewhere is a cheap hint for the script: whether the user is
// a site admin or holds some role that the plugin's capabilities or
// moodle/course:update are allowed to anywhere. Only then does the script
// ask nav.json about the course it is on; nav.json decides.
func (h *Handler) mayManageSomewhere(ctx context.Context, userID int64) (bool, error) {
	site, err := h.Sites.Get(ctx)
	if err != nil {
		return false, err
	}
	if site.IsSiteAdmin(userID) {
		return true, nil
	}
	query, args, err := sqlx.In(`SELECT COUNT(*) FROM {role_capabilities} rc
		WHERE rc.permission = 1 AND rc.capability IN (?)
		AND rc.roleid IN (SELECT roleid FROM {role_assignments} WHERE userid = ?)`,
		[]string{"local/ltiprovider:manage", "local/ltiprovider:view", "moodle/course:update"}, userID)
	if err != nil {
		return false, err
	}
	var n int
	if err := h.DB.Get(ctx, &n, query, args...); err != nil {
		return false, err
	}
	return n > 0, nil
}

func (h *Handler) logErr(r *http.Request, err error) {
	if h.Log != nil {
		h.Log.WarnContext(r.Context(), "layout: cannot read the browser's session or launch", "err", err)
	}
}
