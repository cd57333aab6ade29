package session_test

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phpredis"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phptest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
)

func TestRedisStrategyWritesMoodlesHashes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		compressor string
		igbinary   bool
	}{{"none", "none", false}, {"gzip", "gzip", false}, {"zstd", "zstd", false}, {"igbinary", "none", true}, {"igbinary+gzip", "gzip", true}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *config.Config) {
				useRedis(t, c)
				c.Session.RedisCompressor = tc.compressor
				c.Session.RedisSerializerIgbinary = tc.igbinary
			})
			format, err := phpredis.FormatOf(e.cfg.Session)
			if err != nil {
				t.Fatal(err)
			}
			val := func(v any) string {
				s, err := format.Value(v)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			rc := useRedisClient(t)
			prefix := e.cfg.Session.RedisPrefix
			h := e.mustLogin(t, 3, "")
			checkSID(t, h.SID)
			ctx := context.Background()
			hash, err := rc.HGetAll(ctx, prefix+"session_"+h.SID).Result()
			if err != nil {
				t.Fatal(err)
			}
			ts := now.Unix()
			want := map[string]string{"id": val(h.SID), "state": val("0"), "sid": val(h.SID), "userid": val(int64(3)),
				"timecreated": val(ts), "timemodified": val(ts), "firstip": val(clientIP), "lastip": val(clientIP)}
			for k, v := range want {
				if hash[k] != v {
					t.Errorf("%s = %q, want %q", k, hash[k], v)
				}
			}
			if len(hash) != 9 {
				t.Errorf("%d fields: %v", len(hash), hash)
			}
			// sessdata is one serialised string: the data, compressed first.
			inner, err := format.Scalar(hash["sessdata"])
			compressed, ok := inner.(string)
			if err != nil || !ok {
				t.Fatalf("sessdata is not one serialised string: %.60q", hash["sessdata"])
			}
			data, err := format.Decompress([]byte(compressed), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if want := wantStudent1(sesskeyOf(t, data)); string(data) != want {
				t.Errorf("session data:\n got %s\nwant %s", data, want)
			}
			if idx, _ := rc.HGetAll(ctx, prefix+"user_3").Result(); len(idx) != 1 || idx[h.SID] != val(ts) {
				t.Errorf("user_3 index: %v", idx)
			}
			life := time.Duration(28800+20+60) * time.Second
			for _, k := range []string{prefix + "session_" + h.SID, prefix + "user_3"} {
				if ttl := rc.TTL(ctx, k).Val(); ttl > life || ttl < life-5*time.Second {
					t.Errorf("TTL of %s = %v, want %v", k, ttl, life)
				}
			}
			if n := e.tdb.Count(t, "sessions", ""); n != 0 {
				t.Errorf("the redis handler keeps no sessions rows, found %d", n)
			}
			e.checkLoginSideEffects(t)
			// phpredis, configured as Moodle's redis handler configures it,
			// reads the hash back to the right PHP types and the session.
			// (PHP has no zstd here: the data it reads is checked against
			// the reference zstd in pkg/phpredis.)
			if !phptest.HasExtension(t, "redis") {
				t.Log("php-redis is missing (apt-get install php-redis): the hash was checked byte by byte only")
				return
			}
			out := phptest.Run(t, `
				$r = new Redis(); $r->connect('127.0.0.1', 6379);
				$r->setOption(Redis::OPT_SERIALIZER, getenv('IGB') ? Redis::SERIALIZER_IGBINARY : Redis::SERIALIZER_PHP);
				$r->setOption(Redis::OPT_PREFIX, getenv('PREFIX'));
				$sid = getenv('SID');
				$rec = $r->hmget('session_'.$sid, ['id', 'state', 'sid', 'userid', 'sessdata', 'timecreated', 'timemodified', 'firstip', 'lastip']);
				$data = $rec['sessdata'];
				if (getenv('COMP') === 'gzip') { $data = gzdecode($data); }
				$user = 'zstd';
				if (getenv('COMP') !== 'zstd') {
					session_start(['use_cookies' => 0, 'save_handler' => 'files', 'save_path' => sys_get_temp_dir()]);
					session_decode($data);
					$user = $_SESSION['USER']->username;
					session_abort();
				}
				var_export([$rec['state'], $rec['userid'], $rec['timecreated'] === $rec['timemodified'], $rec['lastip'],
					$user, $r->hGetAll('user_3') === [$sid => (int)getenv('NOW')]]);`, nil,
				"PREFIX="+prefix, "SID="+h.SID, "NOW="+strconv.FormatInt(ts, 10), "COMP="+tc.compressor, "IGB="+map[bool]string{true: "1"}[tc.igbinary])
			user := "student1"
			if tc.compressor == "zstd" {
				user = "zstd"
			}
			wantPHP := "array (\n  0 => '0',\n  1 => 3,\n  2 => true,\n  3 => '" + clientIP + "',\n  4 => '" + user + "',\n  5 => true,\n)"
			if string(out) != wantPHP {
				t.Errorf("phpredis reads:\n%s\nwant\n%s", out, wantPHP)
			}
		})
	}
}

