package admin

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/accesslib"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodleauth"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// GradeResender sends grades again, now, ignoring what was last sent
// (test/forcesendgrades.php). The grade sync area provides it.
type GradeResender interface {
	// ForceResend sends the grades of the tool's users (all when userIDs is
	// empty); omitCompletion ignores the tool's requirecompletion.
	ForceResend(ctx context.Context, toolID int64, userIDs []int64, omitCompletion bool) (SyncResult, error)
}

// MemberSyncer runs a tool's membership sync now (syncmembers.php). The
// member sync area provides it.
type MemberSyncer interface {
	SyncTool(ctx context.Context, toolID int64) (SyncResult, error)
}

// SyncResult is what a forced run reports to the person who asked for it.
type SyncResult struct {
	Summary string   // one line, e.g. "12 sent, 1 failed"
	Lines   []string // details, one per user or problem
}

// Handler serves the pages.
type Handler struct {
	DB      *database.DB
	Auth    *moodleauth.Authenticator
	Sites   *moodle.SiteCache
	WWWRoot string // Moodle's wwwroot, no trailing slash
	Log     *slog.Logger
	// Grades and Members are nil until those areas are wired in; the pages
	// then say the action is unavailable.
	Grades  GradeResender
	Members MemberSyncer
	Now     func() time.Time

	keyOnce sync.Mutex
	key     []byte
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/admin.css
var adminCSS []byte

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"date": func(ts int64) string {
		if ts == 0 {
			return "Never"
		}
		return time.Unix(ts, 0).UTC().Format("2 January 2006, 15:04 UTC")
	},
	"fieldid": func(name string) string { return "id_" + name },
}).ParseFS(templateFS, "templates/*.html"))

// Mount adds the pages to the router under /local/ltiprovider.
func (h *Handler) Mount(r *mux.Router) {
	r.HandleFunc("/index.php", h.index).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/edit.php", h.editForm).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/edit.php", h.editPost).Methods(http.MethodPost)
	r.HandleFunc("/syncreport.php", h.syncReport).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/syncreport.php", h.syncReportPost).Methods(http.MethodPost)
	r.HandleFunc("/syncmembers.php", h.syncMembers).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/syncmembers.php", h.syncMembersPost).Methods(http.MethodPost)
	r.HandleFunc("/settings.php", h.settingsForm).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/settings.php", h.settingsPost).Methods(http.MethodPost)
	r.HandleFunc("/nav.json", h.navLink).Methods(http.MethodGet)
	r.HandleFunc("/admin.css", serveCSS).Methods(http.MethodGet, http.MethodHead)
}

func serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(adminCSS)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) url(path string, kv ...any) string {
	var b strings.Builder
	b.WriteString(h.WWWRoot + web.BasePath + "/" + path)
	for i := 0; i+1 < len(kv); i += 2 {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(kv[i].(string) + "=" + template.URLQueryEscaper(kv[i+1]))
	}
	return b.String()
}

// request is what every page handler starts from: who the person is and
// the site's configuration.
type request struct {
	w       http.ResponseWriter
	r       *http.Request
	ctx     context.Context
	id      moodleauth.Identity
	site    *moodle.Site
	checker accesslib.Checker
}

