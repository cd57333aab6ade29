package admin_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/chromiumtest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// TestScreenshots renders the pages on the fixture and photographs them
// with headless Chromium for docs/images. It runs only when asked:
//
//	LTIPROVIDER_SCREENSHOTS=$PWD/docs/images go test -run Screenshots ./pkg/admin
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("LTIPROVIDER_SCREENSHOTS")
	if dir == "" {
		t.Skip("set LTIPROVIDER_SCREENSHOTS to the folder for the PNGs")
	}
	chromium := chromiumtest.Path(t)
	s := newSite(t)
	srv := httptest.NewServer(s.router)
	defer srv.Close()
	s.h.WWWRoot = srv.URL // pages then link the stylesheet this server serves
	act := store.NewTool(prov1, 19, 3, 5, now.Unix())
	act.Secret = "9f2c1e7a4b6d8e0f1a2b3c4d5e6f7a8b"
	act.SyncMembers = false
	store.InsertTool(context.Background(), s.db, act)
	s.tdb.Exec(t, "UPDATE {local_ltiprovider} SET syncmembers = 1 WHERE id = ?", s.tool.ID)
	s.tdb.Exec(t, "INSERT INTO {local_ltiprovider_user} (userid, toolid, serviceurl, sourceid, lastgrade, lastsync, lastaccess) VALUES (3, ?, 'https://lms.example/mod/lti/service.php', '{\"data\":{\"instanceid\":\"1\",\"userid\":\"7\"}}', 85, ?, ?)", s.tool.ID, now.Unix()-3600, now.Unix()-7200)

	store.BindConsumerKey(context.Background(), s.db, s.tool.ID, "moodle.consumer.example", now.Unix()-86400*30)
	store.BindConsumerKey(context.Background(), s.db, s.tool.ID, "canvas-district-12", now.Unix()-3600)

	shoot := func(name, who, method, path string, form url.Values, height int) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, srv.URL+web.BasePath+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.AddCookie(&http.Cookie{Name: "MoodleSession", Value: s.sids[who]})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		html, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tmp := filepath.Join(t.TempDir(), name+".html")
		os.WriteFile(tmp, html, 0o644)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out := filepath.Join(dir, name+".png")
		cmd := exec.CommandContext(ctx, chromium, append(chromiumtest.Args(t.TempDir()), "--hide-scrollbars",
			fmt.Sprintf("--window-size=1280,%d", height), "--screenshot="+out, "file://"+tmp)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, b)
		}
	}
	shoot("admin-index", "editingteacher", "GET", "/index.php?courseid=3", nil, 640)
	shoot("admin-edit", "editingteacher", "GET", fmt.Sprintf("/edit.php?id=%d", s.tool.ID), nil, 2980)
	form := validForm(s, "editingteacher")
	form.Set("enrolenddate", "2026-08-01")
	form.Set("requirecompletion", "1")
	shoot("admin-edit-errors", "editingteacher", "POST", "/edit.php", form, 1000)
	shoot("admin-syncreport", "editingteacher", "GET", fmt.Sprintf("/syncreport.php?id=%d", s.tool.ID), nil, 700)
	shoot("admin-settings", "admin", "GET", "/settings.php", nil, 1250)
}
