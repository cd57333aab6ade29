package admin_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/admin"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
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

// Fixture: admin 2, student1 3 (student in PROV1 = course 3, context 13),
// teacher1 4 (editing teacher in CONS1); category context 11.
const (
	prov1    = 3
	prov1Ctx = 13
	catCtx   = 11
)

type site struct {
	t      *testing.T
	db     *database.DB
	tdb    *testdb.DB
	h      *admin.Handler
	router http.Handler
	users  map[string]int64
	sids   map[string]string
	tool   *store.Tool
}

// newSite builds the pages on a fresh fixture with the people of the
// authorisation matrix, each with a live Moodle session, and one tool.
func newSite(t *testing.T) *site {
	db, tdb := testenv.DB(t)
	s := &site{t: t, db: db, tdb: tdb, users: map[string]int64{"admin": 2, "student": 3, "editingteacher": 4}, sids: map[string]string{}}
	s.users["manager"] = s.addUser("manager1")
	s.users["teacher"] = s.addUser("nonediting1")
	s.users["expired"] = 3
	// teacher1 becomes an editing teacher of PROV1; a non-editing teacher
	// joins it; a manager is assigned on the category (no enrolment).
	s.enrol(4, 3)
	s.enrol(s.users["teacher"], 4)
	tdb.Exec(t, "INSERT INTO {role_assignments} (roleid, contextid, userid, timemodified, modifierid) VALUES (1, ?, ?, 1, 2)", catCtx, s.users["manager"])
	for name, uid := range s.users {
		s.sids[name] = "sid" + name
		modified := now.Unix() - 30
		if name == "expired" {
			modified = now.Unix() - 28800 - 1
		}
		tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, timecreated, timemodified, firstip, lastip) VALUES (0, ?, ?, ?, ?, '127.0.0.1', '127.0.0.1')",
			s.sids[name], uid, modified-100, modified)
	}
	sites := &moodle.SiteCache{DB: db, TTL: 0}
	s.h = &admin.Handler{DB: db, Sites: sites, WWWRoot: wwwroot, Log: logging.Discard(), Now: func() time.Time { return now },
		Auth: &moodleauth.Authenticator{DB: db, Site: sites.Get, Now: func() time.Time { return now }}}
	router := web.NewRouter()
	s.h.Mount(router.PathPrefix(web.BasePath).Subrouter())
	s.router = router
	s.tool = store.NewTool(prov1, prov1Ctx, 3, 5, now.Unix())
	s.tool.Secret = "s3cr3t-of-prov1"
	if err := store.InsertTool(context.Background(), db, s.tool); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *site) addUser(username string) int64 {
	res := s.tdb.Exec(s.t, `INSERT INTO {user} (auth, confirmed, mnethostid, username, firstname, lastname, email, timecreated, timemodified)
		VALUES ('manual', 1, 1, ?, 'First', 'Last', ?, 1, 1)`, username, username+"@example.com")
	id, _ := res.LastInsertId()
	return id
}

// enrol adds a manual enrolment in PROV1 with a role, as enrol_user() does.
func (s *site) enrol(user, role int64) {
	s.tdb.Exec(s.t, "INSERT INTO {user_enrolments} (status, enrolid, userid, timestart, timeend, modifierid, timecreated, timemodified) VALUES (0, 4, ?, 0, 0, 2, 1, 1)", user)
	s.tdb.Exec(s.t, "INSERT INTO {role_assignments} (roleid, contextid, userid, timemodified, modifierid) VALUES (?, ?, ?, 1, 2)", role, prov1Ctx, user)
}

// installPluginCapabilities adds the plugin's capabilities with its
// archetype defaults, as Moodle's installer would from db/access.php.
func (s *site) installPluginCapabilities() {
	s.tdb.Exec(s.t, "INSERT INTO {capabilities} (name, captype, contextlevel, component, riskbitmask) VALUES ('local/ltiprovider:manage', 'write', 50, 'local_ltiprovider', 16), ('local/ltiprovider:view', 'write', 50, 'local_ltiprovider', 16)")
	for _, rc := range []struct {
		role int
		cap  string
	}{{3, "manage"}, {1, "manage"}, {4, "view"}, {3, "view"}, {1, "view"}} {
		s.tdb.Exec(s.t, "INSERT INTO {role_capabilities} (contextid, roleid, capability, permission, timemodified, modifierid) VALUES (1, ?, ?, 1, 1, 2)", rc.role, "local/ltiprovider:"+rc.cap)
	}
}