func TestRedisRollbackAndDestroy(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { useRedis(t, c) })
	rc := useRedisClient(t)
	prefix := e.cfg.Session.RedisPrefix
	ctx := context.Background()
	err := e.db.WithTx(ctx, func(tx *database.Tx) error {
		if _, err := e.mgr.Login(ctx, tx, session.LoginRequest{UserID: 3, Dest: "https://moodle.example/", ClientIP: clientIP, Browser: browser("")}); err != nil {
			return err
		}
		return errors.New("the launch failed later")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if keys := rc.Keys(ctx, prefix+"*").Val(); len(keys) != 0 {
		t.Errorf("keys left after the rollback: %v", keys)
	}
	first := e.mustLogin(t, 3, "")
	second := e.mustLogin(t, 3, first.SID) // the browser's previous session
	if rc.Exists(ctx, prefix+"session_"+first.SID).Val() != 0 || rc.HExists(ctx, prefix+"user_3", first.SID).Val() {
		t.Error("the previous session survived")
	}
	if err := e.mgr.Destroy(ctx, e.db, second.SID); err != nil { // force_logout
		t.Fatal(err)
	}
	if keys := rc.Keys(ctx, prefix+"*").Val(); len(keys) != 0 {
		t.Errorf("keys left after Destroy: %v", keys)
	}
}

func TestAutologinWritesMoodlesKey(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Session.Strategy = session.Autologin })
	e.tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, sessdata, timecreated, timemodified, firstip, lastip) VALUES (0, 'previousbrowsersession0001', 4, NULL, 1, 1, '', '')")
	userBefore := e.tdb.Rows(t, "SELECT currentlogin, lastip FROM {user} WHERE id = 3")
	h := e.mustLogin(t, 3, "previousbrowsersession0001")
	keys := e.tdb.Rows(t, "SELECT script, value, userid, instance, iprestriction, validuntil, timecreated FROM {user_private_key}")
	if len(keys) != 1 {
		t.Fatalf("keys: %v", keys)
	}
	k := keys[0]
	ts := now.Unix()
	want := map[string]any{"script": "tool_mobile", "userid": "3", "instance": nil, "iprestriction": clientIP,
		"validuntil": strconv.FormatInt(ts+60, 10), "timecreated": strconv.FormatInt(ts, 10)}
	for f, v := range want {
		if k[f] != v {
			t.Errorf("%s = %v, want %v", f, k[f], v)
		}
	}
	value := k["value"].(string)
	if len(value) != 32 {
		t.Errorf("key %q is not 32 hex characters", value)
	}
	u, _ := url.Parse(h.Redirect)
	if u.Scheme+"://"+u.Host+u.Path != "https://moodle.example/admin/tool/mobile/autologin.php" ||
		u.Query().Get("userid") != "3" || u.Query().Get("key") != value || u.Query().Get("urltogo") != "https://moodle.example/course/view.php?id=3" {
		t.Errorf("redirect %s", h.Redirect)
	}
	if h.SID != "" || len(h.Cookies) != 1 || h.Cookies[0].MaxAge >= 0 || h.Cookies[0].Name != "MoodleSession" {
		t.Errorf("handoff %+v: want the old cookie expired", h)
	}
	if n := e.tdb.Count(t, "sessions", ""); n != 0 {
		t.Errorf("the previous session was not destroyed (%d rows)", n)
	}
	// Moodle's autologin.php does the login itself.
	if after := e.tdb.Rows(t, "SELECT currentlogin, lastip FROM {user} WHERE id = 3"); after[0]["currentlogin"] != userBefore[0]["currentlogin"] {
		t.Error("login times written by the service")
	}
	// A second launch replaces the key, as get_autologin_key() does.
	e.mustLogin(t, 3, "")
	if n := e.tdb.Count(t, "user_private_key", "userid = 3"); n != 1 {
		t.Errorf("%d keys after a second launch", n)
	}
}

func TestAutologinRefusesWhatMoodleRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		adjust func(*config.Config)
		setup  string
		user   int64
	}{
		{"http wwwroot", func(c *config.Config) { c.Moodle.WWWRoot = "http://moodle.example" }, "", 3},
		{"web services off", nil, "UPDATE {config} SET value = '0' WHERE name = 'enablewebservices'", 3},
		{"mobile service off", nil, "UPDATE {config} SET value = '0' WHERE name = 'enablemobilewebservice'", 3},
		{"site admin", nil, "", 2},
		{"nologin user", nil, "UPDATE {user} SET auth = 'nologin' WHERE id = 3", 3},
		{"unconfirmed user", nil, "UPDATE {user} SET confirmed = 0 WHERE id = 3", 3},
		{"suspended user", nil, "UPDATE {user} SET suspended = 1 WHERE id = 3", 3},
		{"site:config through a role", nil, "INSERT INTO {role_assignments} (roleid, contextid, userid, timemodified, modifierid) VALUES (1, 1, 3, 0, 2); " +
			"INSERT INTO {role_capabilities} (contextid, roleid, capability, permission, timemodified, modifierid) VALUES (1, 1, 'moodle/site:config', 1, 0, 2)", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *config.Config) {
				c.Session.Strategy = session.Autologin
				if tc.adjust != nil {
					tc.adjust(c)
				}
			})
			for _, q := range splitSQL(tc.setup) {
				e.tdb.Exec(t, q)
			}
			before := e.tdb.Snapshot(t)
			_, err := e.login(t, tc.user, "")
			if !errors.Is(err, session.ErrRefused) {
				t.Fatalf("err = %v, want ErrRefused", err)
			}
			e.tdb.AssertUnchanged(t, before)
		})
	}
}

func splitSQL(s string) []string {
	var out []string
	for _, q := range bytes.Split([]byte(s), []byte("; ")) {
		if len(q) > 0 {
			out = append(out, string(q))
		}
	}
	return out
}
