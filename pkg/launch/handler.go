package launch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/lti11"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/provision"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// Config is what the launch endpoint needs.
type Config struct {
	DB *database.DB
	// WWWRoot is Moodle's public URL: launches are verified against it,
	// and users are sent only below it.
	WWWRoot string
	// TimestampWindow is how far oauth_timestamp may be from now, both ways.
	TimestampWindow time.Duration
	// Sessions hands the browser over to Moodle.
	Sessions session.Strategy
	Log      *slog.Logger
	// Sites is Moodle's config, cached; nil makes one from DB and Forced.
	Sites *moodle.SiteCache
	// Forced are the $CFG values config.php forces over the config table.
	Forced moodle.Forced
	// DataRoot is $CFG->dataroot when this machine shares it with Moodle
	// (installed language packs), else "".
	DataRoot string
	// CacheDir is $CFG->cachedir when this machine shares it with Moodle,
	// so that the entries of Moodle's file cache a launch makes stale are
	// removed; "" leaves them to expire.
	CacheDir string
	// CacheTTL is how long the site's settings are kept between reads
	// (default 10 s).
	CacheTTL time.Duration
	// Now is the clock (time.Now by default).
	Now func() time.Time
	// Pictures fetches the profile pictures launches send; nil ignores
	// them.
	Pictures PictureUpdater
	// Observer hears how each launch ended and how long it took (the
	// service's metrics); nil for none.
	Observer Observer
}

// Observer hears of every launch: its outcome (one of the Outcome*
// constants) and the time from its arrival to its answer.
type Observer interface {
	Launch(outcome string, took time.Duration)
}

// Outcomes of a launch, as an Observer hears them: a small fixed set, fit
// for a metric's label.
const (
	OutcomeSuccess      = "success"      // redirected into Moodle
	OutcomeInvalid      = "invalid"      // not a launch: method, content type, size, malformed data
	OutcomeUnknownTool  = "unknown_tool" // no tool, or no single tool, for the launch
	OutcomeUnauthorized = "unauthorized" // signature, timestamp, nonce or secret refused
	OutcomeRefused      = "refused"      // authentic, but refused: disabled tool, key, user, enrolment
	OutcomeUnavailable  = "unavailable"  // the service cannot log users in (no session handoff)
	OutcomeError        = "error"        // a failure of the service or the database
)

// Handler serves /local/ltiprovider/tool.php.
type Handler struct {
	db       *database.DB
	wwwroot  string
	window   time.Duration
	sessions session.Strategy
	log      *slog.Logger
	now      func() time.Time
	dataRoot string
	appCache *moodle.FileAppCache
	site     *moodle.SiteCache
	ttl      time.Duration
	pictures PictureUpdater
	observer Observer
	tools    *toolCache

	mu       sync.Mutex
	conf     *siteConf
	confTime time.Time
}

// siteConf is the service's settings and Moodle's log-store settings,
// cached together.
type siteConf struct {
	settings *settings.Site
	logs     moodle.LogStore
}

// New returns the launch handler.
func New(c Config) *Handler {
	now := c.Now
	if now == nil {
		now = time.Now
	}
	ttl := c.CacheTTL
	if ttl == 0 {
		ttl = 10 * time.Second
	}
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sites := c.Sites
	if sites == nil {
		// The caches age by the wall clock, whatever clock launches use.
		sites = &moodle.SiteCache{DB: c.DB, Forced: c.Forced, TTL: ttl}
	}
	return &Handler{
		db: c.DB, wwwroot: strings.TrimRight(c.WWWRoot, "/"), window: c.TimestampWindow, sessions: c.Sessions,
		log: log, now: now, dataRoot: c.DataRoot, appCache: moodle.NewFileAppCache(c.CacheDir), ttl: ttl,
		site: sites, pictures: c.Pictures, observer: c.Observer, tools: newToolCache(ttl),
	}
}

// Routes mounts the launch endpoint on the router of web.BasePath.
func (h *Handler) Routes(r *mux.Router) {
	r.Handle(strings.TrimPrefix(Path, web.BasePath), h)
}

// ServeHTTP handles one launch and tells the Observer how it ended.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now() // the wall clock, whatever clock launches use
	outcome := h.serve(w, r)
	if h.observer != nil {
		h.observer.Launch(outcome, time.Since(start))
	}
}