type response struct {
	code int
	body string
	loc  string
}

func (s *site) do(who, method, path string, form url.Values, hdr ...string) response {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, web.BasePath+path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	if sid := s.sids[who]; sid != "" {
		r.AddCookie(&http.Cookie{Name: "MoodleSession", Value: sid})
	}
	w := httptest.NewRecorder()
	s.router.ServeHTTP(w, r)
	return response{w.Code, w.Body.String(), w.Header().Get("Location")}
}

var sesskeyRE = regexp.MustCompile(`name="sesskey" value="([^"]+)"`)

// sesskey is the token a page gives the person.
func (s *site) sesskey(who string) string {
	r := s.do(who, "GET", fmt.Sprintf("/index.php?courseid=%d", prov1), nil)
	m := sesskeyRE.FindStringSubmatch(r.body)
	if m == nil {
		s.t.Fatalf("%s: no sesskey on the page (%d)", who, r.code)
	}
	return m[1]
}

func TestAuthorisationMatrix(t *testing.T) {
	s := newSite(t)
	index := fmt.Sprintf("/index.php?courseid=%d", prov1)
	edit := fmt.Sprintf("/edit.php?id=%d", s.tool.ID)
	cases := []struct {
		who              string
		index, edit      int
		secret, settings bool
	}{
		{"admin", 200, 200, true, true},
		{"manager", 200, 200, true, false},
		{"editingteacher", 200, 200, true, false},
		{"teacher", 403, 403, false, false},
		{"student", 403, 403, false, false},
		{"anonymous", 401, 401, false, false},
		{"expired", 401, 401, false, false},
	}
	for _, tc := range cases {
		r := s.do(tc.who, "GET", index, nil)
		if r.code != tc.index {
			t.Errorf("%s: index %d, want %d", tc.who, r.code, tc.index)
		}
		if got := strings.Contains(r.body, s.tool.Secret); got != tc.secret {
			t.Errorf("%s: secret shown %v, want %v", tc.who, got, tc.secret)
		}
		if tc.index == 200 && !strings.Contains(r.body, wwwroot+"/local/ltiprovider/tool.php?id=") {
			t.Errorf("%s: no launch URL", tc.who)
		}
		if r := s.do(tc.who, "GET", edit, nil); r.code != tc.edit {
			t.Errorf("%s: edit %d, want %d", tc.who, r.code, tc.edit)
		}
		want := 403
		if tc.settings {
			want = 200
		} else if tc.index == 401 {
			want = 401
		}
		if r := s.do(tc.who, "GET", "/settings.php", nil); r.code != want {
			t.Errorf("%s: settings %d, want %d", tc.who, r.code, want)
		}
	}
	if r := s.do("expired", "GET", index, nil); !strings.Contains(r.body, "timed out") {
		t.Errorf("expired session not explained: %s", r.body)
	}
}

// With the plugin's capabilities installed, non-editing teachers (:view)
// see the list but not the secrets, and cannot manage.
func TestAuthorisationWithPluginCapabilities(t *testing.T) {
	s := newSite(t)
	s.installPluginCapabilities()
	index := fmt.Sprintf("/index.php?courseid=%d", prov1)
	r := s.do("teacher", "GET", index, nil)
	if r.code != 200 || strings.Contains(r.body, s.tool.Secret) || strings.Contains(r.body, "edit.php?id=") {
		t.Errorf("non-editing teacher: %d, secret or edit link shown:\n%s", r.code, r.body)
	}
	if r := s.do("teacher", "GET", fmt.Sprintf("/edit.php?id=%d", s.tool.ID), nil); r.code != 403 {
		t.Errorf("non-editing teacher may edit: %d", r.code)
	}
	if r := s.do("editingteacher", "GET", index, nil); r.code != 200 || !strings.Contains(r.body, s.tool.Secret) {
		t.Errorf("editing teacher: %d", r.code)
	}
	// A prohibit in the course takes :manage away from editing teachers,
	// but :view remains.
	s.tdb.Exec(t, "INSERT INTO {role_capabilities} (contextid, roleid, capability, permission, timemodified, modifierid) VALUES (?, 3, 'local/ltiprovider:manage', -1000, 1, 2)", prov1Ctx)
	r = s.do("editingteacher", "GET", index, nil)
	if r.code != 200 || strings.Contains(r.body, s.tool.Secret) {
		t.Errorf("prohibited editing teacher: %d, secret shown %v", r.code, strings.Contains(r.body, s.tool.Secret))
	}
	// The student has neither.
	if r := s.do("student", "GET", index, nil); r.code != 403 {
		t.Errorf("student: %d", r.code)
	}
}

