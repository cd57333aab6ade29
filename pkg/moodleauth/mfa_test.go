package moodleauth_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/memcache"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodleauth"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// realSession is the data of a real Moodle 4.5.6 session, logged in and
// through tool_mfa ($SESSION->tool_mfa_authenticated = true).
func realSession(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../phpserialize/testdata/session-example-logged-in.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`s:22:"tool_mfa_authenticated";b:1;`)) {
		t.Fatal("the real session has no MFA flag")
	}
	return string(b)
}

// sessionVariants are the real session with the MFA flag changed; the
// names say whether the session passed MFA.
func sessionVariants(t *testing.T) map[string]string {
	real := realSession(t)
	flag := `s:22:"tool_mfa_authenticated";b:1;`
	// A property the user controls (wantsurl) holding the flag's bytes.
	forged := `s:8:"wantsurl";s:26:"https://localhost:8443/my/";`
	trick := `s:8:"wantsurl";s:34:"` + `s:22:"tool_mfa_authenticated";b:1;` + `";`
	without := strings.Replace(strings.Replace(real, flag, `s:22:"mfa_something_else_set";b:1;`, 1), forged, trick, 1)
	return map[string]string{
		"passed":            real,
		"pending: no flag":  without,
		"pending: false":    strings.Replace(real, flag, `s:22:"tool_mfa_authenticated";b:0;`, 1),
		"pending: no data":  "",
		"passed: int flag":  strings.Replace(real, flag, `s:22:"tool_mfa_authenticated";i:1;`, 1),
		"pending: in USER":  `USER|O:8:"stdClass":1:{s:22:"tool_mfa_authenticated";b:1;}SESSION|O:8:"stdClass":0:{}`,
		"passed: after C:":  `x|C:3:"Foo":5:{ab|cd}SESSION|O:8:"stdClass":1:{s:22:"tool_mfa_authenticated";b:1;}`,
		"pending: in array": `SESSION|O:8:"stdClass":1:{s:1:"a";a:1:{s:22:"tool_mfa_authenticated";b:1;}}`,
	}
}

// While tool_mfa is enabled, a session counts only once Moodle set
// $SESSION->tool_mfa_authenticated; the flag is read from the session's
// data wherever Moodle's handler keeps it (sessions.sessdata, the session
// file, Redis), and a session whose data cannot be read is pending.
func TestMFAPending(t *testing.T) {
	db, tdb := testenv.DB(t)
	sites := &moodle.SiteCache{DB: db, TTL: time.Minute}
	dir := t.TempDir()
	a := &moodleauth.Authenticator{DB: db, Site: sites.Get, Now: func() time.Time { return now }, SessionDir: dir}
	ctx := context.Background()
	insert := func(sid string, sessdata any) {
		tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, sessdata, timecreated, timemodified, firstip, lastip) VALUES (0, ?, 3, ?, ?, ?, '127.0.0.1', '127.0.0.1')",
			sid, sessdata, now.Unix()-100, now.Unix()-10)
	}
	check := func(sid string, want bool, wantErr bool) {
		t.Helper()
		id, err := a.Identify(request("MoodleSession", sid))
		if err != nil || !id.LoggedIn() {
			t.Fatalf("%s: %v %+v", sid, err, id)
		}
		pending, err := a.MFAPending(ctx, id)
		if pending != want || errors.Is(err, moodleauth.ErrSessionUnreadable) != wantErr || (err != nil && !wantErr) {
			t.Errorf("%s: pending %v err %v, want %v (unreadable %v)", sid, pending, err, want, wantErr)
		}
	}
	variants := sessionVariants(t)
	names := make([]string, 0, len(variants))
	for name := range variants {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		data := variants[name]
		db, file := fmt.Sprintf("db%d", i), fmt.Sprintf("file%d", i)
		insert(db, base64.StdEncoding.EncodeToString([]byte(data))) // the database handler
		insert(file, nil)                                           // the file handler
		if err := os.WriteFile(filepath.Join(dir, "sess_"+file), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			// tool_mfa off (the fixture): nobody is held.
			check(db, false, false)
			check(file, false, false)
		})
	}
	insert("nofile", nil)
	insert("notbase64", "%%%")
	tdb.Exec(t, "UPDATE {config_plugins} SET value = '1' WHERE plugin = 'tool_mfa' AND name = 'enabled'")
	for i, name := range names {
		want := strings.HasPrefix(name, "pending")
		db, file := fmt.Sprintf("db%d", i), fmt.Sprintf("file%d", i)
		t.Run(name, func(t *testing.T) {
			check(db, want, false)
			check(file, want, false)
		})
	}
	check("nofile", true, true)
	check("notbase64", true, true)
	a.SessionDir = ""
	check("file0", true, true)
	// Broken data is pending, never passed.
	insert("broken", base64.StdEncoding.EncodeToString([]byte(`SESSION|O:8:"stdClass":1:{s:22:"tool_mfa_authenticated";b:1`)))
	check("broken", true, true)
}

