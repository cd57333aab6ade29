package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/launch"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

func (s *site) keys() []string {
	var out []string
	for _, r := range s.tdb.Rows(s.t, "SELECT consumerkey FROM {local_ltiprovider_consumer} WHERE toolid = ? ORDER BY id", s.tool.ID) {
		out = append(out, fmt.Sprint(r["consumerkey"]))
	}
	return out
}

func (s *site) keyID(key string) string {
	rows := s.tdb.Rows(s.t, "SELECT id FROM {local_ltiprovider_consumer} WHERE toolid = ? AND keyhash = SHA1(?)", s.tool.ID, key)
	if len(rows) != 1 {
		s.t.Fatalf("key %q: %d rows", key, len(rows))
	}
	return fmt.Sprint(rows[0]["id"])
}

func (s *site) bind(key string) {
	if err := store.BindConsumerKey(context.Background(), s.db, s.tool.ID, key, now.Unix()-3600); err != nil {
		s.t.Fatal(err)
	}
}

func TestConsumerKeysOnTheEditPage(t *testing.T) {
	s := newSite(t)
	edit := fmt.Sprintf("/edit.php?id=%d", s.tool.ID)
	id := fmt.Sprint(s.tool.ID)

	// No key yet: the page says the next launch binds one.
	r := s.do("editingteacher", "GET", edit, nil)
	if r.code != 200 || !strings.Contains(r.body, `id="consumerkeys"`) || !strings.Contains(r.body, "No consumer key is bound yet") {
		t.Fatalf("edit page: %d\n%s", r.code, r.body)
	}
	key := sesskeyRE.FindStringSubmatch(r.body)[1]

	// Add one, with blanks around it as pasted.
	r = s.do("editingteacher", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {id}, "bindkey": {"1"}, "consumerkey": {"  consumer-A\n"}})
	if r.code != http.StatusSeeOther || r.loc != wwwroot+"/local/ltiprovider/edit.php?id="+id+"#consumerkeys" {
		t.Fatalf("bind: %d %s\n%s", r.code, r.loc, r.body)
	}
	if got := s.keys(); fmt.Sprint(got) != "[consumer-A]" {
		t.Fatalf("keys %v", got)
	}
	row := s.tdb.Rows(t, "SELECT keyhash, timecreated FROM {local_ltiprovider_consumer} WHERE toolid = ?", s.tool.ID)[0]
	if fmt.Sprint(row["keyhash"]) != store.KeyHash("consumer-A") || fmt.Sprint(row["timecreated"]) != fmt.Sprint(now.Unix()) {
		t.Errorf("row %v", row)
	}
	// The same key again changes nothing; a second key is added.
	s.do("editingteacher", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {id}, "bindkey": {"1"}, "consumerkey": {"consumer-A"}})
	s.do("editingteacher", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {id}, "bindkey": {"1"}, "consumerkey": {"Consumer-A"}})
	if got := s.keys(); fmt.Sprint(got) != "[consumer-A Consumer-A]" {
		t.Fatalf("keys compared exactly: %v", got)
	}
	r = s.do("editingteacher", "GET", edit, nil)
	if !strings.Contains(r.body, `<code class="ltip-key">consumer-A</code>`) || !strings.Contains(r.body, `<code class="ltip-key">Consumer-A</code>`) ||
		strings.Contains(r.body, "No consumer key is bound yet") {
		t.Errorf("list:\n%s", r.body)
	}

	// Refused keys: the page comes back with the error by the field and
	// what was typed; nothing is written.
	before := s.tdb.Snapshot(t)
	for _, bad := range []struct{ value, msg string }{
		{"   ", "Enter the consumer key"},
		{"key\x00with-nul", "control characters"},
		{strings.Repeat("k", 1001), "longer than 1000 characters"},
	} {
		r := s.do("editingteacher", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {id}, "bindkey": {"1"}, "consumerkey": {bad.value}})
		if r.code != http.StatusUnprocessableEntity || !strings.Contains(r.body, bad.msg) ||
			!strings.Contains(r.body, `id="id_consumerkey_error"`) || !strings.Contains(r.body, `aria-invalid="true"`) {
			t.Errorf("%q: %d\n%s", bad.value, r.code, r.body)
		}
	}
	s.tdb.AssertUnchanged(t, before)

	// Remove by row id; a second click (or another tool's key id) changes
	// nothing.
	kid := s.keyID("Consumer-A")
	r = s.do("editingteacher", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {id}, "unbindkey": {"1"}, "keyid": {kid}})
	if r.code != http.StatusSeeOther || fmt.Sprint(s.keys()) != "[consumer-A]" {
		t.Fatalf("unbind: %d %v", r.code, s.keys())
	}
	other := store.NewTool(prov1, 19, 3, 5, now.Unix())
	if err := store.InsertTool(context.Background(), s.db, other); err != nil {
		t.Fatal(err)
	}
	if err := store.BindConsumerKey(context.Background(), s.db, other.ID, "other-key", now.Unix()); err != nil {
		t.Fatal(err)
	}
	otherKeyID := fmt.Sprint(s.tdb.Rows(t, "SELECT id FROM {local_ltiprovider_consumer} WHERE toolid = ?", other.ID)[0]["id"])
	before = s.tdb.Snapshot(t)
	for _, k := range []string{kid, otherKeyID} {
		if r := s.do("editingteacher", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {id}, "unbindkey": {"1"}, "keyid": {k}}); r.code != http.StatusSeeOther {
			t.Errorf("stale key id %s: %d", k, r.code)
		}
	}
	if r := s.do("editingteacher", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {id}, "unbindkey": {"1"}, "keyid": {"x"}}); r.code != http.StatusBadRequest {
		t.Errorf("bad key id: %d", r.code)
	}
	s.tdb.AssertUnchanged(t, before)

	// The last key: the page warns what removing it means.
	if r := s.do("editingteacher", "GET", edit, nil); !strings.Contains(r.body, "Removing the last key") {
		t.Error("no warning about the last key")
	}
	// The main form still saves without touching the keys.
	if r := s.do("editingteacher", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {id}, "hidepageheader": {"0", "1"}}); r.code != http.StatusSeeOther || fmt.Sprint(s.keys()) != "[consumer-A]" {
		t.Errorf("save: %d %v", r.code, s.keys())
	}
	// A new tool's page has no keys section.
	if r := s.do("editingteacher", "GET", fmt.Sprintf("/edit.php?id=-1&courseid=%d", prov1), nil); r.code != 200 || strings.Contains(r.body, `id="consumerkeys"`) {
		t.Errorf("new tool page: %d", r.code)
	}
}

