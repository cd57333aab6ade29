package launch

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// recordingSessions is a test double of the session handoff only (the real
// strategies are pkg/session's): it records each login and writes nothing,
// or fails when told to. The database under test stays real.
type recordingSessions struct {
	mu     sync.Mutex
	logins []session.LoginRequest
	fail   error
}

func (s *recordingSessions) Name() string { return "recording" }

func (s *recordingSessions) Login(_ context.Context, _ *database.Tx, req session.LoginRequest) (*session.Handoff, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	s.logins = append(s.logins, req)
	sid := fmt.Sprintf("sid%d", req.UserID)
	return &session.Handoff{Redirect: req.Dest, SID: sid,
		Cookies: []*http.Cookie{{Name: "MoodleSession", Value: sid, Path: "/", HttpOnly: true}}}, nil
}

func (s *recordingSessions) Destroy(context.Context, database.Querier, string) error { return nil }

func (s *recordingSessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.logins)
}

// testLog sends the service's log lines to the test's output.
type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// The fixture's clock: the second the real Moodle launches were signed.
var fixtureNow = time.Unix(1795754326, 0)

const wwwroot = "https://moodle.example"

// env is the service's launch endpoint over HTTP on a fixture database.
type env struct {
	t        testing.TB
	db       *database.DB
	tdb      *testdb.DB
	h        *Handler
	srv      *httptest.Server
	sessions *recordingSessions
	now      time.Time
	wwwroot  string
}

func newEnv(t testing.TB, configure ...func(*Config)) *env {
	t.Helper()
	db, tdb := testenv.DB(t)
	e := &env{t: t, db: db, tdb: tdb, sessions: &recordingSessions{}, now: fixtureNow, wwwroot: wwwroot}
	log, _ := logging.New(testLog{t}, "text", "info")
	c := Config{DB: db, WWWRoot: wwwroot, TimestampWindow: 5 * time.Minute, Sessions: e.sessions,
		Log: log, Now: func() time.Time { return e.now }, CacheTTL: time.Nanosecond}
	for _, f := range configure {
		f(&c)
	}
	e.wwwroot = strings.TrimRight(c.WWWRoot, "/")
	e.h = New(c)
	router := web.NewRouter()
	e.h.Routes(router.PathPrefix(web.BasePath).Subrouter())
	e.srv = httptest.NewServer(web.Middleware(logging.Discard(), nil)(router))
	t.Cleanup(e.srv.Close)
	return e
}

// tool stores a tool providing contextID of courseID, with the plugin's
// form defaults, then changes.
func (e *env) tool(courseID, contextID int64, change ...func(*store.Tool)) *store.Tool {
	e.t.Helper()
	tool := store.NewTool(courseID, contextID, 3, 5, e.now.Unix()-86400)
	// One consumer, one secret: the tools of a test share consumer-A's key,
	// which tools with different secrets may not do without an
	// administrator (TestFirstLaunchCannotClaimAnotherToolsKey).
	tool.Secret = "consumer-A-secret"
	for _, f := range change {
		f(tool)
	}
	if err := store.InsertTool(context.Background(), e.db, tool); err != nil {
		e.t.Fatal(err)
	}
	return tool
}

// courseTool provides PROV1 (course 3, context 13).
func (e *env) courseTool(change ...func(*store.Tool)) *store.Tool { return e.tool(3, 13, change...) }

// launchForm is a learner's launch from consumer-A, as Moodle's mod_lti
// sends it, with kv overriding or adding fields ("" deletes one).
func launchForm(userID string, kv ...string) url.Values {
	f := url.Values{
		"lti_message_type": {"basic-lti-launch-request"}, "lti_version": {"LTI-1p0"},
		"resource_link_id": {"link-1"}, "resource_link_title": {"Provided course"},
		"user_id": {userID}, "roles": {"Learner"},
		"context_id": {"ctx-9"}, "context_label": {"CONS9"}, "context_title": {"Consumer course"},
		"lis_person_name_given": {"Given" + userID}, "lis_person_name_family": {"Family" + userID},
		"lis_person_contact_email_primary": {"user" + userID + "@lms.example"},
		"lis_outcome_service_url":          {"https://lms.example/mod/lti/service.php"},
		"lis_result_sourcedid":             {"sourced-" + userID},
		"launch_presentation_return_url":   {"https://lms.example/mod/lti/return.php?course=9"},
		"launch_presentation_locale":       {"en"},
		"tool_consumer_instance_guid":      {"lms.example"},
		"oauth_consumer_key":               {"consumer-A"},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			f.Del(kv[i])
		} else {
			f.Set(kv[i], kv[i+1])
		}
	}
	return f
}

