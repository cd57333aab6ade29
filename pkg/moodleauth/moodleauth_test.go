package moodleauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodleauth"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var now = time.Unix(1795760000, 0)

func request(cookieName, sid string) *http.Request {
	r := httptest.NewRequest("GET", "/local/ltiprovider/index.php?courseid=3", nil)
	if sid != "" {
		r.AddCookie(&http.Cookie{Name: cookieName, Value: sid})
	}
	return r
}

func TestIdentifyFromTheSessionsTable(t *testing.T) {
	db, tdb := testenv.DB(t)
	sites := &moodle.SiteCache{DB: db, TTL: time.Minute}
	a := &moodleauth.Authenticator{DB: db, Site: sites.Get, Now: func() time.Time { return now }}
	insert := func(sid string, userid, modified int64) {
		tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, sessdata, timecreated, timemodified, firstip, lastip) VALUES (0, ?, ?, NULL, ?, ?, '127.0.0.1', '127.0.0.1')",
			sid, userid, modified-10, modified)
	}
	timeout := int64(28800) // the fixture's sessiontimeout
	insert("live3", 3, now.Unix()-60)
	insert("edge3", 3, now.Unix()-timeout)
	insert("old3", 3, now.Unix()-timeout-1)
	insert("visitor", 0, now.Unix())
	insert("guest", 1, now.Unix())
	insert("deleted4", 4, now.Unix())
	insert("suspended2", 2, now.Unix())
	tdb.Exec(t, "UPDATE {user} SET deleted = 1 WHERE id = 4")
	tdb.Exec(t, "UPDATE {user} SET suspended = 1 WHERE id = 2")

	cases := []struct {
		cookie, sid string
		state       moodleauth.State
		user        int64
	}{
		{"MoodleSession", "live3", moodleauth.LoggedIn, 3},
		{"MoodleSession", "edge3", moodleauth.LoggedIn, 3},
		{"MoodleSession", "old3", moodleauth.Expired, 0},
		{"MoodleSession", "visitor", moodleauth.Anonymous, 0},
		{"MoodleSession", "guest", moodleauth.Anonymous, 0},
		{"MoodleSession", "deleted4", moodleauth.Refused, 0},
		{"MoodleSession", "suspended2", moodleauth.Refused, 0},
		{"MoodleSession", "unknown", moodleauth.Anonymous, 0},
		{"MoodleSession", "", moodleauth.Anonymous, 0},
		{"MoodleSession", "live3' OR '1'='1", moodleauth.Anonymous, 0},
		{"MoodleSessionOther", "live3", moodleauth.Anonymous, 0},
	}
	for _, tc := range cases {
		id, err := a.Identify(request(tc.cookie, tc.sid))
		if err != nil {
			t.Fatalf("%s=%s: %v", tc.cookie, tc.sid, err)
		}
		if id.State != tc.state || id.UserID() != tc.user {
			t.Errorf("%s=%q: state %v user %d, want %v %d", tc.cookie, tc.sid, id.State, id.UserID(), tc.state, tc.user)
		}
		if id.LoggedIn() && (id.SID != tc.sid || id.User.Username != "student1") {
			t.Errorf("%s: identity %+v", tc.sid, id)
		}
	}

	// The cookie name follows $CFG->sessioncookie: config table, then config.php.
	tdb.Exec(t, "UPDATE {config} SET value = 'Prod' WHERE name = 'sessioncookie'")
	sites.Invalidate()
	if id, _ := a.Identify(request("MoodleSession", "live3")); id.LoggedIn() {
		t.Error("plain MoodleSession accepted with sessioncookie=Prod")
	}
	if id, _ := a.Identify(request("MoodleSessionProd", "live3")); !id.LoggedIn() {
		t.Error("MoodleSessionProd refused")
	}
	a.CookieSuffix = "Forced"
	if id, _ := a.Identify(request("MoodleSessionForced", "live3")); !id.LoggedIn() {
		t.Error("config.php's sessioncookie ignored")
	}
	// Identification only reads.
	if got := tdb.Rows(t, "SELECT timemodified FROM {sessions} WHERE sid = 'live3'")[0]["timemodified"]; fmt.Sprint(got) != fmt.Sprint(now.Unix()-60) {
		t.Errorf("session row changed: %v", got)
	}
}

// The redis handler keeps sessions in hashes whose fields phpredis
// serialised with PHP's serialize(); this writes them as Moodle 4.5's
// redis::add_session() and update_session() do, on the local Redis.
func TestIdentifyFromRedis(t *testing.T) {
	db, tdb := testenv.DB(t)
	tdb.Exec(t, "UPDATE {config} SET value = '1' WHERE name = 'dbsessions'") // must not matter: config.php wins
	prefix := fmt.Sprintf("ltip-test-%d-", time.Now().UnixNano())
	cfg := &config.Config{}
	cfg.Session = config.Session{HandlerClass: `\core\session\redis`, RedisHost: "127.0.0.1", RedisPort: 6379,
		RedisPrefix: prefix, RedisConnectionTimeout: 2 * time.Second}
	sites := &moodle.SiteCache{DB: db, TTL: time.Minute}
	a, err := moodleauth.New(context.Background(), cfg, db, sites)
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return now }
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis on 127.0.0.1:6379 is needed for this test (redis-server from Debian's packages): %v", err)
	}
	t.Cleanup(func() {
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	set := func(sid, userid, modified string) {
		err := rdb.HSet(ctx, prefix+"session_"+sid, "id", fmt.Sprintf(`s:%d:"%s";`, len(sid), sid), "state", `s:1:"0";`,
			"sid", fmt.Sprintf(`s:%d:"%s";`, len(sid), sid), "userid", userid, "sessdata", "N;",
			"timecreated", fmt.Sprintf("i:%d;", now.Unix()-100), "timemodified", modified,
			"firstip", `s:9:"127.0.0.1";`, "lastip", `s:9:"127.0.0.1";`).Err()
		if err != nil {
			t.Fatal(err)
		}
	}
	set("r1", "i:3;", fmt.Sprintf("i:%d;", now.Unix()-5))
	set("r2", `s:1:"3";`, fmt.Sprintf(`s:10:"%d";`, now.Unix()-5)) // update_session() writes strings
	set("r3", "i:3;", fmt.Sprintf("i:%d;", now.Unix()-28801))
	set("r4", "i:0;", fmt.Sprintf("i:%d;", now.Unix()))
	for sid, want := range map[string]moodleauth.State{"r1": moodleauth.LoggedIn, "r2": moodleauth.LoggedIn,
		"r3": moodleauth.Expired, "r4": moodleauth.Anonymous, "missing": moodleauth.Anonymous} {
		id, err := a.Identify(request("MoodleSession", sid))
		if err != nil {
			t.Fatalf("%s: %v", sid, err)
		}
		if id.State != want {
			t.Errorf("%s: state %v, want %v", sid, id.State, want)
		}
	}
	// A sessions row for the same id means nothing to the redis handler.
	tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, timecreated, timemodified) VALUES (0, 'rowonly', 3, ?, ?)", now.Unix(), now.Unix())
	if id, _ := a.Identify(request("MoodleSession", "rowonly")); id.LoggedIn() {
		t.Error("sessions row used under the redis handler")
	}
}
