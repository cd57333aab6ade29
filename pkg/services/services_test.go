package services_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/services"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const (
	wwwroot      = "https://moodle.example"
	endpoint     = wwwroot + "/local/ltiprovider/services.php"
	globalSecret = "global-secret-1"
)

var now = time.Unix(1795760000, 0)

type env struct {
	t   *testing.T
	db  *database.DB
	tdb *testdb.DB
	h   *services.Handler
}

// newEnv is a site with the rich template course (the copy's fixture) and
// a global shared secret.
func newEnv(t *testing.T) *env {
	t.Helper()
	db, tdb := testenv.DB(t)
	f, err := os.Open("../coursecopy/testdata/tpl1-rich.sql")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if _, err := tdb.SQL.Exec(strings.Replace(sc.Text(), "`mdl_", "`"+tdb.Prefix, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := settings.Set(context.Background(), db, "globalsharedsecret", globalSecret); err != nil {
		t.Fatal(err)
	}
	h := &services.Handler{DB: db, WWWRoot: wwwroot, Window: 5 * time.Minute, Nonces: &store.Nonces{DB: db},
		Sites: &moodle.SiteCache{DB: db, TTL: time.Minute}, Log: logging.Discard(), Now: func() time.Time { return now }}
	return &env{t: t, db: db, tdb: tdb, h: h}
}

// post signs form with secret (key consumer-A) and posts it; query is added
// to the URL.
func (e *env) post(secret, query string, form url.Values, mutate ...func(url.Values)) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.postAs("consumer-A", secret, query, form, mutate...)
}

// postAs signs form with secret under consumer key key, lets mutate change
// the signed body, and posts it with the browser's MoodleSession cookie.
func (e *env) postAs(key, secret, query string, form url.Values, mutate ...func(url.Values)) *httptest.ResponseRecorder {
	e.t.Helper()
	u := endpoint
	if query != "" {
		u += "?" + query
	}
	oauth, err := oauth1.Outgoing{Method: "POST", URL: u, ConsumerKey: key, Secret: secret,
		Extra: oauth1.FromValues(form), Timestamp: now.Unix()}.Sign()
	if err != nil {
		e.t.Fatal(err)
	}
	body := url.Values{}
	for k, v := range form {
		body[k] = v
	}
	for _, p := range oauth {
		body.Set(p.Key, p.Value)
	}
	for _, m := range mutate {
		m(body)
	}
	req := httptest.NewRequest("POST", "/local/ltiprovider/services.php"+strings.TrimPrefix(u, endpoint), strings.NewReader(body.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "MoodleSession", Value: "browsersid123"})
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// launchForm is a service request's LTI fields.
func launchForm(service string, extra ...string) url.Values {
	f := url.Values{"lti_message_type": {"basic-lti-launch-request"}, "lti_version": {"LTI-1p0"},
		"resource_link_id": {"rl-1"}, "user_id": {"42"}, "roles": {"urn:lti:role:ims/lis/Instructor,urn:lti:instrole:ims/lis/Administrator"},
		"custom_service": {service}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("answer %d %q: %v", rec.Code, rec.Body.String(), err)
	}
	return m
}

func createForm(ctxID string) url.Values {
	return launchForm("create_context", "context_id", ctxID, "context_title", "Biology 101", "context_label", "BIO101",
		"custom_context_template", "TPL1", "lis_outcome_service_url", "https://lms.example/outcomes")
}

func TestCreateContext(t *testing.T) {
	e := newEnv(t)
	rec := e.post(globalSecret, "", createForm("ctx-9"))
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	c := decode(t, rec)
	// The plugin's answer: the course record, values as PHP strings.
	if c["fullname"] != "Biology 101" || c["shortname"] != "BIO101" || c["idnumber"] != "ctx-9" || c["category"] != "1" {
		t.Errorf("course %v", c)
	}
	if _, extra := c["skipped"]; extra {
		t.Errorf("a full copy reported skipped modules: %v", c["skipped"])
	}
	id := c["id"]
	if n, m := e.tdb.Count(t, "course_modules", "course = ?", id), e.tdb.Count(t, "course_modules", "course = 2"); n != m {
		t.Errorf("copy has %d modules, template %d", n, m)
	}
	tool := e.tdb.Rows(t, "SELECT t.* FROM {local_ltiprovider} t JOIN {context} c ON c.id = t.contextid AND c.contextlevel = 50 WHERE c.instanceid = ?", id)
	if len(tool) != 1 || tool[0]["secret"] != globalSecret || tool[0]["sendgrades"] != "1" || tool[0]["croleinst"] != "3" {
		t.Fatalf("course tool %v", tool)
	}
	// The requester's consumer key is bound to it: another consumer with
	// the global secret cannot take the course over with a first launch.
	if keys := e.tdb.Rows(t, "SELECT consumerkey FROM {local_ltiprovider_consumer} WHERE toolid = ?", tool[0]["id"]); len(keys) != 1 || keys[0]["consumerkey"] != "consumer-A" {
		t.Errorf("bound keys %v", keys)
	}
	// The same context again: the same course, nothing new.
	before := e.snapshot(t)
	rec = e.post(globalSecret, "", createForm("ctx-9"))
	if rec.Code != 200 || decode(t, rec)["id"] != id {
		t.Fatalf("second call %d %s", rec.Code, rec.Body)
	}
	e.unchanged(t, before)
}

func TestCreateContextConcurrently(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	ids := make([]any, 4)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := e.post(globalSecret, "", createForm("ctx-race"))
			if rec.Code != 200 {
				t.Errorf("%d %s", rec.Code, rec.Body)
				return
			}
			ids[i] = decode(t, rec)["id"]
		}()
	}
	wg.Wait()
	if n := e.tdb.Count(t, "course", "idnumber = 'ctx-race'"); n != 1 {
		t.Fatalf("%d courses for one context", n)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Errorf("answers name different courses: %v", ids)
		}
	}
}

