package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/gorilla/mux"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/admin"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/filedir"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/launch"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/layout"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/metrics"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/migrate"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodleauth"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/picture"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/services"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/version"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

func cmdServe(ctx context.Context, c *cli) error {
	cfg, log, db, err := c.connect(ctx, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	// Every replica migrates at start; the migration lock makes them take
	// turns and all but the first find nothing to do.
	res, err := (&migrate.Migrator{DB: db, Collation: cfg.DB.Collation}).Run(ctx)
	if err != nil {
		return err
	}
	if !res.Empty() {
		log.Info("migrated", "steps", len(res.Applied), "settings", len(res.Settings))
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	m := metrics.New(db.X.DB)
	svc := newServer(cfg, log, db, m)
	log.Info("serving", "version", version.String(), "addr", ln.Addr().String(), "wwwroot", cfg.Moodle.WWWRoot)
	return runService(ctx, cfg, log, db, m, svc, ln)
}

// runService runs the scheduled jobs and serves svc on ln until ctx ends,
// then stops the server, the jobs and the features' background work:
// what serve does, and the demo too. With m (nil for none), the metrics
// listener serves on metrics.listen meanwhile.
func runService(ctx context.Context, cfg *config.Config, log *slog.Logger, db *database.DB, m *metrics.Metrics, svc *service, ln net.Listener) error {
	stopMetrics, err := serveMetrics(cfg, log, db, m)
	if err != nil {
		ln.Close()
		svc.Stop(cfg.ShutdownTimeout)
		return err
	}
	defer stopMetrics()
	sched, err := startScheduler(log, db, scheduledJobs(cfg, log, db, m, svc.Pictures), m)
	if err != nil {
		ln.Close()
		svc.Stop(cfg.ShutdownTimeout)
		return err
	}
	serveErr := serveUntilDone(ctx, svc.Server, ln, cfg.ShutdownTimeout, log)
	// Running jobs are cancelled and give their unfinished work back to
	// the queue; another replica or the next start picks it up.
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := sched.Stop(sctx); err != nil {
		log.Warn("stopping jobs", "err", err)
	}
	// Then the features' background work (profile pictures).
	svc.Stop(cfg.ShutdownTimeout)
	return serveErr
}

// serveMetrics starts the metrics listener (metrics.listen) with the grade
// queue's depth, and the profiler when metrics.pprof is on; never on the
// main listener. The returned function shuts it down gracefully.
func serveMetrics(cfg *config.Config, log *slog.Logger, db *database.DB, m *metrics.Metrics) (stop func(), err error) {
	if cfg.MetricsListen == "" || m == nil {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsListen)
	if err != nil {
		return nil, fmt.Errorf("metrics listen: %w", err)
	}
	m.WatchGradeQueue(func(ctx context.Context) (map[string]int64, error) { return store.GradeQueueDepth(ctx, db) }, log)
	srv := m.Server(cfg.Pprof)
	srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String(), "pprof", cfg.Pprof)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			log.Warn("metrics listener shutdown", "err", err)
		}
	}, nil
}

// service is what serve runs: the HTTP server, and the background work
// its features started, which the scheduled jobs share.
type service struct {
	*http.Server
	// Pictures fetches the profile pictures of launches and of membership
	// sync; nil when they are not fetched.
	Pictures   *picture.Updater
	background []closer
	log        *slog.Logger
}

// Stop ends the background work the features started, once the server
// has stopped, waiting at most timeout.
func (s *service) Stop(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for _, b := range s.background {
		if err := b.Close(ctx); err != nil {
			s.log.Warn("background work stopped before it finished", "err", err)
		}
	}
}

// newServer builds the HTTP server: every feature mounts its routes on one
// router, wrapped in the shared middleware. m (nil for none) hears of
// launches and grade deliveries.
func newServer(cfg *config.Config, log *slog.Logger, db *database.DB, m *metrics.Metrics) *service {
	svc := &service{log: log, Pictures: newPictureUpdater(cfg, log, db)}
	if svc.Pictures != nil {
		svc.background = append(svc.background, svc.Pictures)
	}
	router := web.NewRouter()
	base := router.PathPrefix(web.BasePath).Subrouter()
	mountRoutes(base, cfg, log, db, m, svc.Pictures)
	sitePath := ""
	if u, err := url.Parse(cfg.Moodle.WWWRoot); err == nil {
		sitePath = u.Path
	}
	handler := web.Middleware(log, web.Proxies(cfg.TrustedProxies))(web.StripSitePath(sitePath, router))
	svc.Server = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // services.php may copy a whole course
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return svc
}

