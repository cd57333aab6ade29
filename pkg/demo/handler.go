package demo

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodleauth"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// Handler serves the demo: the service's own routes under
// /local/ltiprovider, the consumer under /demo/, and stand-in pages at
// Moodle's other URLs. Only `ltiprovider demo` builds one.
type Handler struct {
	DB *database.DB
	// WWWRoot is the demo site's URL (http://<listen>).
	WWWRoot string
	// Service is the service's handler, as serve builds it.
	Service http.Handler
	// Auth tells which Moodle session a browser has, for the stand-in pages.
	Auth *moodleauth.Authenticator
	// SessionDir is where the file strategy writes sessions ("" if unused).
	SessionDir string
	// SendGrades runs grade passback for one user now and says in one line
	// what it did.
	SendGrades func(ctx context.Context, userID int64) (string, error)
	Log        *slog.Logger
	Proxies    web.Proxies
	Now        func() time.Time

	// Consumer is the demo's consumer; Handler makes it on first use.
	Consumer *Consumer

	once sync.Once
	own  http.Handler
}

// Paths of the consumer's pages.
const (
	ConsumerPath = "/demo/"
	launchPath   = "/demo/launch"
	gradePath    = "/demo/grade"
)

//go:embed templates/*.html
var templateFiles embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"when": func(t int64) string {
		if t == 0 {
			return "—"
		}
		return time.Unix(t, 0).Format("2006-01-02 15:04:05")
	},
	"clock": func(t time.Time) string { return t.Format("15:04:05") },
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:8] + "…"
		}
		return s
	},
	"level": func(l int) string {
		switch l {
		case moodle.ContextCourse:
			return "course"
		case moodle.ContextModule:
			return "activity (course module)"
		}
		return "context level " + strconv.Itoa(l)
	},
}).ParseFS(templateFiles, "templates/*.html"))

func (h *Handler) init() {
	h.once.Do(func() {
		if h.Log == nil {
			h.Log = slog.New(slog.DiscardHandler)
		}
		if h.Now == nil {
			h.Now = time.Now
		}
		if h.Consumer == nil {
			h.Consumer = &Consumer{DB: h.DB, WWWRoot: h.WWWRoot, Now: h.Now}
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, ConsumerPath, http.StatusSeeOther)
		})
		mux.HandleFunc("GET "+ConsumerPath+"{$}", h.consumerPage)
		mux.HandleFunc("POST "+launchPath, h.sameOrigin(h.signLaunch))
		mux.HandleFunc("GET "+ReturnPath, h.returnPage)
		mux.HandleFunc("POST "+OutcomesPath, h.Consumer.ServeOutcomes)
		mux.HandleFunc("POST "+gradePath, h.sameOrigin(h.grade))
		mux.HandleFunc("GET /", h.moodlePage)
		h.own = web.Middleware(h.Log, h.Proxies)(mux)
	})
}

// ServeHTTP sends the service's paths to the service, the rest to the demo.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.init()
	if r.URL.Path == web.BasePath || strings.HasPrefix(r.URL.Path, web.BasePath+"/") {
		h.Service.ServeHTTP(w, r)
		return
	}
	h.own.ServeHTTP(w, r)
}

// sameOrigin refuses form posts from other sites: the demo signs launches
// with real secrets for whoever may post to it.
func (h *Handler) sameOrigin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		site := r.Header.Get("Sec-Fetch-Site")
		origin := r.Header.Get("Origin")
		if (site != "" && site != "same-origin" && site != "none") || (origin != "" && origin != "null" && origin != h.WWWRoot) {
			web.ErrorPage(w, r, http.StatusForbidden, "Refused", "The demo accepts forms from its own pages only.")
			return
		}
		next(w, r)
	}
}

// render writes a page with the demo's headers: no caching, a CSP that
// allows the inline style and forms to this site only.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		h.Log.ErrorContext(r.Context(), "demo page", "page", name, "err", err)
	}
}

func (h *Handler) failure(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrInput) {
		web.ErrorPage(w, r, http.StatusBadRequest, "Cannot do that", strings.TrimPrefix(err.Error(), "demo: "))
		return
	}
	h.Log.ErrorContext(r.Context(), "demo", "err", err)
	web.ErrorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The demo could not do that; the reason is in its log.")
}

