package layout_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/layout"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodleauth"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// Moodle's session cookie is SameSite=None (for consumers' iframes), so a
// page of another site can include layout.js and layout.css with the
// user's cookie and read what they say (cross-site script inclusion): the
// course and activity of the user's last launch, whether they manage
// courses, the tool's CSS. A cross-site request gets the anonymous answer;
// Moodle's own pages, framed or not, ask same-origin.
func TestLayoutNotReadableCrossSite(t *testing.T) {
	db, tdb := testenv.DB(t)
	sites := &moodle.SiteCache{DB: db, TTL: 0}
	h := &layout.Handler{DB: db, Sites: sites, WWWRoot: wwwroot,
		Auth: &moodleauth.Authenticator{DB: db, Site: sites.Get, Now: func() time.Time { return now }}}
	router := web.NewRouter()
	h.Mount(router.PathPrefix(web.BasePath).Subrouter())
	err := store.SaveLaunch(context.Background(), db, &store.Launch{UserID: 2, ToolID: 1, TimeCreated: now.Unix() - 600,
		Layout: store.Layout{ForceNavigation: true, CustomCSS: "body{color:#123}", ContextID: 19, CourseID: 3, CMID: 6}})
	if err != nil {
		t.Fatal(err)
	}
	tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, timecreated, timemodified) VALUES (0, 'lti', 2, ?, ?)", now.Unix()-600, now.Unix())
	get := func(path, fetchSite string) string {
		r := httptest.NewRequest("GET", web.BasePath+path, nil)
		r.AddCookie(&http.Cookie{Name: "MoodleSession", Value: "lti"})
		if fetchSite != "" {
			r.Header.Set("Sec-Fetch-Site", fetchSite)
		}
		w := httptest.NewRecorder()
		router.ServeHTTP(w, r)
		return w.Body.String()
	}
	for _, site := range []string{"", "same-origin"} {
		if js := get("/layout.js", site); !strings.Contains(js, `"contextid":19`) || !strings.Contains(js, `"nav"`) {
			t.Errorf("Sec-Fetch-Site %q: script lacks the user's layout:\n%s", site, js)
		}
		if css := get("/layout.css", site); !strings.Contains(css, "body{color:#123}") {
			t.Errorf("Sec-Fetch-Site %q: stylesheet %q", site, css)
		}
	}
	if js := get("/layout.js", "cross-site"); !strings.HasSuffix(strings.TrimSpace(js), "({});") {
		t.Errorf("cross-site script tells about the user:\n%s", js)
	}
	if css := get("/layout.css", "cross-site"); css != "" {
		t.Errorf("cross-site stylesheet %q", css)
	}
}
