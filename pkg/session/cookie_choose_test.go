package session_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
)

func TestCookieFollowsPrepareCookies(t *testing.T) {
	base := map[string]string{"cookiesecure": "1", "sessioncookie": "", "sessioncookiepath": "", "sessioncookiedomain": ""}
	cases := []struct {
		name    string
		wwwroot string
		site    map[string]string
		adjust  func(*config.Config)
		want    string
	}{
		{"https", "https://moodle.example", nil, nil, "MoodleSession=SID; Path=/; HttpOnly; Secure; SameSite=None"},
		{"http: no Secure, no SameSite", "http://moodle.example", nil, nil, "MoodleSession=SID; Path=/; HttpOnly"},
		{"sub-path wwwroot", "https://x.example/moodle", nil, nil, "MoodleSession=SID; Path=/moodle/; HttpOnly; Secure; SameSite=None"},
		{"sessioncookie suffix from the config table", "https://x.example", map[string]string{"sessioncookie": "edu"}, nil, "MoodleSessionedu=SID; Path=/; HttpOnly; Secure; SameSite=None"},
		{"sessioncookie from config.php wins", "https://x.example", map[string]string{"sessioncookie": "edu"}, func(c *config.Config) { c.Session.Cookie = "php" }, "MoodleSessionphp=SID; Path=/; HttpOnly; Secure; SameSite=None"},
		{"valid sessioncookiepath", "https://x.example/moodle", map[string]string{"sessioncookiepath": "/"}, nil, "MoodleSession=SID; Path=/; HttpOnly; Secure; SameSite=None"},
		{"sessioncookiepath not a prefix", "https://x.example/moodle", map[string]string{"sessioncookiepath": "/other/"}, nil, "MoodleSession=SID; Path=/moodle/; HttpOnly; Secure; SameSite=None"},
		{"sessioncookiepath without slash", "https://x.example/a/moodle", map[string]string{"sessioncookiepath": "/a"}, nil, "MoodleSession=SID; Path=/a/moodle/; HttpOnly; Secure; SameSite=None"},
		{"sessioncookiepath prefix", "https://x.example/a/moodle", map[string]string{"sessioncookiepath": "/a/"}, nil, "MoodleSession=SID; Path=/a/; HttpOnly; Secure; SameSite=None"},
		{"parent domain", "https://lms.x.example", map[string]string{"sessioncookiedomain": "x.example"}, nil, "MoodleSession=SID; Path=/; Domain=x.example; HttpOnly; Secure; SameSite=None"},
		{"dotted domain", "https://lms.x.example", map[string]string{"sessioncookiedomain": ".x.example"}, nil, "MoodleSession=SID; Path=/; Domain=x.example; HttpOnly; Secure; SameSite=None"},
		{"foreign domain dropped", "https://lms.x.example", map[string]string{"sessioncookiedomain": "evil.example"}, nil, "MoodleSession=SID; Path=/; HttpOnly; Secure; SameSite=None"},
		{"cookiesecure off", "https://x.example", map[string]string{"cookiesecure": "0"}, nil, "MoodleSession=SID; Path=/; HttpOnly"},
		{"cookiehttponly 0", "https://x.example", map[string]string{"cookiehttponly": "0"}, nil, "MoodleSession=SID; Path=/; Secure; SameSite=None"},
		{"sslproxy", "http://x.example", map[string]string{"sslproxy": "1"}, nil, "MoodleSession=SID; Path=/; HttpOnly; Secure; SameSite=None"},
		{"partitioned", "https://x.example", nil, func(c *config.Config) { c.Session.CookiePartitioned = true }, "MoodleSession=SID; Path=/; HttpOnly; Secure; SameSite=None; Partitioned"},
		{"partitioned needs https", "http://x.example", nil, func(c *config.Config) { c.Session.CookiePartitioned = true }, "MoodleSession=SID; Path=/; HttpOnly"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals := map[string]string{}
			for k, v := range base {
				vals[k] = v
			}
			for k, v := range tc.site {
				vals[k] = v
			}
			cfg, _ := config.Load(config.Input{LookupEnv: func(string) (string, bool) { return "", false }})
			cfg.Moodle.WWWRoot = tc.wwwroot
			if tc.adjust != nil {
				tc.adjust(cfg)
			}
			c := session.CookieFor(cfg, moodle.NewSite(vals))
			if got := c.New("SID").String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if exp := c.Expire(); exp.MaxAge >= 0 || exp.Path != c.Path || exp.Name != c.Name {
				t.Errorf("expiring cookie %s", exp)
			}
		})
	}
}