// closer is background work a feature runs beside its routes.
type closer interface {
	Close(ctx context.Context) error
}

// mountRoutes is the one place that lists what the service serves.
// pictures (nil: not fetched) takes the launches' profile pictures.
func mountRoutes(r *mux.Router, cfg *config.Config, log *slog.Logger, db *database.DB, m *metrics.Metrics, pictures *picture.Updater) {
	r.Handle("/healthz", web.Health(db, log)).Methods(http.MethodGet, http.MethodHead)
	sites := &moodle.SiteCache{DB: db, Forced: cfg, TTL: 30 * time.Second}
	sessions := session.New(cfg, sites, log)

	// tool.php: LTI 1.1 launches, handed over to Moodle sessions; their
	// profile pictures are fetched in the background.
	lc := launch.Config{
		DB: db, WWWRoot: cfg.Moodle.WWWRoot, TimestampWindow: cfg.TimestampWindow, Log: log,
		Sessions: sessions, Sites: sites, Forced: cfg,
		DataRoot: cfg.Moodle.DataRoot, CacheDir: moodleCacheDir(cfg),
	}
	if m != nil {
		lc.Observer = m
	}
	if pictures != nil {
		lc.Pictures = pictures
	}
	launch.New(lc).Routes(r)

	// services.php: create_context, duplicate_resource, force_logout.
	(&services.Handler{DB: db, WWWRoot: cfg.Moodle.WWWRoot, Window: cfg.TimestampWindow,
		Nonces: &store.Nonces{DB: db}, Sites: sites, Sessions: sessions,
		AppCache: moodle.NewFileAppCache(moodleCacheDir(cfg)), DataRoot: cfg.Moodle.DataRoot, Log: log}).Routes(r)

	// Administration pages and the layout script know the browser by its
	// Moodle session.
	auth, err := moodleauth.New(context.Background(), cfg, db, sites)
	if err != nil {
		log.Error("administration pages and layout disabled: cannot read Moodle's sessions", "err", err)
		return
	}
	(&admin.Handler{DB: db, Auth: auth, Sites: sites, WWWRoot: cfg.Moodle.WWWRoot, Log: log,
		Grades:  &gradeResender{db: db, job: observed(gradeJob(cfg, log, db), m)},
		Members: &memberSyncNow{db: db, syncer: memberSyncer(cfg, log, db, pictures), log: log}}).Mount(r)
	(&layout.Handler{DB: db, Auth: auth, Sites: sites, WWWRoot: cfg.Moodle.WWWRoot, Log: log}).Mount(r)
}

// newPictureUpdater starts the profile picture downloads, unless they are
// switched off or Moodle's file pool is not on this machine.
func newPictureUpdater(cfg *config.Config, log *slog.Logger, db *database.DB) *picture.Updater {
	if !cfg.Pictures.Fetch {
		return nil
	}
	pool, err := filedir.ForSite(cfg.Moodle.DataRoot, cfg)
	if err != nil {
		log.Warn("profile pictures from launches are not fetched", "err", err)
		return nil
	}
	return picture.New(picture.Config{DB: db, Pool: pool, AllowNetworks: cfg.AllowNetworks, AllowHTTP: cfg.AllowHTTP,
		MaxBytes: int64(cfg.Pictures.MaxBytes), MaxPixels: int64(cfg.Pictures.MaxPixels), Timeout: cfg.Pictures.Timeout, Log: log})
}

// moodleCacheDir is $CFG->cachedir: config.php's, else $CFG->dataroot/cache.
func moodleCacheDir(cfg *config.Config) string {
	if dir, ok := cfg.Forced("cachedir"); ok && dir != "" {
		return dir
	}
	if cfg.Moodle.DataRoot == "" {
		return ""
	}
	return filepath.Join(cfg.Moodle.DataRoot, "cache")
}

// serveUntilDone serves until ctx ends (SIGTERM, SIGINT), then lets
// in-flight requests finish within timeout.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", timeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
