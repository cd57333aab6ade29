package moodleauth

import (
	"context"
	"path/filepath"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/memcache"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// New builds the Authenticator for a site: the session store follows
// Moodle's handler choice (config.php's session_handler_class, then the
// dbsessions setting), so a site on the redis handler is read from Redis
// and every other site from the sessions table.
func New(ctx context.Context, cfg *config.Config, db database.Querier, sites *moodle.SiteCache) (*Authenticator, error) {
	site, err := sites.Get(ctx)
	if err != nil {
		return nil, err
	}
	a := &Authenticator{DB: db, Site: sites.Get, Config: cfg, CookieSuffix: cfg.Session.Cookie,
		SessionDir: cfg.Session.FileSavePath}
	if a.SessionDir == "" && cfg.Moodle.DataRoot != "" {
		a.SessionDir = filepath.Join(cfg.Moodle.DataRoot, "sessions")
	}
	if class, _ := moodle.SessionHandler(cfg.Session.HandlerClass, site); class == moodle.HandlerRedis {
		store, err := NewRedisStore(cfg.Session)
		if err != nil {
			return nil, err
		}
		a.Sessions = store
	}
	if class, _ := moodle.SessionHandler(cfg.Session.HandlerClass, site); class == moodle.HandlerMemcached {
		if addr, err := memcache.ServerOf(cfg.Session.MemcachedSavePath); err == nil {
			prefix := cfg.Session.MemcachedPrefix
			if prefix == "" {
				prefix = "memc.sess.key."
			}
			a.SessionData = MemcachedData{Client: memcache.Client{Addr: addr, Timeout: 3 * time.Second}, Prefix: prefix}
		}
	}
	return a, nil
}