func validForm(s *site, who string) url.Values {
	return url.Values{"sesskey": {s.sesskey(who)}, "id": {"-1"}, "courseid": {fmt.Sprint(prov1)},
		"contextid": {"19"}, "secret": {"newsecret"}, "croleinst": {"4"}, "crolelearn": {"5"},
		"aroleinst": {"4"}, "arolelearn": {"5"}, "sendgrades": {"0", "1"}, "enrolperiod_value": {"7"}, "enrolperiod_unit": {"d"},
		"enrolstartdate": {"2026-09-01"}, "enrolenddate": {"2026-12-31"}, "country": {"ES"}, "timezone": {"99"}, "lang": {"en"}}
}

func TestCSRF(t *testing.T) {
	s := newSite(t)
	form := validForm(s, "editingteacher")
	before := s.tdb.Snapshot(t)
	bad := []struct {
		name string
		mod  func(url.Values) url.Values
		hdr  []string
	}{
		{"no token", func(v url.Values) url.Values { v.Del("sesskey"); return v }, nil},
		{"wrong token", func(v url.Values) url.Values { v.Set("sesskey", "AAAA"+v.Get("sesskey")[4:]); return v }, nil},
		{"another person's token", func(v url.Values) url.Values { v.Set("sesskey", s.sesskey("admin")); return v }, nil},
		{"cross-site origin", func(v url.Values) url.Values { return v }, []string{"Origin", "https://evil.example"}},
		{"cross-site fetch", func(v url.Values) url.Values { return v }, []string{"Sec-Fetch-Site", "cross-site"}},
	}
	for _, tc := range bad {
		v := url.Values{}
		for k, vs := range form {
			v[k] = append([]string(nil), vs...)
		}
		r := s.do("editingteacher", "POST", "/edit.php", tc.mod(v), tc.hdr...)
		if r.code != 403 || !strings.Contains(r.body, "Invalid session key") {
			t.Errorf("%s: %d", tc.name, r.code)
		}
	}
	// Hide and delete need the token too.
	s.do("editingteacher", "POST", "/edit.php", url.Values{"id": {fmt.Sprint(s.tool.ID)}, "hide": {"1"}})
	s.do("editingteacher", "POST", "/edit.php", url.Values{"id": {fmt.Sprint(s.tool.ID)}, "delete": {"1"}, "confirm": {"1"}})
	s.tdb.AssertUnchanged(t, before)

	// The same form with its token from this site saves.
	r := s.do("editingteacher", "POST", "/edit.php", form, "Origin", wwwroot, "Sec-Fetch-Site", "same-origin")
	if r.code != http.StatusSeeOther || r.loc != wwwroot+"/local/ltiprovider/index.php?courseid=3" {
		t.Fatalf("valid form: %d %s\n%s", r.code, r.loc, r.body)
	}
	rows := s.tdb.Rows(t, "SELECT contextid, secret, croleinst, enrolperiod, aroleinst FROM {local_ltiprovider} WHERE secret = 'newsecret'")
	if len(rows) != 1 || fmt.Sprint(rows[0]["contextid"]) != "19" || fmt.Sprint(rows[0]["enrolperiod"]) != "604800" {
		t.Errorf("saved %v", rows)
	}
	// A token dies with the session.
	s.tdb.Exec(t, "DELETE FROM {sessions} WHERE sid = ?", s.sids["editingteacher"])
	if r := s.do("editingteacher", "POST", "/edit.php", form); r.code != 401 {
		t.Errorf("after logout: %d", r.code)
	}
}

