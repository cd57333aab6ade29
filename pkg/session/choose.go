package session

import (
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/memcache"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phpredis"
)

// Strategy names, as the session.strategy option spells them.
const (
	Auto      = "auto"
	Database  = "database"
	File      = "file"
	Redis     = "redis"
	Memcached = "memcached"
	Autologin = "autologin"
)

// Choice is the strategy that applies to a site, and why.
type Choice struct {
	Strategy string // database, file, redis, memcached or autologin
	Handler  string // Moodle's session handler class
	Why      string // for doctor and the logs
}

// Choose picks the strategy from the session.strategy option and Moodle's
// session handler (config.php's session_handler_class, else dbsessions,
// else files, as \core\session\manager::get_handler_class()). An explicit
// strategy that writes where Moodle's core handler never reads is an
// error: every launch would land logged out.
func Choose(cfg config.Session, site *moodle.Site) (Choice, error) {
	handler, why := moodle.SessionHandler(cfg.HandlerClass, site)
	c := Choice{Handler: handler}
	redisProblem := redisFormatProblem(cfg)
	want := cfg.Strategy
	if want == "" {
		want = Auto
	}
	if want == Auto {
		switch handler {
		case moodle.HandlerDatabase:
			c.Strategy, c.Why = Database, "Moodle keeps sessions in the database ("+why+")"
		case moodle.HandlerFile:
			c.Strategy, c.Why = File, "Moodle keeps sessions in files ("+why+")"
		case moodle.HandlerRedis:
			if redisProblem == "" {
				c.Strategy, c.Why = Redis, "Moodle keeps sessions in Redis ("+why+")"
			} else {
				c.Strategy, c.Why = Autologin, "Moodle keeps sessions in Redis, but "+redisProblem+" ("+why+")"
			}
		case moodle.HandlerMemcached:
			if _, err := memcache.ServerOf(cfg.MemcachedSavePath); err == nil {
				c.Strategy, c.Why = Memcached, "Moodle keeps sessions in memcached ("+why+")"
			} else {
				c.Strategy, c.Why = Autologin, "Moodle keeps sessions in memcached, but "+err.Error()+" ("+why+")"
			}
		default:
			c.Strategy, c.Why = Autologin, "Moodle uses the session handler "+handler+", which the service does not know ("+why+")"
		}
		return c, nil
	}
	c.Strategy, c.Why = want, "session.strategy is "+want+"; Moodle's handler is "+handler+" ("+why+")"
	core := map[string]string{moodle.HandlerDatabase: Database, moodle.HandlerFile: File, moodle.HandlerRedis: Redis, moodle.HandlerMemcached: Memcached}
	native, isCore := core[handler]
	switch {
	case want == Autologin:
		return c, nil
	case want != Database && want != File && want != Redis && want != Memcached:
		return c, fmt.Errorf("session.strategy %q is not one of auto, database, file, redis, memcached, autologin", want)
	case isCore && native != want:
		return c, fmt.Errorf("session.strategy is %s, but Moodle reads sessions with %s (%s), so the browser would land logged out; use auto or autologin", want, handler, why)
	case want == Redis && redisProblem != "":
		return c, fmt.Errorf("session.strategy is redis, but %s; use autologin", redisProblem)
	case want == Memcached:
		if _, err := memcache.ServerOf(cfg.MemcachedSavePath); err != nil {
			return c, fmt.Errorf("session.strategy is memcached, but %v; use autologin", err)
		}
	}
	return c, nil
}

// redisFormatProblem says why the service cannot write Moodle's Redis
// sessions with these settings, or "".
func redisFormatProblem(cfg config.Session) string {
	if _, err := phpredis.FormatOf(cfg); err != nil {
		return err.Error()
	}
	if cfg.RedisHost == "" {
		return "session_redis_host is not set"
	}
	return ""
}
