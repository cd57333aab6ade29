package session

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/memcache"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phpredis"
)

// SiteSource gives Moodle's current settings; *moodle.SiteCache is one.
type SiteSource interface {
	Get(ctx context.Context) (*moodle.Site, error)
}

// Manager is the Strategy the service uses: on every call it works out
// which strategy applies to the site now (see Choose) and runs it.
type Manager struct {
	cfg   *config.Config
	sites SiteSource
	log   *slog.Logger
	// Now is the clock; tests set it.
	Now func() time.Time

	redisOnce sync.Once
	redis     redis.UniversalClient
	redisErr  error

	// logs and fields keep site settings a login reads, for settingsTTL.
	logs   moodle.LogStoreCache
	fields profileFieldCache
}

// settingsTTL is how long a Manager reuses Moodle settings it reads on
// every login (the log stores, the custom profile fields): an
// administrator's change is seen within this time.
const settingsTTL = 10 * time.Second

// New returns the Manager for a site. It connects to nothing yet: Redis is
// reached on first use.
func New(cfg *config.Config, sites SiteSource, log *slog.Logger) *Manager {
	return &Manager{cfg: cfg, sites: sites, log: log, Now: time.Now,
		logs: moodle.LogStoreCache{TTL: settingsTTL}, fields: profileFieldCache{ttl: settingsTTL}}
}

// Close releases the Redis connection, if one was opened.
func (m *Manager) Close() error {
	if m.redis != nil {
		return m.redis.Close()
	}
	return nil
}

func (m *Manager) now() time.Time { return m.Now() }

// Name is the configured session.strategy: auto, or the forced strategy.
// Choice says which applies to the site now.
func (m *Manager) Name() string {
	if m.cfg.Session.Strategy == "" {
		return Auto
	}
	return m.cfg.Session.Strategy
}

// Choice is the strategy that applies to the site now.
func (m *Manager) Choice(ctx context.Context) (Choice, *moodle.Site, error) {
	site, err := m.sites.Get(ctx)
	if err != nil {
		return Choice{}, nil, err
	}
	c, err := Choose(m.cfg.Session, site)
	return c, site, err
}

// Cookie is the site's session cookie now.
func (m *Manager) Cookie(ctx context.Context) (Cookie, error) {
	site, err := m.sites.Get(ctx)
	if err != nil {
		return Cookie{}, err
	}
	return CookieFor(m.cfg, site), nil
}

// BrowserSID returns the Moodle session id the browser sent, or "".
func (m *Manager) BrowserSID(ctx context.Context, r *http.Request) (string, error) {
	c, err := m.Cookie(ctx)
	if err != nil {
		return "", err
	}
	return c.SID(r), nil
}

// store returns where sessions live for a choice: the strategy's store for
// the strategies that write sessions, else the store of Moodle's handler.
func (m *Manager) store(c Choice, site *moodle.Site) (store, error) {
	kind := c.Strategy
	if kind == Autologin {
		switch c.Handler {
		case moodle.HandlerDatabase:
			kind = Database
		case moodle.HandlerFile:
			kind = File
		case moodle.HandlerRedis:
			kind = Redis
		case moodle.HandlerMemcached:
			kind = Memcached
		}
	}
	switch kind {
	case Database:
		return dbStore{}, nil
	case File:
		dir, err := sessionDir(m.cfg)
		if err != nil {
			return nil, err
		}
		return fileStore{dir: dir, cfg: m.cfg.Session, log: m.log}, nil
	case Redis:
		m.redisOnce.Do(func() { m.redis, m.redisErr = newRedisClient(m.cfg.Session) })
		if m.redisErr != nil {
			return nil, m.redisErr
		}
		freq := site.Int("session_update_timemodified_frequency", 0)
		if v, ok := m.cfg.Forced("session_update_timemodified_frequency"); ok {
			freq, _ = parseInt(v)
		}
		if freq <= 0 {
			freq = 20
		}
		life := time.Duration(int64(site.SessionTimeout().Seconds())+freq+60) * time.Second
		format, err := phpredis.FormatOf(m.cfg.Session)
		if err != nil {
			return nil, err
		}
		return redisStore{client: m.redis, prefix: m.cfg.Session.RedisPrefix, format: format, timeout: life, log: m.log}, nil
	case Memcached:
		addr, err := memcache.ServerOf(m.cfg.Session.MemcachedSavePath)
		if err != nil {
			if c.Strategy == Autologin {
				return rowStore{}, nil // the rows still end sessions (destroy, limits)
			}
			return nil, err
		}
		prefix := m.cfg.Session.MemcachedPrefix
		if prefix == "" {
			prefix = "memc.sess.key."
		}
		return memcachedStore{mc: memcache.Client{Addr: addr, Timeout: 3 * time.Second}, prefix: prefix, log: m.log}, nil
	}
	return rowStore{}, nil
}