// toolChoice is a tool in the consumer page's list.
type toolChoice struct {
	ID       int64
	Provides string
	Disabled bool
}

func (h *Handler) tools(ctx context.Context) ([]toolChoice, error) {
	tools, err := store.ListTools(ctx, h.DB)
	if err != nil {
		return nil, err
	}
	var out []toolChoice
	for _, t := range tools {
		c := toolChoice{ID: t.ID, Disabled: t.Disabled, Provides: fmt.Sprintf("course %d", t.CourseID)}
		if co, err := moodle.GetCourse(ctx, h.DB, t.CourseID); err == nil {
			c.Provides = "course " + co.Shortname
		}
		if cx, err := moodle.GetContext(ctx, h.DB, t.ContextID); err == nil && cx.Level == moodle.ContextModule {
			c.Provides += fmt.Sprintf(", activity (course module %d)", cx.InstanceID)
		}
		out = append(out, c)
	}
	return out, nil
}

// presets fill the consumer form for a learner or an instructor.
var presets = map[string]LaunchRequest{
	"learner": {ConsumerKey: "demo-consumer", Roles: "Learner", UserID: "learner-1", Given: "Lee", Family: "Learner",
		Email: "lee.learner@consumer.example", ContextID: "demo-course-1", ContextTitle: "Demo consumer course",
		ContextLabel: "DEMO1", ResourceLinkID: "demo-link-1", ResourceLinkTitle: "PROV1 on the demo site",
		Outcomes: true, ReturnURL: true},
	"instructor": {ConsumerKey: "demo-consumer", Roles: "Instructor", UserID: "instructor-1", Given: "Ina", Family: "Instructor",
		Email: "ina.instructor@consumer.example", ContextID: "demo-course-1", ContextTitle: "Demo consumer course",
		ContextLabel: "DEMO1", ResourceLinkID: "demo-link-1", ResourceLinkTitle: "PROV1 on the demo site",
		ReturnURL: true},
}

func (h *Handler) consumerPage(w http.ResponseWriter, r *http.Request) {
	tools, err := h.tools(r.Context())
	if err != nil {
		h.failure(w, r, err)
		return
	}
	as := r.URL.Query().Get("as")
	form, ok := presets[as]
	if !ok {
		as, form = "learner", presets["learner"]
	}
	if len(tools) > 0 {
		form.ToolID = tools[0].ID
	}
	h.render(w, r, http.StatusOK, "consumer.html", map[string]any{
		"WWWRoot": h.WWWRoot, "Tools": tools, "Form": form, "As": as,
		"Links": h.Consumer.Links(), "Received": h.Consumer.Received(),
	})
}

// signLaunch signs the form's launch and shows it, ready to send.
func (h *Handler) signLaunch(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		web.ErrorPage(w, r, http.StatusBadRequest, "Bad form", "The form could not be read.")
		return
	}
	f := r.PostForm
	toolID, _ := strconv.ParseInt(f.Get("tool"), 10, 64)
	req := LaunchRequest{ToolID: toolID, ConsumerKey: f.Get("consumerkey"), Roles: f.Get("roles"),
		UserID: f.Get("user_id"), Given: f.Get("given"), Family: f.Get("family"), Email: f.Get("email"),
		ContextID: f.Get("context_id"), ContextTitle: f.Get("context_title"), ContextLabel: f.Get("context_label"),
		ResourceLinkID: f.Get("resource_link_id"), ResourceLinkTitle: f.Get("resource_link_title"),
		Outcomes: f.Get("outcomes") != "", ReturnURL: f.Get("returnurl") != "", Extra: f.Get("extra")}
	signed, err := h.Consumer.Sign(r.Context(), req)
	if err != nil {
		h.failure(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "signed.html", map[string]any{"Launch": signed, "Request": req})
}

func (h *Handler) returnPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h.render(w, r, http.StatusOK, "return.html", map[string]any{
		"ErrorMsg": q.Get("lti_errormsg"), "Msg": q.Get("lti_msg"), "Log": q.Get("lti_log"), "ErrorLog": q.Get("lti_errorlog"),
	})
}

