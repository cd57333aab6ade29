package moodleauth

import (
	"context"
	"path/filepath"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
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
	return a, nil
}