func TestValidationOnTheForm(t *testing.T) {
	s := newSite(t)
	cases := []struct {
		name, field, value, message string
	}{
		{"end before start", "enrolenddate", "2026-08-01", "Enrolment end date cannot be earlier than start date"},
		{"require completion", "requirecompletion", "1", "Completion should be enabled for the course or the activity"},
		{"send completion", "sendcompletion", "1", "Completion should be enabled for the course or the activity"},
		{"role the teacher may not assign", "croleinst", "1", "is not a role you may assign in this course"},
		{"activity of another course", "contextid", "14", "must be the course or one of its activities"},
		{"member sync of an activity", "syncmembers", "1", "only available when the whole course is provided"},
	}
	for _, tc := range cases {
		form := validForm(s, "editingteacher")
		form.Set(tc.field, tc.value)
		before := s.tdb.Snapshot(t)
		r := s.do("editingteacher", "POST", "/edit.php", form)
		if r.code != http.StatusUnprocessableEntity || !strings.Contains(r.body, tc.message) {
			t.Errorf("%s: %d, message missing", tc.name, r.code)
		}
		if !strings.Contains(r.body, `id="id_`+tc.field+`_error"`) || !strings.Contains(r.body, `aria-invalid="true"`) {
			t.Errorf("%s: error not tied to its field", tc.name)
		}
		// What the person typed comes back.
		if !strings.Contains(r.body, `value="newsecret"`) {
			t.Errorf("%s: typed values lost", tc.name)
		}
		s.tdb.AssertUnchanged(t, before)
	}
	// With completion enabled on the course and the activity, both pass.
	s.tdb.Exec(t, "UPDATE {course} SET enablecompletion = 1 WHERE id = 3")
	s.tdb.Exec(t, "UPDATE {course_modules} SET completion = 2 WHERE id = 6")
	form := validForm(s, "editingteacher")
	form.Set("requirecompletion", "1")
	form.Set("sendcompletion", "1")
	if r := s.do("editingteacher", "POST", "/edit.php", form); r.code != http.StatusSeeOther {
		t.Errorf("completion enabled: %d %s", r.code, r.body)
	}
}

func TestEditHideDelete(t *testing.T) {
	s := newSite(t)
	key := s.sesskey("manager")
	id := fmt.Sprint(s.tool.ID)
	// Edit: unchecking a box (only its hidden 0 is sent) turns it off.
	r := s.do("manager", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {id}, "forcenavigation": {"0"},
		"hidepageheader": {"0", "1"}, "customcss": {"body{color:red}"}})
	if r.code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.code, r.body)
	}
	row := s.tdb.Rows(t, "SELECT forcenavigation, hidepageheader, customcss, secret, timemodified FROM {local_ltiprovider} WHERE id = ?", s.tool.ID)[0]
	if fmt.Sprintf("%v %v %v %v", row["forcenavigation"], row["hidepageheader"], row["customcss"], row["secret"]) != "0 1 body{color:red} s3cr3t-of-prov1" {
		t.Errorf("after edit %v", row)
	}
	if r := s.do("manager", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {id}, "hide": {"1"}}); r.code != http.StatusSeeOther {
		t.Fatalf("hide: %d", r.code)
	}
	if s.tdb.Count(t, "local_ltiprovider", "id = ? AND disabled = 1", s.tool.ID) != 1 {
		t.Error("not disabled")
	}
	s.do("manager", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {id}, "show": {"1"}})
	if s.tdb.Count(t, "local_ltiprovider", "id = ? AND disabled = 0", s.tool.ID) != 1 {
		t.Error("not enabled again")
	}
	// Delete asks first (GET shows a form), then deletes with its user rows.
	s.tdb.Exec(t, "INSERT INTO {local_ltiprovider_user} (userid, toolid, lastsync, lastgrade) VALUES (3, ?, 0, 0)", s.tool.ID)
	if r := s.do("manager", "GET", "/edit.php?delete=1&id="+id, nil); r.code != 200 || !strings.Contains(r.body, "Are you sure") {
		t.Errorf("confirm page: %d", r.code)
	}
	if s.tdb.Count(t, "local_ltiprovider", "id = ?", s.tool.ID) != 1 {
		t.Fatal("GET deleted")
	}
	r = s.do("manager", "POST", "/edit.php", url.Values{"sesskey": {key}, "id": {id}, "delete": {"1"}, "confirm": {"1"}})
	if r.code != http.StatusSeeOther || s.tdb.Count(t, "local_ltiprovider", "id = ?", s.tool.ID) != 0 ||
		s.tdb.Count(t, "local_ltiprovider_user", "toolid = ?", s.tool.ID) != 0 {
		t.Errorf("delete: %d", r.code)
	}
	// A teacher of another course cannot touch this course's tools.
	other := store.NewTool(4, 24, 3, 5, now.Unix())
	store.InsertTool(context.Background(), s.db, other)
	r = s.do("teacher", "POST", "/edit.php", url.Values{"sesskey": {"x"}, "id": {fmt.Sprint(other.ID)}, "hide": {"1"}})
	if r.code != 403 {
		t.Errorf("stranger hid a tool: %d", r.code)
	}
}

