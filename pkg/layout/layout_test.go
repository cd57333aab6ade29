package layout_test

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

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/doctor"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/layout"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodleauth"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const wwwroot = "https://moodle.example"

var now = time.Unix(1795760000, 0)

func TestScriptAndStylesheetPerSession(t *testing.T) {
	db, tdb := testenv.DB(t)
	sites := &moodle.SiteCache{DB: db, TTL: 0}
	h := &layout.Handler{DB: db, Sites: sites, WWWRoot: wwwroot,
		Auth: &moodleauth.Authenticator{DB: db, Site: sites.Get, Now: func() time.Time { return now }}}
	router := web.NewRouter()
	h.Mount(router.PathPrefix(web.BasePath).Subrouter())
	session := func(sid string, user, created int64) {
		tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, timecreated, timemodified) VALUES (0, ?, ?, ?, ?)", sid, user, created, now.Unix())
	}
	// student1 (3) launched an activity tool (PROV-ASSIGN, cm 6, context 19)
	// that hides the header and forces navigation; teacher1 (4) did not.
	err := store.SaveLaunch(context.Background(), db, &store.Launch{UserID: 3, ToolID: 1, TimeCreated: now.Unix() - 600,
		Layout: store.Layout{HidePageHeader: true, ForceNavigation: true, CustomCSS: "body{color:#123}", ContextID: 19, CourseID: 3, CMID: 6}})
	if err != nil {
		t.Fatal(err)
	}
	session("lti", 3, now.Unix()-600)
	session("later", 3, now.Unix()-60) // a session started well after the launch: not LTI
	session("teacher", 4, now.Unix()-60)
	get := func(path, sid string) (int, http.Header, string) {
		r := httptest.NewRequest("GET", web.BasePath+path, nil)
		if sid != "" {
			r.AddCookie(&http.Cookie{Name: "MoodleSession", Value: sid})
		}
		w := httptest.NewRecorder()
		router.ServeHTTP(w, r)
		return w.Code, w.Header(), w.Body.String()
	}
	code, hdr, css := get("/layout.css", "lti")
	if code != 200 || !strings.Contains(css, "#page-header") || !strings.Contains(css, "body{color:#123}") || strings.Contains(css, "#page-footer{") {
		t.Errorf("LTI stylesheet %d:\n%s", code, css)
	}
	if hdr.Get("Cache-Control") != "private, no-store" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/css") {
		t.Errorf("headers %v", hdr)
	}
	for _, sid := range []string{"later", "teacher", "", "nosuch"} {
		if code, hdr, css := get("/layout.css", sid); code != 200 || css != "" || hdr.Get("Cache-Control") != "private, no-store" {
			t.Errorf("%q: stylesheet %d %q", sid, code, css)
		}
	}
	_, hdr, js := get("/layout.js", "lti")
	for _, want := range []string{`"css":"https://moodle.example/local/ltiprovider/layout.css"`, `"contextid":19`,
		`"target":"https://moodle.example/mod/assign/view.php?id=6"`, `user\/policy\.php`} {
		if !strings.Contains(js, want) {
			t.Errorf("LTI script lacks %s:\n%s", want, js)
		}
	}
	if hdr.Get("Cache-Control") != "private, no-store" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/javascript") {
		t.Errorf("script headers %v", hdr)
	}
	// The teacher gets no layout, but the course-menu link lookup.
	_, _, js = get("/layout.js", "teacher")
	if strings.Contains(js, `"css"`) || strings.Contains(js, `"force"`) || !strings.Contains(js, `"nav":"https://moodle.example/local/ltiprovider/nav.json"`) {
		t.Errorf("teacher script:\n%s", js)
	}
	// Anonymous: nothing at all.
	_, _, js = get("/layout.js", "")
	if !strings.HasSuffix(strings.TrimSpace(js), "({});") {
		t.Errorf("anonymous script ends %q", js[len(js)-20:])
	}
}