// Only managers of the tool's course may change its keys, with a token
// from this site.
func TestConsumerKeysAuthorisationAndCSRF(t *testing.T) {
	s := newSite(t)
	s.installPluginCapabilities()
	s.bind("consumer-A")
	id := fmt.Sprint(s.tool.ID)
	kid := s.keyID("consumer-A")
	managerKey := s.sesskey("manager")
	// The non-editing teacher of PROV1 manages CONS1 (course 4): their token
	// is valid, their right to PROV1's tool is not.
	s.tdb.Exec(t, "INSERT INTO {user_enrolments} (status, enrolid, userid, timestart, timeend, modifierid, timecreated, timemodified) VALUES (0, 7, ?, 0, 0, 2, 1, 1)", s.users["teacher"])
	s.tdb.Exec(t, "INSERT INTO {role_assignments} (roleid, contextid, userid, timemodified, modifierid) VALUES (3, 24, ?, 1, 2)", s.users["teacher"])
	if err := store.InsertTool(context.Background(), s.db, store.NewTool(4, 24, 3, 5, now.Unix())); err != nil {
		t.Fatal(err)
	}
	m := sesskeyRE.FindStringSubmatch(s.do("teacher", "GET", "/index.php?courseid=4", nil).body)
	if m == nil {
		t.Fatal("teacher has no token on CONS1's page")
	}
	teacherKey := m[1]
	before := s.tdb.Snapshot(t)
	// Non-editing teachers (local/ltiprovider:view only) may not see the page.
	if r := s.do("teacher", "GET", "/edit.php?id="+id, nil); r.code != 403 || strings.Contains(r.body, "consumer-A") {
		t.Errorf("viewer sees the keys: %d", r.code)
	}
	for _, who := range []string{"teacher", "student", "anonymous", "expired"} {
		want := 403
		if who == "anonymous" || who == "expired" {
			want = 401
		}
		tok := "x"
		if who == "teacher" {
			tok = teacherKey // a valid token of their own
		}
		for _, form := range []url.Values{
			{"sesskey": {tok}, "id": {id}, "bindkey": {"1"}, "consumerkey": {"evil"}},
			{"sesskey": {tok}, "id": {id}, "unbindkey": {"1"}, "keyid": {kid}},
		} {
			r := s.do(who, "POST", "/edit.php", form)
			if r.code != want {
				t.Errorf("%s: %d, want %d", who, r.code, want)
			}
			if who == "teacher" && !strings.Contains(r.body, "you do not currently have permissions") {
				t.Errorf("teacher refused for another reason than their rights:\n%s", r.body)
			}
		}
	}
	// A manager without a valid token, or from another site.
	bad := []struct {
		form url.Values
		hdr  []string
	}{
		{url.Values{"id": {id}, "bindkey": {"1"}, "consumerkey": {"evil"}}, nil},
		{url.Values{"sesskey": {s.sesskey("admin")}, "id": {id}, "bindkey": {"1"}, "consumerkey": {"evil"}}, nil},
		{url.Values{"sesskey": {managerKey}, "id": {id}, "bindkey": {"1"}, "consumerkey": {"evil"}}, []string{"Origin", "https://evil.example"}},
		{url.Values{"sesskey": {managerKey}, "id": {id}, "unbindkey": {"1"}, "keyid": {kid}}, []string{"Sec-Fetch-Site", "cross-site"}},
		{url.Values{"id": {id}, "unbindkey": {"1"}, "keyid": {kid}}, nil},
	}
	for i, b := range bad {
		if r := s.do("manager", "POST", "/edit.php", b.form, b.hdr...); r.code != 403 || !strings.Contains(r.body, "Invalid session key") {
			t.Errorf("case %d: %d", i, r.code)
		}
	}
	s.tdb.AssertUnchanged(t, before)
	// With its token, the manager may.
	if r := s.do("manager", "POST", "/edit.php", url.Values{"sesskey": {managerKey}, "id": {id}, "unbindkey": {"1"}, "keyid": {kid}}); r.code != http.StatusSeeOther || len(s.keys()) != 0 {
		t.Errorf("manager: %d %v", r.code, s.keys())
	}
}

