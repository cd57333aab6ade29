package config

import (
	"net/netip"
	"time"
)

// Config is the service's whole configuration. It is built once by Load,
// checked by Validate and then passed, read-only, to whatever needs it.
type Config struct {
	// MoodleConfigPath is Moodle's config.php, when the service reads one.
	MoodleConfigPath string

	DB      DB
	Moodle  Moodle
	Session Session

	// Listen is the address of the HTTP server proxied under /local/ltiprovider.
	Listen string
	// MetricsListen is the address of the Prometheus and pprof server; empty disables it.
	MetricsListen string
	// Pprof mounts net/http/pprof on MetricsListen.
	Pprof bool
	// TrustedProxies are the peers whose X-Forwarded-* headers are believed.
	TrustedProxies []netip.Prefix
	// AllowNetworks are private networks outbound requests may reach
	// (consumers on the same LAN); everything non-public is refused otherwise.
	AllowNetworks []netip.Prefix
	// AllowHTTP permits plain-http outbound requests to public hosts.
	AllowHTTP bool
	// ShutdownTimeout bounds how long in-flight requests may take to finish.
	ShutdownTimeout time.Duration

	LogFormat string // "text" or "json"
	LogLevel  string // "debug", "info", "warn", "error"

	// TimestampWindow is how far oauth_timestamp may be from now, both ways.
	TimestampWindow time.Duration

	Schedule Schedule
	Sync     Sync

	// Pictures is how profile pictures from launches are fetched.
	Pictures Pictures

	// forced holds every $CFG value of config.php; Moodle lets these win over
	// rows of its config table, so Forced answers first.
	forced map[string]string
	// sources records where each option's value came from, for `config`.
	sources map[string]string
}

// DB is how to reach Moodle's database.
type DB struct {
	Type      string // mysqli, mariadb or auroramysql
	Host      string
	Port      int
	Socket    string
	Name      string
	User      string
	Password  string
	Prefix    string
	Collation string
	// DSN, when set, is a go-sql-driver DSN used instead of the fields above
	// (except Prefix and Collation).
	DSN string

	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
}

// Moodle is what the service needs to know about the Moodle site.
type Moodle struct {
	WWWRoot  string // public URL of Moodle, no trailing slash
	DataRoot string // $CFG->dataroot
	Admin    string // admin directory name, "admin" by default
}

// Session is how Moodle keeps sessions, and how the service should hand a
// browser over to Moodle after a launch.
type Session struct {
	// Strategy is auto, database, file, redis, memcached or autologin.
	Strategy     string
	HandlerClass string // $CFG->session_handler_class
	Cookie       string // $CFG->sessioncookie (suffix of MoodleSession)
	CookiePath   string
	CookieDomain string
	// CookiePartitioned adds Partitioned (CHIPS) to the session cookie the
	// service sets on https sites.
	CookiePartitioned bool
	FileSavePath      string // $CFG->session_file_save_path
	// FileOwner, FileGroup and FileMode override the owner, group and mode of
	// session files; empty means "like the sessions folder".
	FileOwner string
	FileGroup string
	FileMode  string

	RedisHost               string
	RedisPort               int
	RedisAuth               string
	RedisDatabase           int
	RedisPrefix             string
	RedisEncrypt            bool
	RedisSerializerIgbinary bool
	RedisCompressor         string
	RedisConnectionTimeout  time.Duration

	MemcachedSavePath string
	MemcachedPrefix   string
}

// Pictures bounds the download of the profile pictures launches send.
type Pictures struct {
	Fetch     bool          // download them at all
	MaxBytes  int           // largest download
	MaxPixels int           // largest width × height
	Timeout   time.Duration // per download, redirects included
}

// Schedule holds the cron expressions of the background jobs.
type Schedule struct {
	Grades       string
	Members      string
	Housekeeping string
}

// Sync is how grade passback delivers to consumers.
type Sync struct {
	// Workers is how many outcome requests may be in flight at once.
	Workers int
	// PerHost is how many of them may go to one consumer host.
	PerHost int
	// Timeout bounds one request to a consumer.
	Timeout time.Duration
	// MaxAttempts is how often a delivery that fails for a reason that may
	// pass (network, 5xx, 429) is tried before it is recorded as failed.
	MaxAttempts int
}

// ScheduleOff disables a scheduled job.
const ScheduleOff = "off"

// Forced returns the value config.php gives $CFG->name, as PHP would turn it
// into a string. Moodle applies these over its config table.
func (c *Config) Forced(name string) (string, bool) {
	v, ok := c.forced[name]
	return v, ok
}

// ForcedNames lists every $CFG property config.php sets.
func (c *Config) ForcedNames() []string {
	names := make([]string, 0, len(c.forced))
	for n := range c.forced {
		names = append(names, n)
	}
	return names
}

// Source says where an option's value came from: "default", "config.php",
// "file", "env LTIPROVIDER_…" or "flag --…".
func (c *Config) Source(key string) string {
	if s, ok := c.sources[key]; ok {
		return s
	}
	return "default"
}