func TestInstallUninstall(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	dataroot := t.TempDir()
	cached := filepath.Join(dataroot, "cache", "cachestore_file", "default_application", "core_config", "abc-cache", "abc123.cache")
	os.MkdirAll(filepath.Dir(cached), 0o755)
	os.WriteFile(cached, []byte("stale"), 0o644)
	tdb.Exec(t, "UPDATE {config} SET value = '<meta name=\"x\" content=\"y\">' WHERE name = 'additionalhtmlhead'")
	env := layout.Env{DB: db, WWWRoot: wwwroot, DataRoot: dataroot, Now: func() time.Time { return now }}
	value := func() string {
		return fmt.Sprint(tdb.Rows(t, "SELECT value FROM {config} WHERE name = 'additionalhtmlhead'")[0]["value"])
	}
	res, err := layout.Install(ctx, env)
	if err != nil || !res.Changed || res.Purged != 1 || res.CacheNote != "" {
		t.Fatalf("install: %+v %v", res, err)
	}
	want := `<meta name="x" content="y">` + "\n" + layout.Tag(wwwroot)
	if value() != want {
		t.Errorf("after install %q", value())
	}
	if _, err := os.Stat(cached); !os.IsNotExist(err) {
		t.Error("core/config cache not purged")
	}
	if n := tdb.Count(t, "config_log", "name = 'additionalhtmlhead'"); n != 1 {
		t.Errorf("config_log rows %d", n)
	}
	// Installing again changes nothing; a new wwwroot replaces the tag.
	if res, _ := layout.Install(ctx, env); res.Changed {
		t.Error("second install changed the setting")
	}
	env2 := env
	env2.WWWRoot = "https://new.example"
	layout.Install(ctx, env2)
	if strings.Count(value(), "data-ltiprovider") != 1 || !strings.Contains(value(), "https://new.example/local/ltiprovider/layout.js") {
		t.Errorf("reinstall: %q", value())
	}
	if _, err := layout.Uninstall(ctx, env); err != nil || value() != `<meta name="x" content="y">` {
		t.Errorf("uninstall: %q %v", value(), err)
	}
	// A site whose config.php sets the value is refused, untouched.
	env.Forced = func(name string) (string, bool) { return "<x>", name == "additionalhtmlhead" }
	before := tdb.Snapshot(t)
	if _, err := layout.Install(ctx, env); err == nil || !strings.Contains(err.Error(), "config.php") {
		t.Errorf("forced: %v", err)
	}
	tdb.AssertUnchanged(t, before)
	// Application caches elsewhere: the administrator is told to purge.
	os.MkdirAll(filepath.Join(dataroot, "muc"), 0o755)
	os.WriteFile(filepath.Join(dataroot, "muc", "config.php"), []byte("<?php $configuration = array('modemappings' => array(0 => array('mode' => 1, 'store' => 'redis_app', 'sort' => 0)));"), 0o644)
	env.Forced = nil
	res, _ = layout.Install(ctx, env)
	if !strings.Contains(res.CacheNote, "purge") {
		t.Errorf("no purge note: %+v", res)
	}
}

func TestDoctorCheck(t *testing.T) {
	check := layout.DoctorCheck()
	cfg := &config.Config{}
	cfg.Moodle.WWWRoot = wwwroot
	for value, want := range map[string]doctor.Status{
		"":                                doctor.Fail,
		"<meta>\n" + layout.Tag(wwwroot):  doctor.Pass,
		layout.Tag("https://old.example"): doctor.Fail,
	} {
		env := &doctor.Env{Config: cfg, Site: moodle.NewSite(map[string]string{"additionalhtmlhead": value})}
		if r := check.Run(context.Background(), env); r.Status != want || (want == doctor.Fail && !strings.Contains(r.Hint, "ltiprovider layout install")) {
			t.Errorf("%q: %+v", value, r)
		}
	}
}