// begin identifies the person and refuses anyone who is not logged in.
func (h *Handler) begin(w http.ResponseWriter, r *http.Request) (*request, bool) {
	id, err := h.Auth.Identify(r)
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	site, err := h.Sites.Get(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	if !id.LoggedIn() {
		h.needLogin(w, r, id.State)
		return nil, false
	}
	if !h.mfaDone(w, r, id) {
		return nil, false
	}
	return &request{w: w, r: r, ctx: r.Context(), id: id, site: site,
		checker: accesslib.Checker{Q: h.DB, Site: site}}, true
}

func (h *Handler) needLogin(w http.ResponseWriter, r *http.Request, state moodleauth.State) {
	msg := "You need to log in to Moodle to use this page."
	switch state {
	case moodleauth.Expired:
		msg = "Your Moodle session has timed out. Please log in again."
	case moodleauth.Refused:
		msg = "Your Moodle account cannot use this page."
	}
	h.render(w, r, http.StatusUnauthorized, "message", &pageData{Title: "Log in required", Message: msg,
		Link: h.WWWRoot + "/login/index.php", LinkText: "Log in"})
}

// mfaDone refuses a session that Moodle still holds at its multi-factor
// authentication (a password alone must not open these pages), and one
// whose MFA state cannot be read. It writes the refusal itself.
func (h *Handler) mfaDone(w http.ResponseWriter, r *http.Request, id moodleauth.Identity) bool {
	pending, err := h.Auth.MFAPending(r.Context(), id)
	switch {
	case errors.Is(err, moodleauth.ErrSessionUnreadable):
		if h.Log != nil {
			h.Log.WarnContext(r.Context(), "admin: multi-factor authentication cannot be checked", "userid", id.UserID(), "err", err)
		}
		h.render(w, r, http.StatusUnauthorized, "message", &pageData{Title: "Log in required",
			Message: "Multi-factor authentication is on, and this service cannot read your Moodle session to check that you completed it, so these pages are not available. Please tell the site administrator.",
			Link:    h.WWWRoot + "/", LinkText: "Back to Moodle"})
		return false
	case err != nil:
		h.fail(w, r, err)
		return false
	case pending:
		h.render(w, r, http.StatusUnauthorized, "message", &pageData{Title: "Log in required",
			Message: "Please finish logging in to Moodle (multi-factor authentication) first.",
			Link:    h.WWWRoot + "/", LinkText: "Continue logging in"})
		return false
	}
	return true
}

func (h *Handler) forbidden(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusForbidden, "message", &pageData{Title: "Access denied",
		Message: "Sorry, but you do not currently have permissions to do that."})
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, what string) {
	h.render(w, r, http.StatusNotFound, "message", &pageData{Title: "Not found", Message: what})
}

func (h *Handler) badRequest(w http.ResponseWriter, r *http.Request, msg string) {
	h.render(w, r, http.StatusBadRequest, "message", &pageData{Title: "Invalid request", Message: msg})
}

// fail logs an internal error and shows a page without internals.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.Log != nil {
		h.Log.ErrorContext(r.Context(), "admin page failed", "path", r.URL.Path, "err", err)
	}
	web.ErrorPage(w, r, http.StatusInternalServerError, "Something went wrong",
		"The request could not be completed. Please try again, or give the reference below to your site administrator.")
}

// pageData is what the layout template shows around every page.
type pageData struct {
	Title    string
	Heading  string
	Course   *moodle.Course
	CourseID int64
	User     *moodleauth.User
	ThemeCSS string
	Base     string // /local/ltiprovider URL prefix
	Home     string // Moodle's wwwroot
	Notice   string
	Message  string
	Link     string
	LinkText string
	Sesskey  string
	Body     any
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *pageData) {
	p.Base = h.WWWRoot + web.BasePath
	p.Home = h.WWWRoot
	if p.ThemeCSS == "" {
		if site, err := h.Sites.Get(r.Context()); err == nil {
			p.ThemeCSS = h.themeCSS(r.Context(), site)
		}
	}
	if p.Heading == "" {
		p.Heading = p.Title
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "+
		"form-action 'self'; frame-ancestors 'self'; base-uri 'none'")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if err := pages.ExecuteTemplate(w, name, p); err != nil && h.Log != nil {
		h.Log.ErrorContext(r.Context(), "rendering page", "page", name, "err", err)
	}
}

// themeCSS is the URL of Moodle's compiled theme stylesheet, the one its
// own pages link (theme/styles.php/<theme>/<themerev>_<subrev>/all), so
// these pages look like Moodle's.
func (h *Handler) themeCSS(ctx context.Context, site *moodle.Site) string {
	theme := site.Get("theme")
	if !themeName.MatchString(theme) {
		theme = "boost"
	}
	rev := site.Int("themerev", 0)
	if rev <= 0 {
		return h.WWWRoot + "/theme/styles.php/" + theme + "/-1/all" // Moodle's "theme designer" revision
	}
	// theme_get_sub_revision_for_theme(): the theme's own themerev.
	var sub string
	_ = h.DB.Get(ctx, &sub, "SELECT value FROM {config_plugins} WHERE plugin = ? AND name = 'themerev'", "theme_"+theme)
	subrev, _ := strconv.ParseInt(sub, 10, 64)
	return h.WWWRoot + "/theme/styles.php/" + theme + "/" + strconv.FormatInt(rev, 10) + "_" + strconv.FormatInt(subrev, 10) + "/all"
}

var themeName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// intParam reads an integer query or form parameter.
func intParam(r *http.Request, name string) (int64, bool) {
	v := r.FormValue(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

var errNoCourse = errors.New("no such course")