// Login logs the browser in with the strategy that applies now, after
// destroying the browser's previous Moodle session (so no one inherits
// another person's session).
func (m *Manager) Login(ctx context.Context, tx *database.Tx, req LoginRequest) (*Handoff, error) {
	choice, site, err := m.Choice(ctx)
	if err != nil {
		return nil, err
	}
	if err := m.checkDest(req.Dest); err != nil {
		return nil, err
	}
	st, err := m.store(choice, site)
	if err != nil {
		return nil, err
	}
	cookie := CookieFor(m.cfg, site)
	old := cookie.SID(req.Browser)
	if old != "" {
		if err := st.destroy(ctx, tx, old); err != nil {
			return nil, err
		}
	}
	if choice.Strategy == Autologin {
		h, err := m.autologin(ctx, tx, site, req)
		if err != nil {
			return nil, err
		}
		if old != "" {
			h.Cookies = append(h.Cookies, cookie.Expire())
		}
		return h, nil
	}
	return m.direct(ctx, tx, site, st, choice, cookie, req)
}

// direct writes the session itself, as complete_user_login() would leave
// it: the session, the login times, the event, the concurrent-login limit.
func (m *Manager) direct(ctx context.Context, tx *database.Tx, site *moodle.Site, st store, choice Choice, cookie Cookie, req LoginRequest) (*Handoff, error) {
	l, err := m.startLogin(ctx, tx, site, req.UserID, req.ClientIP, req.NewUser)
	if err != nil {
		return nil, err
	}
	if err := l.markMessagesMigrated(ctx, tx, site); err != nil {
		return nil, err
	}
	data, err := l.data()
	if err != nil {
		return nil, err
	}
	sid, err := newSID()
	if err != nil {
		return nil, err
	}
	if err := st.write(ctx, tx, newSession{sid: sid, userID: req.UserID, data: data, now: l.now, ip: req.ClientIP}); err != nil {
		return nil, err
	}
	if err := l.saveLoginTimes(ctx, tx); err != nil {
		return nil, err
	}
	if err := m.logEvent(ctx, tx, site, l); err != nil {
		return nil, err
	}
	if err := m.limitConcurrentLogins(ctx, tx, site, st, req.UserID, sid); err != nil {
		return nil, err
	}
	return &Handoff{Cookies: []*http.Cookie{cookie.New(sid)}, Redirect: req.Dest, SID: sid, Strategy: choice.Strategy}, nil
}

func (m *Manager) logEvent(ctx context.Context, tx *database.Tx, site *moodle.Site, l *login) error {
	logs, err := m.logs.Get(ctx, tx, site)
	if err != nil || !logs.Enabled {
		return err
	}
	system, err := moodle.SystemContext(ctx, tx)
	if err != nil {
		return err
	}
	return logs.Write(ctx, tx, l.event(system))
}

// limitConcurrentLogins is manager::apply_concurrent_login_limit(): keep
// the new session and the newest others up to limitconcurrentlogins.
func (m *Manager) limitConcurrentLogins(ctx context.Context, tx *database.Tx, site *moodle.Site, st store, userID int64, keep string) error {
	limit := site.Int("limitconcurrentlogins", 0)
	if v, ok := m.cfg.Forced("limitconcurrentlogins"); ok {
		limit, _ = parseInt(v)
	}
	if limit <= 0 {
		return nil
	}
	refs, err := st.sessionsOf(ctx, tx, userID)
	if err != nil {
		return err
	}
	if len(refs) <= int(limit) {
		return nil
	}
	kept := 0
	others := refs[:0]
	for _, r := range refs {
		if r.SID == keep {
			kept = 1
			continue
		}
		others = append(others, r)
	}
	sort.SliceStable(others, func(i, j int) bool { return others[i].TimeCreated > others[j].TimeCreated })
	for _, r := range others {
		kept++
		if kept <= int(limit) {
			continue
		}
		if err := st.destroy(ctx, tx, r.SID); err != nil {
			return err
		}
	}
	return nil
}

// Destroy ends a Moodle session wherever Moodle's handler keeps it.
func (m *Manager) Destroy(ctx context.Context, q database.Querier, sid string) error {
	choice, site, err := m.Choice(ctx)
	if err != nil {
		return err
	}
	st, err := m.store(choice, site)
	if err != nil {
		return err
	}
	return st.destroy(ctx, q, sid)
}

// checkDest allows only Moodle's own URLs as the landing page.
func (m *Manager) checkDest(dest string) error {
	root := strings.TrimRight(m.cfg.Moodle.WWWRoot, "/")
	u, err := url.Parse(dest)
	if err != nil || root == "" || !(dest == root || strings.HasPrefix(dest, root+"/") || strings.HasPrefix(dest, root+"?")) ||
		u.User != nil || strings.ContainsAny(dest, "\r\n\\") {
		return fmt.Errorf("session: destination %q is not under wwwroot %q", dest, root)
	}
	return nil
}

func parseInt(s string) (int64, error) {
	var n int64
	_, err := fmt.Sscan(strings.TrimSpace(s), &n)
	return n, err
}
