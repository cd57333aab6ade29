package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// CronParser is the cron syntax the service accepts: five fields or a
// descriptor such as @hourly.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Validate checks the whole configuration and returns every problem.
func (c *Config) Validate() []error {
	wwwroot, wwwErr := url.Parse(c.Moodle.WWWRoot)
	checks := []struct {
		bad bool
		msg string
	}{
		{c.DB.DSN == "" && c.MoodleConfigPath == "" && c.DB.Name == "",
			"no database: give Moodle's config.php (--moodle-config or LTIPROVIDER_MOODLE_CONFIG), a DSN (--dsn), or db.name/db.user"},
		{c.DB.DSN == "" && c.DB.Name == "" && c.MoodleConfigPath != "", "db.name: config.php does not set $CFG->dbname"},
		{!supportedDBType(c.DB.Type), fmt.Sprintf("db.type: %q is not supported; the service works with Moodle on MySQL or MariaDB (mysqli, mariadb, auroramysql)", c.DB.Type)},
		{c.DB.Prefix == "", "db.prefix: Moodle's table prefix must not be empty"},
		{strings.ContainsAny(c.DB.Prefix, "`'\"; "), "db.prefix: contains characters Moodle does not allow"},
		{!strings.HasPrefix(c.DB.Collation, "utf8mb4_"), fmt.Sprintf("db.collation: %q is not a utf8mb4 collation; Moodle 4.x requires utf8mb4", c.DB.Collation)},
		{c.DB.Port <= 0 || c.DB.Port > 65535, "db.port: must be between 1 and 65535"},
		{c.DB.MaxOpenConns < 1, "db.max_open_conns: must be at least 1"},
		{c.DB.MaxIdleConns < 0 || c.DB.MaxIdleConns > c.DB.MaxOpenConns, "db.max_idle_conns: must be between 0 and db.max_open_conns"},
		{c.Moodle.WWWRoot == "", "moodle.wwwroot: Moodle's public URL is required (config.php $CFG->wwwroot, or --wwwroot)"},
		{c.Moodle.WWWRoot != "" && (wwwErr != nil || (wwwroot.Scheme != "http" && wwwroot.Scheme != "https") || wwwroot.Host == ""),
			fmt.Sprintf("moodle.wwwroot: %q is not an http(s) URL", c.Moodle.WWWRoot)},
		{wwwErr == nil && (wwwroot.RawQuery != "" || wwwroot.Fragment != ""), "moodle.wwwroot: must not have a query or fragment"},
		{!oneOf(c.Session.Strategy, "auto", "database", "file", "redis", "memcached", "autologin"),
			fmt.Sprintf("session.strategy: %q is not one of auto, database, file, redis, memcached, autologin", c.Session.Strategy)},
		{!oneOf(c.Session.RedisCompressor, "", "none", "gzip", "zstd"), "session.redis_compressor: must be none, gzip or zstd"},
		{badMode(c.Session.FileMode), fmt.Sprintf("session.file_mode: %q is not an octal mode such as 0600", c.Session.FileMode)},
		{badAddr(c.Listen), fmt.Sprintf("listen: %q is not host:port", c.Listen)},
		{c.MetricsListen != "" && badAddr(c.MetricsListen), fmt.Sprintf("metrics.listen: %q is not host:port", c.MetricsListen)},
		{c.MetricsListen != "" && c.MetricsListen == c.Listen, "metrics.listen: must differ from listen"},
		{c.Pprof && c.MetricsListen == "", "metrics.pprof: needs metrics.listen"},
		{c.ShutdownTimeout <= 0, "shutdown_timeout: must be positive"},
		{c.Pictures.MaxBytes < 1024 || c.Pictures.MaxBytes > 64<<20, "pictures.max_bytes: must be between 1024 and 67108864 (64 MiB)"},
		{c.Pictures.MaxPixels < 10000 || c.Pictures.MaxPixels > 100000000, "pictures.max_pixels: must be between 10000 and 100000000"},
		{c.Pictures.Timeout < 1e9 || c.Pictures.Timeout > 120e9, "pictures.timeout: must be between 1s and 2m"},
		{!oneOf(c.LogFormat, "text", "json"), fmt.Sprintf("log.format: %q is not text or json", c.LogFormat)},
		{!oneOf(c.LogLevel, "debug", "info", "warn", "error"), fmt.Sprintf("log.level: %q is not debug, info, warn or error", c.LogLevel)},
		{c.TimestampWindow < 10e9 || c.TimestampWindow > 3600e9, "lti.timestamp_window: must be between 10s and 1h"},
		{badCron(c.Schedule.Grades), fmt.Sprintf("schedule.grades: %q is not a cron expression", c.Schedule.Grades)},
		{badCron(c.Schedule.Members), fmt.Sprintf("schedule.members: %q is not a cron expression", c.Schedule.Members)},
		{badCron(c.Schedule.Housekeeping), fmt.Sprintf("schedule.housekeeping: %q is not a cron expression", c.Schedule.Housekeeping)},
		{c.Sync.Workers < 1 || c.Sync.Workers > 256, "sync.workers: must be between 1 and 256"},
		{c.Sync.PerHost < 1 || c.Sync.PerHost > c.Sync.Workers, "sync.per_host: must be between 1 and sync.workers"},
		{c.Sync.Timeout < time.Second || c.Sync.Timeout > 10*time.Minute, "sync.timeout: must be between 1s and 10m"},
		{c.Sync.MaxAttempts < 1 || c.Sync.MaxAttempts > 1000, "sync.max_attempts: must be between 1 and 1000"},
	}
	var problems []error
	for _, ch := range checks {
		if ch.bad {
			problems = append(problems, fmt.Errorf("%s", ch.msg))
		}
	}
	return problems
}

func supportedDBType(t string) bool { return oneOf(t, "mysqli", "mariadb", "auroramysql") }

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func badAddr(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	return err != nil || port == ""
}

func badCron(spec string) bool {
	if spec == ScheduleOff {
		return false
	}
	_, err := CronParser.Parse(spec)
	return err != nil
}

func badMode(m string) bool {
	if m == "" {
		return false
	}
	var mode uint32
	_, err := fmt.Sscanf(m, "%o", &mode)
	return err != nil || mode > 0o777 || mode&0o600 != 0o600
}
