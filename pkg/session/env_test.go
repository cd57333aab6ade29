package session_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// now is the fixed clock of the tests.
var now = time.Unix(1767225600, 0)

const clientIP = "198.51.100.7"

type env struct {
	db       *database.DB
	tdb      *testdb.DB
	cfg      *config.Config
	mgr      *session.Manager
	sessions string // the sessions folder
}

// newEnv is a migrated fixture site with wwwroot https://moodle.example,
// a fresh dataroot and a Manager with a fixed clock. adjust changes the
// configuration before the Manager is built.
func newEnv(t *testing.T, adjust func(*config.Config)) *env {
	t.Helper()
	return newEnvPHP(t, "", adjust)
}

// newEnvPHP is newEnv with a config.php holding the given $CFG lines, for
// settings only config.php can force.
func newEnvPHP(t *testing.T, cfgLines string, adjust func(*config.Config)) *env {
	t.Helper()
	db, tdb := testenv.DB(t)
	dataroot := t.TempDir()
	e := &env{db: db, tdb: tdb, sessions: filepath.Join(dataroot, "sessions")}
	if err := os.Mkdir(e.sessions, 0o700); err != nil {
		t.Fatal(err)
	}
	envVars := map[string]string{}
	if cfgLines != "" {
		php := filepath.Join(dataroot, "config.php")
		if err := os.WriteFile(php, []byte("<?php\n$CFG = new stdClass();\n"+cfgLines+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		envVars["LTIPROVIDER_MOODLE_CONFIG"] = php
	}
	cfg, _ := config.Load(config.Input{LookupEnv: func(k string) (string, bool) { v, ok := envVars[k]; return v, ok }})
	cfg.DB = testenv.DBConfig(tdb)
	cfg.Moodle.WWWRoot = "https://moodle.example"
	cfg.Moodle.DataRoot = dataroot
	cfg.Moodle.Admin = "admin"
	if adjust != nil {
		adjust(cfg)
	}
	e.cfg = cfg
	e.mgr = session.New(cfg, &moodle.SiteCache{DB: db, Forced: cfg}, logging.Discard())
	e.mgr.Now = func() time.Time { return now }
	t.Cleanup(func() { e.mgr.Close() })
	return e
}

// browser is a launch request, with a MoodleSession cookie when sid != "".
func browser(sid string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "https://moodle.example/local/ltiprovider/tool.php", nil)
	if sid != "" {
		r.AddCookie(&http.Cookie{Name: "MoodleSession", Value: sid})
	}
	return r
}

// login runs one launch's login in its own transaction.
func (e *env) login(t *testing.T, userID int64, prev string) (*session.Handoff, error) {
	t.Helper()
	var h *session.Handoff
	err := e.db.WithTx(context.Background(), func(tx *database.Tx) error {
		var err error
		h, err = e.mgr.Login(context.Background(), tx, session.LoginRequest{
			UserID: userID, Dest: e.cfg.Moodle.WWWRoot + "/course/view.php?id=3", ClientIP: clientIP, Browser: browser(prev)})
		return err
	})
	return h, err
}

func (e *env) mustLogin(t *testing.T, userID int64, prev string) *session.Handoff {
	t.Helper()
	h, err := e.login(t, userID, prev)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// useRedis points the configuration at the local Redis with a key prefix
// of the test's own; without Redis the test is skipped (failed under CI).
func useRedis(t *testing.T, cfg *config.Config) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DialTimeout: time.Second})
	if err := c.Ping(context.Background()).Err(); err != nil {
		c.Close()
		msg := "Redis is not running on 127.0.0.1:6379 (apt-get install redis-server): " + err.Error()
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Log(msg)
		t.Skip("no Redis")
	}
	prefix := fmt.Sprintf("ltip-test-%d-%s-", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
	cfg.Session.HandlerClass = `\core\session\redis`
	cfg.Session.RedisHost = "127.0.0.1"
	cfg.Session.RedisPort = 6379
	cfg.Session.RedisPrefix = prefix
	t.Cleanup(func() {
		keys, _ := c.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			c.Del(context.Background(), keys...)
		}
		c.Close()
	})
}

// useRedisClient is a plain client of the local Redis, for assertions.
func useRedisClient(t *testing.T) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() { c.Close() })
	return c
}