func TestBrowserSIDIgnoresWhatPHPWouldRefuse(t *testing.T) {
	c := session.Cookie{Name: "MoodleSession"}
	for value, want := range map[string]string{
		"3qhc5934noadbk05stjm8hf0fi": "3qhc5934noadbk05stjm8hf0fi", "A-b,1": "A-b,1",
		"../../etc/passwd": "", "a b": "", strings.Repeat("a", 257): "", "": "",
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", "MoodleSession="+value+"; MoodleSession=second")
		if got := c.SID(r); got != want {
			t.Errorf("SID(%.20q) = %q, want %q", value, got, want)
		}
	}
	if got := c.SID(nil); got != "" {
		t.Errorf("SID(nil) = %q", got)
	}
}

func TestChoose(t *testing.T) {
	site := func(dbsessions string) *moodle.Site {
		return moodle.NewSite(map[string]string{"dbsessions": dbsessions})
	}
	redisCfg := config.Session{HandlerClass: `\core\session\redis`, RedisHost: "127.0.0.1"}
	cases := []struct {
		name    string
		cfg     config.Session
		site    *moodle.Site
		want    string
		wantErr bool
	}{
		{"default is files", config.Session{Strategy: "auto"}, site("0"), session.File, false},
		{"dbsessions", config.Session{Strategy: "auto"}, site("1"), session.Database, false},
		{"config.php wins over dbsessions", config.Session{Strategy: "auto", HandlerClass: `core\session\file`}, site("1"), session.File, false},
		{"redis", redisCfg, site("0"), session.Redis, false},
		{"redis with gzip", config.Session{HandlerClass: `\core\session\redis`, RedisHost: "r", RedisCompressor: "gzip"}, site("0"), session.Redis, false},
		{"redis with igbinary", config.Session{HandlerClass: `\core\session\redis`, RedisHost: "r", RedisSerializerIgbinary: true}, site("0"), session.Redis, false},
		{"redis with zstd", config.Session{HandlerClass: `\core\session\redis`, RedisHost: "r", RedisCompressor: "zstd"}, site("0"), session.Redis, false},
		{"redis with another compressor", config.Session{HandlerClass: `\core\session\redis`, RedisHost: "r", RedisCompressor: "lz4"}, site("0"), session.Autologin, false},
		{"memcached", config.Session{HandlerClass: `\core\session\memcached`}, site("0"), session.Autologin, false},
		{"unknown handler", config.Session{HandlerClass: `\local_x\session\mine`}, site("0"), session.Autologin, false},
		{"forced autologin", config.Session{Strategy: "autologin"}, site("1"), session.Autologin, false},
		{"forced file on a custom handler", config.Session{Strategy: "file", HandlerClass: `\local_x\session\mine`}, site("0"), session.File, false},
		{"forced database while Moodle uses files", config.Session{Strategy: "database"}, site("0"), session.Database, true},
		{"forced redis with igbinary", config.Session{Strategy: "redis", HandlerClass: `\core\session\redis`, RedisHost: "r", RedisSerializerIgbinary: true}, site("0"), session.Redis, false},
		{"forced redis without a host", config.Session{Strategy: "redis", HandlerClass: `\core\session\redis`}, site("0"), session.Redis, true},
	}
	for _, tc := range cases {
		c, err := session.Choose(tc.cfg, tc.site)
		if (err != nil) != tc.wantErr || c.Strategy != tc.want || c.Why == "" {
			t.Errorf("%s: %+v, %v", tc.name, c, err)
		}
	}
}