// signed returns form plus the oauth_* fields of an HMAC-SHA1 signature of
// a POST to publicURL with this key and secret, at the env's clock.
func (e *env) signed(publicURL, key, secret string, form url.Values) url.Values {
	e.t.Helper()
	out := url.Values{}
	var extra oauth1.Params
	for k, vs := range form {
		if k == "oauth_consumer_key" {
			continue
		}
		for _, v := range vs {
			out.Add(k, v)
			extra = append(extra, oauth1.Param{Key: k, Value: v})
		}
	}
	p, err := oauth1.Outgoing{Method: "POST", URL: publicURL, ConsumerKey: key, Secret: secret,
		Extra: extra, Timestamp: e.now.Unix()}.Sign()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, kv := range p {
		out.Set(kv.Key, kv.Value)
	}
	return out
}

// launchURL is the public launch URL of a tool.
func (e *env) launchURL(query string) string { return e.wwwroot + Path + query }

// launch signs form with the tool's secret for ?id=<tool> and posts it.
func (e *env) launch(tool *store.Tool, form url.Values) *http.Response {
	e.t.Helper()
	q := "?id=" + strconv.FormatInt(tool.ID, 10)
	key := form.Get("oauth_consumer_key")
	return e.post(q, e.signed(e.launchURL(q), key, tool.Secret, form))
}

// post sends a form to the launch endpoint (query: "?id=1" or "").
func (e *env) post(query string, form url.Values) *http.Response {
	e.t.Helper()
	return e.postBody(query, "application/x-www-form-urlencoded", form.Encode())
}

func (e *env) postBody(query, contentType, body string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+Path+query, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	return e.do(req)
}

func (e *env) do(req *http.Request) *http.Response {
	e.t.Helper()
	resp, err := noRedirects.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp
}

func bodyOf(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return string(b)
}

// wantRedirect checks a 303 to the Moodle URL path (after wwwroot).
func (e *env) wantRedirect(resp *http.Response, path string) {
	e.t.Helper()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != e.wwwroot+path {
		e.t.Fatalf("got %d to %q, want 303 to %q; body: %s", resp.StatusCode, resp.Header.Get("Location"), e.wwwroot+path, bodyOf(resp))
	}
}

// wantConsumerError checks a redirect back to the consumer's return URL
// with an lti_errormsg containing msg.
func (e *env) wantConsumerError(resp *http.Response, returnURL, msg string) {
	e.t.Helper()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, returnURL) {
		e.t.Fatalf("got %d to %q, want a redirect to %s; body: %s", resp.StatusCode, loc, returnURL, bodyOf(resp))
	}
	u, _ := url.Parse(loc)
	if got := u.Query().Get("lti_errormsg"); !strings.Contains(got, msg) {
		e.t.Fatalf("lti_errormsg %q does not say %q", got, msg)
	}
}

// wantPage checks an error page with this status containing msg.
func (e *env) wantPage(resp *http.Response, status int, msg string) {
	e.t.Helper()
	body := bodyOf(resp)
	if resp.StatusCode != status || resp.Header.Get("Location") != "" || !strings.Contains(body, msg) {
		e.t.Fatalf("got %d (Location %q), want %d page saying %q; body: %s", resp.StatusCode, resp.Header.Get("Location"), status, msg, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		e.t.Fatalf("content type %q", ct)
	}
}

// username is the plugin's username of an LTI user.
func username(key, userID string) string {
	sum := md5.Sum([]byte(key + "::" + key + ":" + userID))
	return "ltiprovider" + hex.EncodeToString(sum[:])
}

// row returns the single row of a query, failing otherwise.
func (e *env) row(query string, args ...any) map[string]any {
	e.t.Helper()
	rows := e.tdb.Rows(e.t, query, args...)
	if len(rows) != 1 {
		e.t.Fatalf("%d rows for %s %v: %v", len(rows), query, args, rows)
	}
	return rows[0]
}

// userID is the id of the LTI user of key and userID, failing if missing.
func (e *env) userID(key, ltiUserID string) string {
	e.t.Helper()
	return e.row("SELECT id FROM {user} WHERE username = ?", username(key, ltiUserID))["id"].(string)
}

// wantFields compares string forms of a row's columns.
func wantFields(t testing.TB, what string, row map[string]any, want map[string]any) {
	t.Helper()
	for col, w := range want {
		got, ok := row[col]
		if !ok {
			t.Errorf("%s: no column %s", what, col)
			continue
		}
		if w == nil {
			if got != nil {
				t.Errorf("%s.%s = %v, want NULL", what, col, got)
			}
			continue
		}
		if got == nil || got.(string) != fmt.Sprint(w) {
			t.Errorf("%s.%s = %v, want %v", what, col, got, w)
		}
	}
}

// concurrently posts the forms at once and returns each response's
// Location ("" for none, "error: …" when the request failed).
func concurrently(t testing.TB, e *env, query string, forms []url.Values) []string {
	t.Helper()
	out := make([]string, len(forms))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, f := range forms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := noRedirects.PostForm(e.srv.URL+Path+query, f)
			if err != nil {
				out[i] = "error: " + err.Error()
				return
			}
			resp.Body.Close()
			out[i] = resp.Header.Get("Location")
			if out[i] == "" {
				out[i] = "status " + resp.Status
			}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func encodeB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
