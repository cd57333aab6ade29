package demo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/netguard"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The fixture: course PROV1 (id 3, context 13) with PROV-ASSIGN (grade
// item 4, 0–100) and PROV-QUIZ (grade item 5, 0–100); its course total is
// item 3. student1 (id 3) has 85 on PROV-ASSIGN.
const (
	courseID   = 3
	assignItem = 4
	quizItem   = 5
	courseItem = 3
	student    = 3
)

func newTool(t *testing.T, db *database.DB) *store.Tool {
	t.Helper()
	tool := store.NewTool(courseID, 13, 3, 5, time.Now().Unix())
	if err := store.InsertTool(context.Background(), db, tool); err != nil {
		t.Fatal(err)
	}
	return tool
}

// consumerServer serves the consumer's outcome service at the URL its
// launches name.
func consumerServer(t *testing.T, db *database.DB) (*Consumer, *httptest.Server) {
	t.Helper()
	c := &Consumer{DB: db}
	srv := httptest.NewServer(http.HandlerFunc(c.ServeOutcomes))
	t.Cleanup(srv.Close)
	c.WWWRoot = srv.URL
	return c, srv
}

func TestSignedLaunchVerifiesWithTheToolSecret(t *testing.T) {
	db, _ := testenv.DB(t)
	tool := newTool(t, db)
	c := &Consumer{DB: db, WWWRoot: "http://demo.example"}
	req := presets["learner"]
	req.ToolID = tool.ID
	req.Extra = "custom_hide_page_header=1\n\n# a comment\nuser_id = override-1\ncustom_css=a=b"
	l, err := c.Sign(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if l.URL != "http://demo.example/local/ltiprovider/tool.php?id="+itoa(tool.ID) {
		t.Errorf("URL %s", l.URL)
	}
	for name, want := range map[string]string{"user_id": "override-1", "custom_hide_page_header": "1", "custom_css": "a=b",
		"roles": "Learner", "lis_outcome_service_url": "http://demo.example/demo/outcomes",
		"launch_presentation_return_url": "http://demo.example/demo/return", "oauth_consumer_key": "demo-consumer"} {
		if got := l.Params.Value(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if l.Params.Value("lis_result_sourcedid") == "" || len(c.Links()) != 1 {
		t.Error("no sourcedid recorded")
	}
	// What the service does with it: the signature verifies with the
	// tool's secret, over the URL with its query.
	v := &oauth1.Verifier{Window: time.Minute, Nonces: c}
	if err := v.Verify(context.Background(), oauth1.Request{Method: "POST", URL: l.URL, Params: l.Params}, tool.Secret); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := v.Verify(context.Background(), oauth1.Request{Method: "POST", URL: l.URL, Params: l.Params}, "other"); !errors.Is(err, oauth1.ErrSignature) {
		t.Errorf("wrong secret: %v", err)
	}

	// Empty fields are left out; bad extra lines and oauth_* are refused.
	bare := LaunchRequest{ToolID: tool.ID, ConsumerKey: "k"}
	if l, err := c.Sign(context.Background(), bare); err != nil || l.Params.Value("user_id") != "" || l.Params.Value("lis_outcome_service_url") != "" {
		t.Errorf("bare launch: %v %v", err, l.Params)
	}
	for _, extra := range []string{"novalue", "=x", "oauth_nonce=1"} {
		if _, err := c.Sign(context.Background(), LaunchRequest{ToolID: tool.ID, ConsumerKey: "k", Extra: extra}); !errors.Is(err, ErrInput) {
			t.Errorf("extra %q: %v", extra, err)
		}
	}
	if _, err := c.Sign(context.Background(), LaunchRequest{ToolID: 999, ConsumerKey: "k"}); !errors.Is(err, ErrInput) {
		t.Errorf("missing tool: %v", err)
	}
	if _, err := c.Sign(context.Background(), LaunchRequest{ToolID: tool.ID}); !errors.Is(err, ErrInput) {
		t.Errorf("no key: %v", err)
	}
}

// The outcome service accepts what the service's outcomes client sends
// with the tool's secret, and refuses what Moodle's service.php would.
func TestOutcomeServiceVerifiesLikeMoodle(t *testing.T) {
	db, _ := testenv.DB(t)
	tool := newTool(t, db)
	c, _ := consumerServer(t, db)
	req := presets["learner"]
	req.ToolID = tool.ID
	l, err := c.Sign(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	sourced := l.Params.Value("lis_result_sourcedid")
	client := &outcomes.Client{Guard: &netguard.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Timeout: 5 * time.Second}}
	target := outcomes.Target{URL: c.WWWRoot + OutcomesPath, ConsumerKey: "demo-consumer", Secret: tool.Secret}
	ctx := context.Background()

	if _, err := client.Send(ctx, target, outcomes.Message{Operation: outcomes.Replace, SourcedID: sourced, Score: "0.725"}); err != nil {
		t.Fatalf("replace: %v", err)
	}
	if links := c.Links(); !links[0].HasScore || links[0].Score != "0.725" {
		t.Fatalf("grade book: %+v", links)
	}
	resp, err := client.Send(ctx, target, outcomes.Message{Operation: outcomes.Read, SourcedID: sourced})
	if err != nil || resp.Score != "0.725" {
		t.Fatalf("read: %v %+v", err, resp)
	}
	if _, err := client.Send(ctx, target, outcomes.Message{Operation: outcomes.Delete, SourcedID: sourced}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if c.Links()[0].HasScore {
		t.Fatal("score kept after deleteResult")
	}

	refused := func(name string, tg outcomes.Target, m outcomes.Message, verdict string) {
		t.Helper()
		n := c.ReceivedCount()
		if _, err := client.Send(ctx, tg, m); err == nil {
			t.Errorf("%s: accepted", name)
		}
		got := c.Received()
		if c.ReceivedCount() != n+1 || got[0].Accepted || !strings.Contains(got[0].Verdict, verdict) {
			t.Errorf("%s: %+v", name, got[0])
		}
	}
	wrongSecret := target
	wrongSecret.Secret = "not-the-secret"
	refused("wrong secret", wrongSecret, outcomes.Message{Operation: outcomes.Replace, SourcedID: sourced, Score: "1"}, "signature does not match")
	wrongKey := target
	wrongKey.ConsumerKey = "other-key"
	refused("wrong key", wrongKey, outcomes.Message{Operation: outcomes.Replace, SourcedID: sourced, Score: "1"}, `consumer key "other-key"`)
	refused("unknown sourcedid", target, outcomes.Message{Operation: outcomes.Replace, SourcedID: "demo-nope", Score: "1"}, "unknown sourcedid")
	if c.Links()[0].HasScore {
		t.Error("a refused request changed the grade book")
	}

	// Requests the client would never send: replayed, form-encoded, out of
	// range, with a DOCTYPE.
	body := func(score, doctype string) []byte {
		m := outcomes.Message{Operation: outcomes.Replace, SourcedID: sourced, Score: "0.5"}
		b, err := m.Body()
		if err != nil {
			t.Fatal(err)
		}
		s := strings.Replace(string(b), "<textString>0.5</textString>", "<textString>"+score+"</textString>", 1)
		return []byte(strings.Replace(s, "?>", "?>"+doctype, 1))
	}
	post := func(b []byte, contentType, nonce string) (Received, string) {
		t.Helper()
		params, err := oauth1.Outgoing{Method: "POST", URL: target.URL, ConsumerKey: target.ConsumerKey, Secret: target.Secret,
			Extra: oauth1.Params{{Key: "oauth_body_hash", Value: oauth1.BodyHash(b)}}, Nonce: nonce}.Sign()
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", target.URL, strings.NewReader(string(b)))
		req.Header.Set("Authorization", oauth1.AuthorizationHeader(params))
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		r, _ := outcomes.ParseResponse(mustRead(t, resp))
		return c.Received()[0], r.CodeMajor
	}
	if rec, code := post(body("0.5", ""), "application/xml", "n-1"); !rec.Accepted || code != "success" {
		t.Errorf("fresh nonce: %+v %s", rec, code)
	}
	if rec, code := post(body("0.5", ""), "application/xml", "n-1"); rec.Accepted || code != "failure" || !strings.Contains(rec.Verdict, "already used") {
		t.Errorf("replay: %+v %s", rec, code)
	}
	if rec, _ := post(body("0.5", ""), "application/x-www-form-urlencoded", "n-2"); rec.Accepted || !strings.Contains(rec.Verdict, "form body") {
		t.Errorf("form body: %+v", rec)
	}
	if rec, code := post(body("1.5", ""), "application/xml", "n-3"); rec.Accepted || code != "failure" || !strings.Contains(rec.Verdict, "not between") {
		t.Errorf("score 1.5: %+v %s", rec, code)
	}
	if rec, _ := post(body("0.5", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>`), "application/xml", "n-4"); rec.Accepted || !strings.Contains(rec.Verdict, "DOCTYPE") {
		t.Errorf("doctype: %+v", rec)
	}
	if s := c.Links()[0].Score; s != "0.5" {
		t.Errorf("grade book has %q after the refusals, want the accepted 0.5", s)
	}
}

func mustRead(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := netguard.ReadBody(resp, 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The stand-in gradebook leaves the rows grade passback reads: the
// activity's grade and the Natural course total over the graded items.
func TestSetGradeRecomputesTheCourseTotal(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	set := func(item int64, points *float64) error {
		return db.WithTx(ctx, func(tx *database.Tx) error { return SetGrade(ctx, tx, item, student, points, 2, 1795760000) })
	}
	total := func() (any, any) {
		r := tdb.Rows(t, "SELECT finalgrade, rawgrademax FROM {grade_grades} WHERE itemid = ? AND userid = ?", courseItem, student)[0]
		return r["finalgrade"], r["rawgrademax"]
	}
	f := func(v float64) *float64 { return &v }
	if err := set(quizItem, f(50)); err != nil {
		t.Fatal(err)
	}
	if g, m := total(); toS(g) != "135.00000" || toS(m) != "200.00000" {
		t.Errorf("85 + 50: total %v / %v", g, m)
	}
	if err := set(assignItem, nil); err != nil {
		t.Fatal(err)
	}
	if g, m := total(); toS(g) != "50.00000" || toS(m) != "100.00000" {
		t.Errorf("quiz only: total %v / %v", g, m)
	}
	r := tdb.Rows(t, "SELECT rawgrade, finalgrade, aggregationstatus FROM {grade_grades} WHERE itemid = ? AND userid = ?", assignItem, student)[0]
	if r["rawgrade"] != nil || r["finalgrade"] != nil || toS(r["aggregationstatus"]) != "novalue" {
		t.Errorf("removed grade: %v", r)
	}
	if err := set(quizItem, nil); err != nil {
		t.Fatal(err)
	}
	if g, _ := total(); g != nil {
		t.Errorf("no grades: total %v", g)
	}

	// Bad input changes nothing.
	before := tdb.Snapshot(t)
	for name, err := range map[string]error{"over max": set(quizItem, f(101)), "course item": set(courseItem, f(1)), "missing": set(999, f(1))} {
		if !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v", name, err)
		}
	}
	tdb.Exec(t, "UPDATE {grade_categories} SET aggregation = 0 WHERE courseid = ?", courseID)
	if err := set(quizItem, f(10)); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "Natural") {
		t.Errorf("mean of grades: %v", err)
	}
	tdb.Exec(t, "UPDATE {grade_categories} SET aggregation = 13 WHERE courseid = ?", courseID)
	tdb.AssertUnchanged(t, before)
}

func TestSafeBack(t *testing.T) {
	for raw, want := range map[string]string{
		"/course/view.php?id=3": "http://demo.example/course/view.php?id=3",
		"https://evil.example/": "", "//evil.example/x": "", "javascript:alert(1)": "", "": "",
	} {
		if got := safeBack(raw, "http://demo.example"); got != want {
			t.Errorf("%q: %q, want %q", raw, got, want)
		}
	}
}

func toS(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case nil:
		return "<nil>"
	}
	return fmt.Sprint(v)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