// serve handles one launch: read, resolve, verify, check, then the steps
// in one transaction, then the redirect. It returns the outcome.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) string {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		web.ErrorPage(w, r, http.StatusMethodNotAllowed, "Open this tool from your course",
			"This is the address where an external tool of your course launches you into this site. It cannot be opened directly: please start the tool from your course.")
		return OutcomeInvalid
	}
	ctx := r.Context()
	if h.sessions == nil {
		return h.fail(w, r, pageError(http.StatusServiceUnavailable, "Launches are not available",
			"This site cannot log users in yet (no Moodle session handoff is configured). Please tell the site administrator."), "")
	}
	in, f := h.read(w, r)
	if f != nil {
		return h.fail(w, r, f, "")
	}
	site, conf, err := h.siteState(ctx)
	if err != nil {
		return h.fail(w, r, internalError(err, false), "")
	}
	tool, cached, f := resolve(ctx, h.db, h.tools, in, conf.settings)
	now := h.now()
	verifier := &oauth1.Verifier{Window: h.window, Nonces: &store.Nonces{DB: h.db, Now: h.now},
		Now: func() time.Time { return now }}
	req := oauth1.Request{Method: r.Method, URL: in.url, Params: in.signed}
	var secret string
	switch {
	case f != nil && createsContext(in, f) && conf.settings.GlobalSharedSecret != "":
		// Course creation on SSO: the course is found or made in the
		// steps; the launch is verified with the global shared secret.
		tool, secret = nil, conf.settings.GlobalSharedSecret
		if err := verifier.Verify(ctx, req, secret); err != nil {
			return h.fail(w, r, verificationFailure(err), "")
		}
	case f != nil:
		return h.fail(w, r, f, "")
	default:
		if tool, f = h.verify(ctx, verifier, req, tool, cached); f != nil {
			return h.fail(w, r, f, "")
		}
		secret = tool.Secret
	}
	// The launch is authentic from here on: its consumer holds the tool's
	// secret, and may be sent back errors.
	msg, err := lti11.NewLaunch(in.form)
	if err != nil {
		return h.fail(w, r, consumerError(http.StatusBadRequest, err.Error()), returnURLOf(in))
	}
	returnURL := ""
	if u, err := lti11.ValidReturnURL(msg.Get("launch_presentation_return_url")); err == nil {
		returnURL = u.String()
	}
	if err := msg.Check(); err != nil {
		return h.fail(w, r, consumerError(http.StatusBadRequest, err.Error()), returnURL)
	}
	if tool != nil && tool.Disabled {
		return h.fail(w, r, consumerError(http.StatusForbidden, "Access to this tool is disabled on this site."), returnURL)
	}
	client := web.ClientOf(r)
	base := &state{
		h: h, browser: r, msg: msg, consumerKey: in.signed.Value("oauth_consumer_key"), tool: tool, secret: secret,
		site: site, settings: conf.settings, returnURL: returnURL,
		env: provision.Env{Site: site, Settings: conf.settings, DataRoot: h.dataRoot,
			Actor: moodle.Actor{IP: client.IP, Origin: "web", Time: now.Unix(), Log: conf.logs}},
	}
	s, err := h.run(ctx, base)
	if err != nil {
		var refusal *provision.Refusal
		if errors.As(err, &refusal) {
			return h.fail(w, r, consumerError(http.StatusForbidden, refusal.Msg), returnURL)
		}
		return h.fail(w, r, internalError(err, true), returnURL)
	}
	h.log.InfoContext(ctx, "launch", "tool", s.tool.ID, "user", s.user.ID, "created", s.created,
		"instructor", s.instructor, "session", h.sessions.Name())
	h.updatePicture(s)
	h.succeed(w, r, s)
	return OutcomeSuccess
}

// verify checks the launch's signature with the tool's secret (and spends
// its nonce). A signature that fails against a cached tool is checked
// again against the tool as stored, whose secret may be newer; a failed
// signature spends no nonce, so the second check is a fresh one.
func (h *Handler) verify(ctx context.Context, v *oauth1.Verifier, req oauth1.Request, tool *store.Tool, cached bool) (*store.Tool, *failure) {
	f := verifyWith(ctx, v, req, tool)
	if f == nil || !cached || !(f == errNoSecret || errors.Is(f.cause, oauth1.ErrSignature)) {
		return tool, f
	}
	fresh, err := h.tools.reload(ctx, h.db, tool.ID)
	switch {
	case errors.Is(err, database.ErrNotFound):
		return nil, errNoTool
	case err != nil:
		return nil, internalError(err, false)
	case fresh.Secret == tool.Secret:
		return tool, f
	}
	return fresh, verifyWith(ctx, v, req, fresh)
}

func verifyWith(ctx context.Context, v *oauth1.Verifier, req oauth1.Request, tool *store.Tool) *failure {
	if tool.Secret == "" {
		return errNoSecret
	}
	if err := v.Verify(ctx, req, tool.Secret); err != nil {
		return verificationFailure(err)
	}
	return nil
}

// run runs the steps in one transaction. A rerun (deadlock, lost race)
// starts from a fresh copy of base; the Moodle cache entries the launch
// made stale are removed once it commits.
func (h *Handler) run(ctx context.Context, base *state) (*state, error) {
	pending := &moodle.PendingInvalidations{}
	var done *state
	err := h.db.WithTx(ctx, func(tx *database.Tx) error {
		pending.Reset()
		s := *base
		s.env.Actor.Caches = pending
		for _, st := range steps {
			if err := st.run(ctx, tx, &s); err != nil {
				return fmt.Errorf("launch step %q: %w", st.name, err)
			}
		}
		done = &s
		return nil
	})
	if err != nil {
		return nil, err
	}
	pending.Apply(h.appCache)
	return done, nil
}

// siteState returns Moodle's config and the service's settings, cached for
// the TTL.
func (h *Handler) siteState(ctx context.Context) (*moodle.Site, *siteConf, error) {
	site, err := h.site.Get(ctx)
	if err != nil {
		return nil, nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conf != nil && time.Since(h.confTime) < h.ttl {
		return site, h.conf, nil
	}
	st, err := settings.Load(ctx, h.db)
	if err != nil {
		return nil, nil, err
	}
	logs, err := moodle.LoadLogStore(ctx, h.db, site)
	if err != nil {
		return nil, nil, err
	}
	h.conf, h.confTime = &siteConf{settings: st, logs: logs}, time.Now()
	return site, h.conf, nil
}

// returnURLOf is the return URL of a launch whose data could not be
// decoded: taken as sent, or decoded on its own.
func returnURLOf(in *incoming) string {
	raw := in.decoded("launch_presentation_return_url")
	if u, err := lti11.ValidReturnURL(raw); err == nil {
		return u.String()
	}
	return ""
}