func TestConsumerKeysEscaped(t *testing.T) {
	s := newSite(t)
	evil := `"><script>alert(1)</script><b>k</b>`
	s.bind(evil) // bound by a launch: whatever the consumer sent
	r := s.do("editingteacher", "GET", fmt.Sprintf("/edit.php?id=%d", s.tool.ID), nil)
	if r.code != 200 || strings.Contains(r.body, "<script>alert(1)") || strings.Contains(r.body, "<b>k</b>") ||
		!strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;k&lt;/b&gt;") {
		t.Errorf("key not escaped:\n%s", r.body)
	}
	// A refused key typed with markup comes back escaped in the field.
	key := sesskeyRE.FindStringSubmatch(r.body)[1]
	r = s.do("editingteacher", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {fmt.Sprint(s.tool.ID)}, "bindkey": {"1"},
		"consumerkey": {`"><img src=x onerror=alert(2)>` + "\x07"}})
	if r.code != http.StatusUnprocessableEntity || strings.Contains(r.body, "<img src=x") || !strings.Contains(r.body, `value="&#34;&gt;&lt;img src=x onerror=alert(2)&gt;`) {
		t.Errorf("typed key not escaped: %d\n%s", r.code, r.body)
	}
}

// noSessions stands in for the Moodle session handoff (pkg/session has
// its own tests): the launches below are about which consumer keys a tool
// accepts, on the real database.
type noSessions struct{}