func TestCreateContextNamesAndShortnameClash(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for k, v := range map[string]string{"fullnameformat": "4", "shortnameformat": "2", "idnumberformat": "3"} {
		if err := settings.Set(ctx, e.db, k, v); err != nil {
			t.Fatal(err)
		}
	}
	// A course already has the short name; the new one is numbered.
	form := createForm("c1")
	form.Set("context_label", "TPL1")
	rec := e.post(globalSecret, "", form)
	c := decode(t, rec)
	if rec.Code != 200 || c["fullname"] != "consumer-A:Biology 101" || c["shortname"] != "TPL1 1" || c["idnumber"] != "consumer-A:c1" {
		t.Fatalf("%d %v", rec.Code, c)
	}
	form.Set("context_id", "c2")
	if c := decode(t, e.post(globalSecret, "", form)); c["shortname"] != "TPL1 2" {
		t.Errorf("third course %v", c["shortname"])
	}
}

// Every refusal has its status and code, and changes nothing but the nonce
// it spent.
func TestServiceErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// PROV1 gets a course tool with its own secret, disabled in one case.
	cctx, _ := moodle.ContextOf(ctx, e.db, moodle.ContextCourse, 3)
	tool := store.NewTool(3, cctx.ID, 3, 5, now.Unix())
	tool.Secret = "prov1-secret"
	if err := store.InsertTool(ctx, e.db, tool); err != nil {
		t.Fatal(err)
	}
	off := store.NewTool(3, cctx.ID+1000, 3, 5, now.Unix()) // a tool of a context that is not a course
	mctx, _ := moodle.ContextOf(ctx, e.db, moodle.ContextModule, 6)
	off.ContextID, off.Secret = mctx.ID, "module-secret"
	if err := store.InsertTool(ctx, e.db, off); err != nil {
		t.Fatal(err)
	}
	dis := store.NewTool(3, mctx.ID, 3, 5, now.Unix())
	dis.Disabled, dis.Secret = true, "dis"
	if err := store.InsertTool(ctx, e.db, dis); err != nil {
		t.Fatal(err)
	}
	e.tdb.Exec(t, "UPDATE {course} SET idnumber = 'TWIN' WHERE id IN (3, 4)")
	tid := func(t *store.Tool) string { return fmt.Sprintf("id=%d", t.ID) }
	cases := []struct {
		name, secret, query string
		form                url.Values
		mutate              func(url.Values)
		status              int
		code                string
	}{
		{"no service", globalSecret, "", launchForm(""), nil, 400, "missingservice"},
		{"unknown service", globalSecret, "", launchForm("delete_everything"), nil, 400, "unknownservice"},
		{"bad signature", "wrong", "", createForm("x"), nil, 401, "invalidsignature"},
		{"tampered", globalSecret, "", createForm("x"), func(v url.Values) { v.Set("context_title", "Other") }, 401, "invalidsignature"},
		{"old timestamp", globalSecret, "", createForm("x"), func(v url.Values) { v.Set("oauth_timestamp", "1000000000") }, 401, "invalidsignature"},
		{"disabled tool", "dis", tid(dis), createForm("x"), nil, 403, "tooldisabled"},
		{"two courses for context_id", globalSecret, "", launchForm("create_context", "context_id", "TWIN", "custom_context_template", "TPL1"), nil, 409, "cantdeterminecontext"},
		{"not a launch", globalSecret, "", createForm("x"), func(v url.Values) {}, 400, "invalidrequest"},
		{"no template", globalSecret, "", launchForm("create_context", "context_id", "x"), nil, 404, "invalidtplcourse"},
		{"unknown template", globalSecret, "", launchForm("create_context", "context_id", "x", "custom_context_template", "NOPE"), nil, 404, "invalidtplcourse"},
		{"learner creating", globalSecret, "", launchForm("create_context", "context_id", "x", "custom_context_template", "TPL1", "roles", "Learner"), nil, 403, "rolecannotcreatecontexts"},
		{"duplicate without tool", globalSecret, "", launchForm("duplicate_resource", "custom_resource_link_copy_id", "TPL-BOOK"), nil, 400, "missingrequiredtool"},
		{"duplicate by a module tool", "module-secret", tid(off), launchForm("duplicate_resource", "custom_resource_link_copy_id", "TPL-BOOK"), nil, 400, "invalidtypetool"},
		{"duplicate unknown", "prov1-secret", tid(tool), launchForm("duplicate_resource", "custom_resource_link_copy_id", "NOPE"), nil, 404, "invalidresourcecopyid"},
		{"duplicate subsection", "prov1-secret", tid(tool), launchForm("duplicate_resource", "custom_resource_link_copy_id", "TPL-SUB"), nil, 422, "resourcenotcopyable"},
		{"force_logout without sessions", globalSecret, "", launchForm("force_logout"), nil, 503, "sessionsunavailable"},
	}
	// "not a launch" sends a signed request of another message type.
	cases[7].form = launchForm("create_context", "lti_message_type", "ContentItemSelectionRequest", "context_id", "x")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot(t)
			var mut []func(url.Values)
			if tc.mutate != nil {
				mut = append(mut, tc.mutate)
			}
			rec := e.post(tc.secret, tc.query, tc.form, mut...)
			ans := decode(t, rec)
			if rec.Code != tc.status || ans["error"] != tc.code || ans["message"] == "" {
				t.Errorf("%d %v, want %d %s", rec.Code, ans, tc.status, tc.code)
			}
			if strings.Contains(rec.Body.String(), "oauth_signature") || strings.Contains(rec.Body.String(), "base") {
				t.Errorf("answer leaks signature details: %s", rec.Body)
			}
			e.unchanged(t, before)
		})
	}
	// A replayed request is refused.
	if again := e.replay(); again.Code != 401 || decode(t, again)["error"] != "invalidsignature" {
		t.Errorf("replay %d %s", again.Code, again.Body)
	}
	// GET is refused.
	get := httptest.NewRecorder()
	e.h.ServeHTTP(get, httptest.NewRequest("GET", "/local/ltiprovider/services.php", nil))
	if get.Code != 405 {
		t.Errorf("GET %d", get.Code)
	}
	// No global secret and no tool: nothing to verify with.
	if err := settings.Set(ctx, e.db, "globalsharedsecret", ""); err != nil {
		t.Fatal(err)
	}
	if rec := e.post("", "", createForm("x")); rec.Code != 401 || decode(t, rec)["error"] != "invalidtoolid" {
		t.Errorf("no secret %d %s", rec.Code, rec.Body)
	}
}