func TestEscaping(t *testing.T) {
	s := newSite(t)
	s.tdb.Exec(t, `UPDATE {course} SET fullname = '<script>alert("c")</script>', shortname = '<b>P1</b>' WHERE id = 3`)
	s.tdb.Exec(t, `UPDATE {assign} SET name = '<img src=x onerror=alert(1)>' WHERE id = (SELECT instance FROM {course_modules} WHERE id = 6)`)
	s.tdb.Exec(t, `UPDATE {user} SET firstname = '<i>Ed</i>' WHERE id = 4`)
	tool := store.NewTool(prov1, 19, 3, 5, now.Unix())
	tool.Secret = `"><script>x</script>`
	store.InsertTool(context.Background(), s.db, tool)
	for _, path := range []string{fmt.Sprintf("/index.php?courseid=%d", prov1), fmt.Sprintf("/edit.php?id=%d", tool.ID)} {
		r := s.do("editingteacher", "GET", path, nil)
		if r.code != 200 {
			t.Fatalf("%s: %d", path, r.code)
		}
		for _, raw := range []string{"<script>", "<img src=x", "<b>P1</b>", "<i>Ed</i>", `"><script>`} {
			if strings.Contains(r.body, raw) {
				t.Errorf("%s: unescaped %q", path, raw)
			}
		}
		if !strings.Contains(r.body, "&lt;script&gt;alert(&#34;c&#34;)&lt;/script&gt;") {
			t.Errorf("%s: course name not shown escaped", path)
		}
	}
	// Error pages escape too.
	r := s.do("editingteacher", "GET", "/index.php?courseid=<script>", nil)
	if r.code != 400 || strings.Contains(r.body, "<script>") {
		t.Errorf("bad id: %d", r.code)
	}
}

type fakeGrades struct {
	tool  int64
	users []int64
	omit  bool
}

func (f *fakeGrades) ForceResend(ctx context.Context, toolID int64, users []int64, omit bool) (admin.SyncResult, error) {
	f.tool, f.users, f.omit = toolID, users, omit
	return admin.SyncResult{Summary: fmt.Sprintf("%d sent", len(users))}, nil
}

func TestSyncReportAndMembers(t *testing.T) {
	s := newSite(t)
	s.tdb.Exec(t, "INSERT INTO {local_ltiprovider_user} (userid, toolid, serviceurl, sourceid, lastgrade, lastsync, lastaccess) VALUES (3, ?, 'https://lms.example/outcomes', 'src-1', 85, ?, ?)", s.tool.ID, now.Unix()-60, now.Unix()-120)
	path := fmt.Sprintf("/syncreport.php?id=%d", s.tool.ID)
	r := s.do("editingteacher", "GET", path, nil)
	if r.code != 200 || !strings.Contains(r.body, "Stu Dent") || !strings.Contains(r.body, "src-1") || !strings.Contains(r.body, "not available") {
		t.Fatalf("report: %d\n%s", r.code, r.body)
	}
	if r := s.do("editingteacher", "GET", path+"&lastname=Nobody", nil); !strings.Contains(r.body, "No LTI users match") {
		t.Error("filter")
	}
	// Once grade sync has worked the user out, the report shows what the
	// consumer confirmed and the state of each target, not the plugin's
	// whole-number lastgrade.
	s.tdb.Exec(t, `INSERT INTO {local_ltiprovider_grade} (toolid, userid, outcomeid, consumerkey, serviceurl, sourcedid, score, version, state,
		sentscore, timesent, timecreated, timemodified) VALUES (?, 3, 1, 'k', 'https://lms.example/outcomes', 'src-1', '0.85', 1, 'sent', '0.85', ?, ?, ?),
		(?, 3, 2, 'k', 'https://lms.example/outcomes', 'src-<2>', '0.5', 2, 'failed', NULL, 0, ?, ?)`,
		s.tool.ID, now.Unix()-30, now.Unix(), now.Unix(), s.tool.ID, now.Unix(), now.Unix())
	s.tdb.Exec(t, "UPDATE {local_ltiprovider_grade} SET lasterror = 'Consumer said: <b>no such user</b>' WHERE state = 'failed'")
	r = s.do("editingteacher", "GET", path, nil)
	for _, want := range []string{"0.85", ">sent<", "failed: Consumer said: &lt;b&gt;no such user&lt;/b&gt;", "src-&lt;2&gt;"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("report lacks %q:\n%s", want, r.body)
		}
	}
	if strings.Contains(r.body, ">85<") {
		t.Error("report shows the plugin's lastgrade although grade sync has data")
	}
	if r := s.do("student", "GET", path, nil); r.code != 403 {
		t.Errorf("student report: %d", r.code)
	}
	key := s.sesskey("editingteacher")
	form := url.Values{"sesskey": {key}, "id": {fmt.Sprint(s.tool.ID)}, "action": {"selected"}, "user": {"3"}}
	if r := s.do("editingteacher", "POST", "/syncreport.php", form); r.code != http.StatusServiceUnavailable {
		t.Errorf("resend without the sync area: %d", r.code)
	}
	f := &fakeGrades{}
	s.h.Grades = f
	if r := s.do("editingteacher", "POST", "/syncreport.php", form); r.code != 200 || !strings.Contains(r.body, "1 sent") || f.tool != s.tool.ID || fmt.Sprint(f.users) != "[3]" {
		t.Errorf("resend selected: %d %+v", r.code, f)
	}
	form.Del("sesskey")
	f.tool = 0
	if r := s.do("editingteacher", "POST", "/syncreport.php", form); r.code != 403 || f.tool != 0 {
		t.Errorf("resend without token ran: %d", r.code)
	}
	// Member sync: a page, and a POST that needs the token.
	if r := s.do("editingteacher", "GET", fmt.Sprintf("/syncmembers.php?id=%d", s.tool.ID), nil); r.code != 200 {
		t.Errorf("members page: %d", r.code)
	}
	if r := s.do("editingteacher", "POST", "/syncmembers.php", url.Values{"sesskey": {key}, "id": {fmt.Sprint(s.tool.ID)}}); r.code != http.StatusServiceUnavailable {
		t.Errorf("member sync without the sync area: %d", r.code)
	}
}