func (noSessions) Name() string { return "test" }
func (noSessions) Login(_ context.Context, _ *database.Tx, req session.LoginRequest) (*session.Handoff, error) {
	return &session.Handoff{Redirect: req.Dest, SID: "sid"}, nil
}
func (noSessions) Destroy(context.Context, database.Querier, string) error { return nil }

// What the page binds and removes is what launches accept.
func TestConsumerKeysDecideLaunches(t *testing.T) {
	s := newSite(t)
	router := web.NewRouter()
	launch.New(launch.Config{DB: s.db, WWWRoot: wwwroot, TimestampWindow: 5 * time.Minute, Sessions: noSessions{},
		Log: logging.Discard(), Now: func() time.Time { return now }, CacheTTL: time.Nanosecond}).Routes(router.PathPrefix(web.BasePath).Subrouter())
	n := 0
	launchWith := func(consumerKey string) (int, string) {
		n++
		q := "?id=" + strconv.FormatInt(s.tool.ID, 10)
		form := url.Values{"lti_message_type": {"basic-lti-launch-request"}, "lti_version": {"LTI-1p0"},
			"resource_link_id": {"link-1"}, "user_id": {"u" + strconv.Itoa(n)}, "roles": {"Learner"},
			"launch_presentation_return_url": {"https://lms.example/return"}}
		var extra oauth1.Params
		for k, vs := range form {
			extra = append(extra, oauth1.Param{Key: k, Value: vs[0]})
		}
		p, err := oauth1.Outgoing{Method: "POST", URL: wwwroot + launch.Path + q, ConsumerKey: consumerKey, Secret: s.tool.Secret,
			Extra: extra, Timestamp: now.Unix()}.Sign()
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range p {
			form.Set(kv.Key, kv.Value)
		}
		req := httptest.NewRequest("POST", launch.Path+q, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		router.ServeHTTP(w, req)
		return w.Code, w.Header().Get("Location")
	}
	accepted := func(key string) bool {
		t.Helper()
		code, loc := launchWith(key)
		switch {
		case code == http.StatusSeeOther && strings.HasPrefix(loc, wwwroot+"/course/view.php?id=3"):
			return true
		case code == http.StatusSeeOther && strings.Contains(loc, "lti_errormsg=This+consumer+key+is+not+accepted"):
			return false
		}
		t.Fatalf("launch with %q: %d %s", key, code, loc)
		return false
	}
	tok := s.sesskey("editingteacher")
	id := fmt.Sprint(s.tool.ID)
	bind := func(key string) {
		if r := s.do("editingteacher", "POST", "/edit.php", url.Values{"sesskey": {tok}, "id": {id}, "bindkey": {"1"}, "consumerkey": {key}}); r.code != http.StatusSeeOther {
			t.Fatalf("bind %s: %d", key, r.code)
		}
	}
	unbind := func(key string) {
		if r := s.do("editingteacher", "POST", "/edit.php", url.Values{"sesskey": {tok}, "id": {id}, "unbindkey": {"1"}, "keyid": {s.keyID(key)}}); r.code != http.StatusSeeOther {
			t.Fatalf("unbind %s: %d", key, r.code)
		}
	}

	bind("consumer-A")
	if accepted("consumer-B") || !accepted("consumer-A") {
		t.Fatal("bound key A: B must be refused, A accepted")
	}
	bind("consumer-B")
	if !accepted("consumer-B") || !accepted("consumer-A") || accepted("consumer-C") {
		t.Fatal("keys A and B")
	}
	unbind("consumer-A")
	if accepted("consumer-A") || !accepted("consumer-B") {
		t.Fatal("after removing A")
	}
	// Without keys the next launch binds its own again, and only it.
	unbind("consumer-B")
	if !accepted("consumer-C") || accepted("consumer-B") || fmt.Sprint(s.keys()) != "[consumer-C]" {
		t.Fatalf("rebinding: %v", s.keys())
	}
}
