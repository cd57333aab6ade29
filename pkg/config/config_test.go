package config

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func load(t *testing.T, args []string, vars map[string]string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Load(Input{Flags: fs, LookupEnv: env(vars)})
}

func TestLoadReadsMoodleConfigPHP(t *testing.T) {
	c, err := load(t, nil, map[string]string{"LTIPROVIDER_MOODLE_CONFIG": "testdata/config.php"})
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]string{
		"db.type":               {c.DB.Type, "mariadb"},
		"db.host":               {c.DB.Host, "db.internal"},
		"db.name":               {c.DB.Name, "moodle"},
		"db.user":               {c.DB.User, "moodleuser"},
		"db.password":           {c.DB.Password, "p@ss'word"},
		"db.prefix":             {c.DB.Prefix, "m45_"},
		"db.collation":          {c.DB.Collation, "utf8mb4_unicode_ci"},
		"moodle.wwwroot":        {c.Moodle.WWWRoot, "https://moodle.example.edu"},
		"moodle.dataroot":       {c.Moodle.DataRoot, "/var/moodledata"},
		"session.cookie":        {c.Session.Cookie, "edu"},
		"session.handler_class": {c.Session.HandlerClass, `\core\session\database`},
	}
	for key, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", key, v[0], v[1])
		}
		if c.Source(key) != "config.php" {
			t.Errorf("%s source %q", key, c.Source(key))
		}
	}
	if c.DB.Port != 3307 {
		t.Errorf("port %d", c.DB.Port)
	}
	if c.DB.Socket != "" {
		t.Errorf("socket %q", c.DB.Socket)
	}
	if v, ok := c.Forced("sessiontimeout"); !ok || v != "7200" {
		t.Errorf("forced sessiontimeout = %q %v", v, ok)
	}
	if c.Source("listen") != "default" || c.Listen != "127.0.0.1:8090" {
		t.Errorf("listen %q from %s", c.Listen, c.Source("listen"))
	}
}

func TestPrecedenceFileEnvFlag(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ltiprovider.conf")
	os.WriteFile(file, []byte("# service settings\nmoodle.config = testdata/config.php\ndb.host = from-file\nlog.level = \"debug\"\nlisten = 0.0.0.0:9000\n"), 0o600)
	c, err := load(t, []string{"--config", file, "--listen", "127.0.0.1:9999"},
		map[string]string{"LTIPROVIDER_DB_HOST": "from-env", "LTIPROVIDER_LISTEN": "127.0.0.1:9998"})
	if err != nil {
		t.Fatal(err)
	}
	if c.DB.Host != "from-env" || c.Source("db.host") != "env LTIPROVIDER_DB_HOST" {
		t.Errorf("db.host %q from %s", c.DB.Host, c.Source("db.host"))
	}
	if c.Listen != "127.0.0.1:9999" || c.Source("listen") != "flag --listen" {
		t.Errorf("listen %q from %s", c.Listen, c.Source("listen"))
	}
	if c.LogLevel != "debug" || !strings.HasPrefix(c.Source("log.level"), "file ") {
		t.Errorf("log.level %q from %s", c.LogLevel, c.Source("log.level"))
	}
	if c.DB.Name != "moodle" {
		t.Errorf("config.php named by the file was not read: db.name %q", c.DB.Name)
	}
}

func TestSecretFromFile(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)
	c, err := load(t, []string{"--db-name", "m", "--wwwroot", "https://m.example"},
		map[string]string{"LTIPROVIDER_DB_PASSWORD_FILE": secret})
	if err != nil {
		t.Fatal(err)
	}
	if c.DB.Password != "s3cret" {
		t.Errorf("password %q", c.DB.Password)
	}
}

func TestDSNInsteadOfConfigPHP(t *testing.T) {
	c, err := load(t, []string{"--dsn", "u:p@tcp(h:3306)/moodle", "--wwwroot", "https://m.example/moodle"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DB.DSN == "" || c.Moodle.WWWRoot != "https://m.example/moodle" {
		t.Errorf("%+v", c)
	}
}

func TestEveryProblemReportedAtOnce(t *testing.T) {
	_, err := load(t, []string{"--db-type", "pgsql", "--listen", "nowhere", "--log-format", "xml",
		"--schedule-grades", "every minute", "--trusted-proxies", "10.0.0.0/33", "--wwwroot", "ftp://x"}, nil)
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("error %v is not Problems", err)
	}
	for _, want := range []string{"no database", "db.type", "listen", "log.format", "schedule.grades", "trusted_proxies", "moodle.wwwroot"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
	if len(p) < 7 {
		t.Errorf("only %d problems", len(p))
	}
}

func TestUnknownFileSettingIsAProblem(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.conf")
	os.WriteFile(file, []byte("db.hots = typo\n"), 0o600)
	_, err := load(t, []string{"--config", file, "--dsn", "u@tcp(h:1)/d", "--wwwroot", "https://m"}, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown setting "db.hots"`) {
		t.Errorf("got %v", err)
	}
}

func TestPrintRedactsSecrets(t *testing.T) {
	c, err := load(t, []string{"--dsn", "u:hunter2@tcp(h:3306)/moodle", "--wwwroot", "https://m.example",
		"--db-password", "hunter2", "--session-redis-auth", "hunter2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Print(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "hunter2") {
		t.Errorf("secret printed:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "db.password") || !strings.Contains(buf.String(), Redacted) {
		t.Errorf("redaction missing:\n%s", buf.String())
	}
}

func TestOptionsTableIsComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Options() {
		for _, name := range []string{"key:" + o.Key, "env:" + o.Env, "flag:" + o.Flag} {
			if seen[name] {
				t.Errorf("duplicate %s", name)
			}
			seen[name] = true
		}
		if o.Help == "" || !strings.HasPrefix(o.Env, "LTIPROVIDER_") {
			t.Errorf("option %s lacks help or a proper env name", o.Key)
		}
		var c Config
		if o.Default != "" {
			if err := o.set(&c, o.Default); err != nil {
				t.Errorf("default of %s: %v", o.Key, err)
			}
			if got := o.format(&c); got != o.Default && o.Key != "db.conn_max_lifetime" && o.Key != "shutdown_timeout" &&
				o.Key != "lti.timestamp_window" && o.Key != "session.redis_connection_timeout" {
				t.Errorf("default of %s round-trips to %q", o.Key, got)
			}
		}
	}
}

func TestForcedIncludesConfigPHPOnlySettings(t *testing.T) {
	c, err := load(t, nil, map[string]string{"LTIPROVIDER_MOODLE_CONFIG": "testdata/config.php"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range c.ForcedNames() {
		if n == "directorypermissions" {
			found = true
		}
	}
	if !found {
		t.Errorf("ForcedNames lacks directorypermissions: %v", c.ForcedNames())
	}
}