// moodlePage stands in for Moodle's own pages (*.php, or a folder) at the
// URL a launch sent the browser to: it shows who Moodle would see, and what
// the launch wrote for them.
func (h *Handler) moodlePage(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if !strings.HasSuffix(p, ".php") && !strings.HasSuffix(p, "/") {
		web.ErrorPage(w, r, http.StatusNotFound, "Not found", "The demo site has no Moodle; only its pages' addresses are stood in for.")
		return
	}
	var id moodleauth.Identity
	if h.Auth != nil {
		var err error
		if id, err = h.Auth.Identify(r); err != nil {
			h.failure(w, r, err)
			return
		}
	}
	data := map[string]any{"URL": h.WWWRoot + r.URL.RequestURI(), "Path": r.URL.RequestURI(), "Identity": id}
	switch id.State {
	case moodleauth.LoggedIn:
		site, err := h.Auth.Site(r.Context())
		if err != nil {
			h.failure(w, r, err)
			return
		}
		var sid string
		if h.Auth.Config != nil {
			sid = session.CookieFor(h.Auth.Config, site).SID(r)
		}
		rep, err := LoadReport(r.Context(), h.DB, id.User.ID, sid, h.SessionDir)
		if err != nil {
			h.failure(w, r, err)
			return
		}
		data["Report"] = rep
		data["CookieName"] = h.Auth.CookieName(site)
	case moodleauth.Expired:
		data["Why"] = "its Moodle session has timed out"
	case moodleauth.Refused:
		data["Why"] = "the session's user is suspended or deleted"
	default:
		data["Why"] = "it has no Moodle session cookie, or the session it names does not exist (launch first)"
	}
	h.render(w, r, http.StatusOK, "moodle.html", data)
}

// grade stands in for a teacher grading in Moodle, then runs grade
// passback for the user at once and shows what the consumer received.
func (h *Handler) grade(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		web.ErrorPage(w, r, http.StatusBadRequest, "Bad form", "The form could not be read.")
		return
	}
	userID, err1 := strconv.ParseInt(r.PostForm.Get("user"), 10, 64)
	itemID, err2 := strconv.ParseInt(r.PostForm.Get("item"), 10, 64)
	if err1 != nil || err2 != nil {
		web.ErrorPage(w, r, http.StatusBadRequest, "Bad form", "Choose a user and an activity.")
		return
	}
	var points *float64
	if raw := strings.TrimSpace(r.PostForm.Get("points")); raw != "" {
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			web.ErrorPage(w, r, http.StatusBadRequest, "Bad grade", "The grade must be a number, or empty to remove it.")
			return
		}
		points = &v
	}
	ctx := r.Context()
	err := h.DB.WithTx(ctx, func(tx *database.Tx) error {
		return SetGrade(ctx, tx, itemID, userID, points, teacherID, h.Now().Unix())
	})
	if err != nil {
		h.failure(w, r, err)
		return
	}
	before := h.Consumer.ReceivedCount()
	summary := "graded; grade passback is not wired to this page, so the scheduled grade job sends it"
	if h.SendGrades != nil {
		var err error
		if summary, err = h.SendGrades(ctx, userID); err != nil {
			summary = "grade passback failed: " + err.Error()
		}
	}
	received := h.Consumer.Received()
	received = received[:len(received)-before]
	var rows []store.GradeReportRow
	if l, err := store.GetLaunch(ctx, h.DB, userID); err == nil {
		rows, _ = store.GradeReport(ctx, h.DB, l.ToolID, userID)
	}
	graded := "removed"
	if points != nil {
		graded = strconv.FormatFloat(*points, 'f', -1, 64)
	}
	h.render(w, r, http.StatusOK, "graded.html", map[string]any{
		"Graded": graded, "Summary": summary, "Received": received, "Rows": rows, "Back": safeBack(r.PostForm.Get("back"), h.WWWRoot),
	})
}

// teacherID is who the stand-in gradebook records as the grader: the
// fixture's admin.
const teacherID = 2

// safeBack keeps a "back" link on the demo site.
func safeBack(raw, wwwroot string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return wwwroot + u.RequestURI()
}