// The redis handler's data: phpredis-serialised, compressed when Moodle
// compresses; data that does not decompress leaves the session pending.
func TestMFAPendingFromRedis(t *testing.T) {
	db, tdb := testenv.DB(t)
	tdb.Exec(t, "UPDATE {config_plugins} SET value = '1' WHERE plugin = 'tool_mfa' AND name = 'enabled'")
	prefix := fmt.Sprintf("ltip-mfa-%d-", time.Now().UnixNano())
	cfg := &config.Config{}
	cfg.Session = config.Session{HandlerClass: `\core\session\redis`, RedisHost: "127.0.0.1", RedisPort: 6379,
		RedisPrefix: prefix, RedisConnectionTimeout: 2 * time.Second}
	sites := &moodle.SiteCache{DB: db, TTL: time.Minute}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis on 127.0.0.1:6379 is needed for this test (redis-server from Debian's packages): %v", err)
	}
	t.Cleanup(func() {
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	set := func(sid string, data []byte) {
		err := rdb.HSet(ctx, prefix+"session_"+sid, "userid", "i:3;", "sessdata", fmt.Sprintf(`s:%d:"%s";`, len(data), data),
			"timecreated", fmt.Sprintf("i:%d;", now.Unix()-100), "timemodified", fmt.Sprintf("i:%d;", now.Unix()-5)).Err()
		if err != nil {
			t.Fatal(err)
		}
	}
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.Bytes()
	}
	v := sessionVariants(t)
	set("plain-passed", []byte(v["passed"]))
	set("plain-pending", []byte(v["pending: no flag"]))
	set("gzip-passed", gz(v["passed"]))
	set("gzip-pending", gz(v["pending: false"]))
	for _, tc := range []struct {
		compressor, sid     string
		pending, unreadable bool
	}{
		{"", "plain-passed", false, false},
		{"none", "plain-pending", true, false},
		{"gzip", "gzip-passed", false, false},
		{"gzip", "gzip-pending", true, false},
		{"gzip", "plain-passed", true, true},
		{"zstd", "gzip-passed", true, true},
	} {
		cfg.Session.RedisCompressor = tc.compressor
		a, err := moodleauth.New(ctx, cfg, db, sites)
		if err != nil {
			t.Fatal(err)
		}
		a.Now = func() time.Time { return now }
		id, err := a.Identify(request("MoodleSession", tc.sid))
		if err != nil || !id.LoggedIn() {
			t.Fatalf("%s: %v %+v", tc.sid, err, id)
		}
		pending, err := a.MFAPending(ctx, id)
		if pending != tc.pending || errors.Is(err, moodleauth.ErrSessionUnreadable) != tc.unreadable {
			t.Errorf("%s with %q: pending %v err %v", tc.sid, tc.compressor, pending, err)
		}
	}
}

// The memcached handler's data: the sessions row says who, the PHP
// memcached extension's key <prefix><sid> holds the data.
func TestMFAPendingFromMemcached(t *testing.T) {
	db, tdb := testenv.DB(t)
	tdb.Exec(t, "UPDATE {config_plugins} SET value = '1' WHERE plugin = 'tool_mfa' AND name = 'enabled'")
	mc := memcache.Client{Addr: "127.0.0.1:11211", Timeout: 2 * time.Second}
	prefix := fmt.Sprintf("memc.sess.key.mfa%d.", time.Now().UnixNano())
	ctx := context.Background()
	v := sessionVariants(t)
	for sid, data := range map[string]string{"mc-passed": v["passed"], "mc-pending": v["pending: no flag"]} {
		if err := mc.Set(ctx, prefix+sid, []byte(data), 60); err != nil {
			t.Fatalf("memcached on 127.0.0.1:11211 is needed for this test (apt-get install memcached): %v", err)
		}
		tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, sessdata, timecreated, timemodified, firstip, lastip) VALUES (0, ?, 3, NULL, ?, ?, '127.0.0.1', '127.0.0.1')",
			sid, now.Unix()-100, now.Unix()-10)
	}
	tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, sessdata, timecreated, timemodified, firstip, lastip) VALUES (0, 'mc-missing', 3, NULL, ?, ?, '127.0.0.1', '127.0.0.1')",
		now.Unix()-100, now.Unix()-10)
	cfg := &config.Config{}
	cfg.Session = config.Session{HandlerClass: `\core\session\memcached`, MemcachedSavePath: "127.0.0.1:11211", MemcachedPrefix: prefix}
	a, err := moodleauth.New(ctx, cfg, db, &moodle.SiteCache{DB: db, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return now }
	for sid, want := range map[string]struct{ pending, unreadable bool }{
		"mc-passed": {false, false}, "mc-pending": {true, false}, "mc-missing": {true, true},
	} {
		id, err := a.Identify(request("MoodleSession", sid))
		if err != nil || !id.LoggedIn() {
			t.Fatalf("%s: %v %+v", sid, err, id)
		}
		pending, err := a.MFAPending(ctx, id)
		if pending != want.pending || errors.Is(err, moodleauth.ErrSessionUnreadable) != want.unreadable {
			t.Errorf("%s: pending %v err %v", sid, pending, err)
		}
	}
}