func TestSettingsPage(t *testing.T) {
	s := newSite(t)
	r := s.do("admin", "GET", "/settings.php", nil)
	if r.code != 200 || !strings.Contains(r.body, "Global Shared Secret") {
		t.Fatalf("settings: %d", r.code)
	}
	key := sesskeyRE.FindStringSubmatch(r.body)[1]
	form := url.Values{"sesskey": {key}, "globalsharedsecret": {"g-secret"}, "userprofileupdate": {"-1"},
		"defaultauthmethod": {"nologin"}, "fullnameformat": {"1"}, "shortnameformat": {"2"}, "idnumberformat": {"0"},
		"duplicatecourseswithoutusers": {"0", "1"}, "rolesallowedcreatecontexts": {"Administrator", "Instructor"},
		"rolesallowedcreateresources": {"Administrator"}, "institutionadmininstructor": {"0", "1"}}
	before := s.tdb.Snapshot(t)
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("fullnameformat", "9")
	bad.Set("defaultauthmethod", "ldap")
	if r := s.do("admin", "POST", "/settings.php", bad); r.code != http.StatusUnprocessableEntity || !strings.Contains(r.body, "whole number from 0 to 5") {
		t.Errorf("invalid settings: %d", r.code)
	}
	s.tdb.AssertUnchanged(t, before)
	if r := s.do("admin", "POST", "/settings.php", form); r.code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.code, r.body)
	}
	got := map[string]string{}
	for _, row := range s.tdb.Rows(t, "SELECT name, value FROM {config_plugins} WHERE plugin = 'local_ltiprovider'") {
		got[fmt.Sprint(row["name"])] = fmt.Sprint(row["value"])
	}
	if got["globalsharedsecret"] != "g-secret" || got["userprofileupdate"] != "-1" || got["duplicatecourseswithoutusers"] != "1" ||
		got["rolesallowedcreatecontexts"] != "Administrator,Instructor" || got["institutionadmininstructor"] != "1" {
		t.Errorf("stored %v", got)
	}
	// Teachers may not post either.
	if r := s.do("editingteacher", "POST", "/settings.php", form); r.code != 403 {
		t.Errorf("teacher posted settings: %d", r.code)
	}
}

func TestNavLink(t *testing.T) {
	s := newSite(t)
	for who, want := range map[string]bool{"editingteacher": true, "admin": true, "student": false, "anonymous": false, "teacher": false} {
		r := s.do(who, "GET", "/nav.json?courseid=3", nil)
		if got := strings.Contains(r.body, `"url":"https://moodle.example/local/ltiprovider/index.php?courseid=3"`); r.code != 200 || got != want {
			t.Errorf("%s: %d %s", who, r.code, r.body)
		}
	}
}