// replay posts one signed request twice, byte for byte, and returns the
// second answer.
func (e *env) replay() *httptest.ResponseRecorder {
	e.t.Helper()
	form := createForm("r1")
	oauth, _ := oauth1.Outgoing{Method: "POST", URL: endpoint, ConsumerKey: "consumer-A", Secret: globalSecret,
		Extra: oauth1.FromValues(form), Timestamp: now.Unix(), Nonce: "same-nonce"}.Sign()
	send := func() *httptest.ResponseRecorder {
		body := url.Values{}
		for k, v := range form {
			body[k] = v
		}
		for _, p := range oauth {
			body.Set(p.Key, p.Value)
		}
		req := httptest.NewRequest("POST", "/local/ltiprovider/services.php", strings.NewReader(body.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		return rec
	}
	if first := send(); first.Code != 200 {
		e.t.Fatalf("first %d %s", first.Code, first.Body)
	}
	return send()
}

func TestCreateContextOtherSecret(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// With consumer-key idnumbers, context_id alone finds no course, so the
	// request is verified with the global secret.
	if err := settings.Set(ctx, e.db, "idnumberformat", "3"); err != nil {
		t.Fatal(err)
	}
	c := decode(t, e.post(globalSecret, "", createForm("ctx-s")))
	e.tdb.Exec(t, "UPDATE {local_ltiprovider} SET secret = 'rotated' WHERE courseid = ?", c["id"])
	before := e.snapshot(t)
	rec := e.post(globalSecret, "", createForm("ctx-s"))
	if rec.Code != 403 || decode(t, rec)["error"] != "cantdeterminecontext" {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
	e.unchanged(t, before)
}

func TestDuplicateResource(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cctx, _ := moodle.ContextOf(ctx, e.db, moodle.ContextCourse, 3)
	tool := store.NewTool(3, cctx.ID, 3, 5, now.Unix())
	tool.Secret = "prov1-secret"
	if err := store.InsertTool(ctx, e.db, tool); err != nil {
		t.Fatal(err)
	}
	// The template quiz is provided by a tool of another consumer.
	qctx, _ := moodle.ContextOf(ctx, e.db, moodle.ContextModule, 19)
	src := store.NewTool(2, qctx.ID, 3, 5, now.Unix())
	src.Secret, src.CustomCSS = "other-consumer", "body{}"
	if err := store.InsertTool(ctx, e.db, src); err != nil {
		t.Fatal(err)
	}
	form := launchForm("duplicate_resource", "custom_resource_link_copy_id", "TPL-QUIZ", "resource_link_id", "rl-77")
	rec := e.post("prov1-secret", fmt.Sprintf("id=%d", tool.ID), form)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	cm := decode(t, rec)
	// get_coursemodule_from_id(): course_modules columns, name, modname.
	if cm["course"] != "3" || cm["idnumber"] != "rl-77" || cm["modname"] != "quiz" || cm["name"] != "Template quiz" {
		t.Errorf("cm %v", cm)
	}
	keys := strings.Split(strings.Trim(rec.Body.String(), "{}"), ",")
	if !strings.HasPrefix(keys[0], `"id":`) || !strings.Contains(rec.Body.String(), `"name":"Template quiz","modname":"quiz"}`) {
		t.Errorf("answer order %s", rec.Body)
	}
	clones := e.tdb.Rows(t, "SELECT t.* FROM {local_ltiprovider} t JOIN {context} c ON c.id = t.contextid WHERE c.contextlevel = 70 AND c.instanceid = ?", cm["id"])
	if len(clones) != 1 || clones[0]["secret"] != "prov1-secret" || clones[0]["customcss"] != "body{}" || clones[0]["courseid"] != "3" {
		t.Fatalf("cloned tools %v", clones)
	}
	if n := e.tdb.Count(t, "local_ltiprovider_consumer", "toolid = ? AND consumerkey = 'consumer-A'", clones[0]["id"]); n != 1 {
		t.Error("consumer key not bound to the cloned tool")
	}
	// A second request for the same link answers the same copy.
	before := e.snapshot(t)
	rec = e.post("prov1-secret", fmt.Sprintf("id=%d", tool.ID), form)
	if rec.Code != 200 || decode(t, rec)["id"] != cm["id"] {
		t.Errorf("second %d %s", rec.Code, rec.Body)
	}
	e.unchanged(t, before)
	// Without source tools the copy gets a default one.
	rec = e.post("prov1-secret", fmt.Sprintf("id=%d", tool.ID), launchForm("duplicate_resource", "custom_resource_link_copy_id", "TPL-BOOK", "resource_link_id", "rl-78"))
	book := decode(t, rec)
	if n := e.tdb.Count(t, "local_ltiprovider", "contextid = (SELECT id FROM {context} WHERE contextlevel = 70 AND instanceid = ?) AND secret = 'prov1-secret'", book["id"]); n != 1 {
		t.Errorf("default tool %d", n)
	}
	// A page with conditions on the template's activities: copied, and the
	// answer says which references could not follow.
	rec = e.post("prov1-secret", fmt.Sprintf("id=%d", tool.ID), launchForm("duplicate_resource", "custom_resource_link_copy_id", "TPL-LOCKED", "resource_link_id", "rl-79"))
	if w := decode(t, rec)["warnings"]; rec.Code != 200 || w == nil || len(w.([]any)) != 3 {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

// snapshot and unchanged compare the database around a request, leaving
// out the nonce table: a verified request spends its nonce even when it is
// refused, by design.
func (e *env) snapshot(t *testing.T) testdb.Snapshot {
	e.tdb.Exec(t, "DELETE FROM {local_ltiprovider_nonce}")
	return e.tdb.Snapshot(t)
}

func (e *env) unchanged(t *testing.T, before testdb.Snapshot) {
	t.Helper()
	e.tdb.Exec(t, "DELETE FROM {local_ltiprovider_nonce}")
	e.tdb.AssertUnchanged(t, before)
}

// With the real session handoff (Moodle's database handler here), the
// browser's session ends: its sessions row is gone and its cookie expired.
func TestForceLogout(t *testing.T) {
	e := newEnv(t)
	cfg, _ := config.Load(config.Input{LookupEnv: func(string) (string, bool) { return "", false }})
	cfg.Moodle.WWWRoot, cfg.Moodle.DataRoot, cfg.Moodle.Admin = wwwroot, t.TempDir(), "admin"
	cfg.Session.HandlerClass = `\core\session\database`
	mgr := session.New(cfg, &moodle.SiteCache{DB: e.db, Forced: cfg}, logging.Discard())
	t.Cleanup(func() { mgr.Close() })
	e.h.Sessions = mgr
	e.tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, sessdata, timecreated, timemodified) VALUES (0, 'browsersid123', 3, NULL, ?, ?)", now.Unix(), now.Unix())
	e.tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, sessdata, timecreated, timemodified) VALUES (0, 'othersid456', 4, NULL, ?, ?)", now.Unix(), now.Unix())
	rec := e.post(globalSecret, "", launchForm("force_logout"))
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if n := e.tdb.Count(t, "sessions", "sid = 'browsersid123'"); n != 0 {
		t.Error("the caller's session survived")
	}
	if n := e.tdb.Count(t, "sessions", "sid = 'othersid456'"); n != 1 {
		t.Error("another session ended")
	}
	if c := rec.Header().Get("Set-Cookie"); !strings.Contains(c, "MoodleSession=;") || !strings.Contains(c, "Max-Age=0") {
		t.Errorf("cookie %q", c)
	}
	// A signed request from a browser without a session is fine too.
	if rec := e.post(globalSecret, "", launchForm("force_logout")); rec.Code != 200 {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

func TestBase64EncodedRequest(t *testing.T) {
	e := newEnv(t)
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	form := launchForm("create_context", "custom_lti_message_encoded_base64", "1", "context_id", enc("ctx-b64"),
		"context_title", enc("Ünïcode title"), "context_label", enc("B64"), "custom_context_template", enc("TPL1"),
		"roles", enc("Administrator"), "resource_link_id", enc("rl"))
	rec := e.post(globalSecret, "", form)
	c := decode(t, rec)
	if rec.Code != 200 || c["idnumber"] != "ctx-b64" || c["fullname"] != "Ünïcode title" {
		t.Errorf("%d %v", rec.Code, c)
	}
	if !strings.Contains(rec.Body.String(), `\u00dcn\u00efcode`) {
		t.Errorf("not PHP's JSON: %s", rec.Body)
	}
}
