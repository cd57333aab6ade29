package main

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/mariadb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// browser is an HTTP client with cookies, like the browser on the demo's
// pages.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// do sends a request and returns the final URL, status and body.
func (b *browser) do(method, target string, form url.Values, header ...string) (string, int, string) {
	b.t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.base + target
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.Request.URL.String(), resp.StatusCode, string(raw)
}

// text is a page's text without tags or entities, spaces collapsed.
func text(page string) string {
	page = regexp.MustCompile(`(?s)<style.*?</style>`).ReplaceAllString(page, "")
	page = regexp.MustCompile(`<[^>]+>`).ReplaceAllString(page, " ")
	return strings.Join(strings.Fields(html.UnescapeString(page)), " ")
}

// launchForm is the consumer page's form as a person fills it in.
func launchForm(role string, change map[string]string) url.Values {
	f := url.Values{"tool": {"1"}, "consumerkey": {"demo-consumer"}, "roles": {role}, "context_id": {"ctx-1"},
		"context_title": {"Consumer course"}, "context_label": {"CC1"}, "resource_link_id": {"link-1"},
		"resource_link_title": {"PROV1"}, "returnurl": {"1"}}
	if role == "Learner" {
		f.Set("user_id", "learner-7")
		f.Set("given", "Lee")
		f.Set("family", "Learner <b>")
		f.Set("email", "lee@consumer.example")
		f.Set("outcomes", "1")
	} else {
		f.Set("user_id", "teacher-7")
		f.Set("given", "Ina")
		f.Set("family", "Instructor")
		f.Set("email", "ina@consumer.example")
	}
	for k, v := range change {
		f.Set(k, v)
	}
	return f
}

// signAndSend signs a launch on the consumer page, then posts the signed
// form to tool.php as the browser would. It returns the signed form too,
// for replays.
func (b *browser) signAndSend(form url.Values) (landed string, status int, page string, signed url.Values) {
	b.t.Helper()
	_, st, sp := b.do("POST", "/demo/launch", form, "Origin", b.base)
	if st != http.StatusOK {
		b.t.Fatalf("sign: %d %s", st, text(sp))
	}
	action := html.UnescapeString(regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindStringSubmatch(sp)[1])
	signed = url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`).FindAllStringSubmatch(sp, -1) {
		signed.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	if !strings.HasSuffix(action, "/local/ltiprovider/tool.php?id="+form.Get("tool")) || signed.Get("oauth_signature") == "" {
		b.t.Fatalf("signed page: %s %v", action, signed)
	}
	landed, status, page = b.do("POST", action, signed)
	return landed, status, page, signed
}

// startDemoServer is the demo's server on a migrated fixture database of
// the test, as cmdDemo builds it after setting up its site.
func startDemoServer(t *testing.T) (string, *testdb.DB) {
	t.Helper()
	_, tdb := testenv.DB(t)
	dataroot := t.TempDir()
	if err := os.Mkdir(filepath.Join(dataroot, "sessions"), 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wwwroot := "http://" + browserAddr(ln.Addr())
	vars := map[string]string{"LTIPROVIDER_DSN": tdb.DSN(), "LTIPROVIDER_DB_PREFIX": tdb.Prefix, "LTIPROVIDER_WWWROOT": wwwroot,
		"LTIPROVIDER_DATAROOT": dataroot, "LTIPROVIDER_ALLOW_NETWORKS": "127.0.0.0/8", "LTIPROVIDER_LOG_LEVEL": "error"}
	cfg, err := config.Load(config.Input{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.Open(t, tdb)
	tool, svc, err := demoSetup(context.Background(), cfg, logging.Discard(), db)
	if err != nil || tool.ID != 1 {
		t.Fatalf("setup: %v %+v", err, tool)
	}
	go svc.Serve(ln)
	t.Cleanup(func() { svc.Close(); svc.Stop(time.Second) })
	return wwwroot, tdb
}

// The demo from the consumer page to a grade back at the consumer, as a
// browser goes through it.
func TestDemoConsumerLaunchAndGradeBack(t *testing.T) {
	base, tdb := startDemoServer(t)
	b := newBrowser(t, base)

	_, st, page := b.do("GET", "/", nil)
	if st != 200 || !strings.Contains(page, "Demo LTI consumer") || !strings.Contains(page, `<option value="1" selected>1: course PROV1`) {
		t.Fatalf("consumer page: %d %s", st, text(page))
	}

	// A learner's launch with custom parameters: the browser lands on the
	// course's URL, logged in, and the stand-in page shows what was written.
	landed, st, page, _ := b.signAndSend(launchForm("Learner", map[string]string{
		"extra": "custom_hide_page_header=1\ncustom_custom_css=body{color:red}"}))
	p := text(page)
	if st != 200 || landed != base+"/course/view.php?id=3" {
		t.Fatalf("landed on %s (%d): %s", landed, st, p)
	}
	user := tdb.Rows(t, "SELECT id, username, lastname, auth FROM {user} WHERE email = 'lee@consumer.example'")
	if len(user) != 1 || fmt.Sprint(user[0]["lastname"]) != "Learner <b>" {
		t.Fatalf("user rows %v", user)
	}
	uid := fmt.Sprint(user[0]["id"])
	sid := tdb.Rows(t, "SELECT sid FROM {sessions} WHERE userid = ?", uid)
	if len(sid) != 1 {
		t.Fatalf("sessions %v", sid)
	}
	for _, want := range []string{
		"Moodle would show this page to Lee Learner <b>, logged in", // escaped on the page, text here
		"username " + fmt.Sprint(user[0]["username"]), "by this launch",
		"manual active", "student course 3",
		"sess_" + fmt.Sprint(sid[0]["sid"]), "mode 0600",
		"bound consumer keys: demo-consumer", "header hidden", "custom CSS (15 characters)",
		`\core\event\user_created`, `\core\event\user_enrolment_created`, `\core\event\role_assigned`, `\core\event\user_loggedin`,
		"Grade and send back",
	} {
		if !strings.Contains(p, want) {
			t.Errorf("stand-in page lacks %q:\n%s", want, p)
		}
	}
	if strings.Contains(page, "Learner <b>") {
		t.Error("a name from the launch is not escaped")
	}

	// Grade as a teacher would; the grade job runs and the consumer's
	// outcome service receives and verifies replaceResult.
	_, st, page = b.do("POST", "/demo/grade", url.Values{"user": {uid}, "item": {"4"}, "points": {"72.5"}, "back": {"/course/view.php?id=3"}}, "Origin", base)
	p = text(page)
	if st != 200 || !strings.Contains(p, "Grade job: 1 queued, 1 sent") || !strings.Contains(p, "replaceResult") ||
		!strings.Contains(p, "0.725 accepted: HMAC-SHA1 signature with the tool's secret, oauth_body_hash, nonce and timestamp verified") {
		t.Fatalf("grade: %d %s", st, p)
	}
	if rows := tdb.Rows(t, "SELECT state, sentscore FROM {local_ltiprovider_grade} WHERE userid = ?", uid); len(rows) != 1 ||
		fmt.Sprint(rows[0]["state"]) != "sent" || fmt.Sprint(rows[0]["sentscore"]) != "0.725" {
		t.Errorf("grade rows %v", rows)
	}
	_, _, page = b.do("GET", "/demo/", nil)
	if p := text(page); !strings.Contains(p, "learner-7 Lee Learner <b>") || !strings.Contains(p, "0.725") {
		t.Errorf("consumer grade book: %s", p)
	}
	// Removing the grade deletes it at the consumer.
	_, _, page = b.do("POST", "/demo/grade", url.Values{"user": {uid}, "item": {"4"}, "points": {""}}, "Origin", base)
	if p := text(page); !strings.Contains(p, "1 deleted") || !strings.Contains(p, "deleteResult") {
		t.Errorf("remove grade: %s", p)
	}

	// The signed form sent again is a replay; another consumer key is
	// refused and goes back to the consumer; neither changes anything.
	_, _, _, signed := b.signAndSend(launchForm("Learner", nil))
	before := tdb.Snapshot(t)
	_, st, page = b.do("POST", base+"/local/ltiprovider/tool.php?id=1", signed)
	if st != 401 || !strings.Contains(text(page), "This launch was already used") {
		t.Errorf("replay: %d %s", st, text(page))
	}
	tdb.AssertUnchanged(t, before)
	landed, _, page, _ = b.signAndSend(launchForm("Learner", map[string]string{"consumerkey": "someone-else", "user_id": "x-1"}))
	if !strings.HasPrefix(landed, base+"/demo/return?lti_errormsg=") || !strings.Contains(text(page), "This consumer key is not accepted by this tool") {
		t.Errorf("other key: %s %s", landed, text(page))
	}
	if n := tdb.Count(t, "user", "email = 'lee@consumer.example'"); n != 1 {
		t.Errorf("%d users after the refused launches", n)
	}

	// An instructor: editing teacher, no grade asked, and the service's
	// administration page knows them by the same session.
	landed, _, page, _ = b.signAndSend(launchForm("Instructor", nil))
	if p := text(page); landed != base+"/course/view.php?id=3" || !strings.Contains(p, "editingteacher course 3") || !strings.Contains(p, "asked for no grade") {
		t.Errorf("instructor: %s %s", landed, p)
	}
	_, st, page = b.do("GET", "/local/ltiprovider/index.php?courseid=3", nil)
	if st != 200 || !strings.Contains(text(page), "Logged in as Ina Instructor") {
		t.Errorf("admin page as the instructor: %d %s", st, text(page))
	}

	// Forms from other sites are refused; a browser without a session is a
	// visitor.
	if _, st, _ := b.do("POST", "/demo/launch", launchForm("Learner", nil), "Origin", "https://evil.example"); st != 403 {
		t.Errorf("cross-site sign: %d", st)
	}
	if _, st, _ := b.do("POST", "/demo/grade", url.Values{"user": {uid}, "item": {"4"}, "points": {"1"}}, "Sec-Fetch-Site", "cross-site"); st != 403 {
		t.Errorf("cross-site grade: %d", st)
	}
	_, _, page = newBrowser(t, base).do("GET", "/course/view.php?id=3", nil)
	if !strings.Contains(text(page), "Moodle would show this page to a visitor") {
		t.Errorf("visitor: %s", text(page))
	}
}

// serve has no demo pages, and no option or flag gives it any.
func TestServeHasNoDemoPages(t *testing.T) {
	db, tdb := testenv.DB(t)
	cfg, err := config.Load(config.Input{LookupEnv: func(k string) (string, bool) {
		v, ok := map[string]string{"LTIPROVIDER_DSN": tdb.DSN(), "LTIPROVIDER_DB_PREFIX": tdb.Prefix,
			"LTIPROVIDER_WWWROOT": "http://127.0.0.1:1", "LTIPROVIDER_DATAROOT": t.TempDir()}[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(cfg, logging.Discard(), db, nil)
	defer srv.Stop(time.Second)
	for _, path := range []string{"/demo/", "/demo/launch", "/demo/outcomes", "/demo/grade", "/course/view.php?id=3", "/"} {
		for _, method := range []string{"GET", "POST"} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(method, "http://127.0.0.1:1"+path, strings.NewReader("a=b"))
			srv.Handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("serve: %s %s = %d", method, path, rec.Code)
			}
		}
	}
	for _, o := range config.Options() {
		if strings.Contains(o.Key, "demo") || strings.Contains(o.Flag, "demo") {
			t.Errorf("option %s", o.Key)
		}
	}
	var out, errb strings.Builder
	if code := run(context.Background(), []string{"serve", "--demo"}, &out, &errb); code != 2 {
		t.Errorf("serve --demo: exit %d", code)
	}
}

// syncWriter is a buffer the command writes to while the test reads.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// `ltiprovider demo` as the README runs it, on a machine with only a
// MariaDB binary: it starts a mariadbd of its own (when the binary is
// there; otherwise the local server), serves, and on Ctrl-C removes the
// server, its database and the data folder.
func TestDemoCommandUpAndCleanedUp(t *testing.T) {
	args := []string{"demo", "--listen", "127.0.0.1:0"}
	if _, err := mariadb.LookPath("mariadbd"); err == nil {
		args = append(args, "--throwaway-mariadb")
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var out, errOut syncWriter
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, &out, &errOut) }()

	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(out.String(), "Press Ctrl-C") {
		select {
		case code := <-done:
			t.Fatalf("demo exited %d:\n%s\n%s", code, out.String(), errOut.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo not ready:\n%s", out.String())
		}
	}
	printed := out.String()
	field := func(name string) string {
		sc := bufio.NewScanner(strings.NewReader(printed))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), name+":"); ok {
				return strings.Fields(v)[0]
			}
		}
		t.Fatalf("no %q in:\n%s", name, printed)
		return ""
	}
	consumer, dataRoot := field("Consumer page"), field("Data folder")
	base := strings.TrimSuffix(consumer, "/demo/")
	b := newBrowser(t, base)
	if _, st, page := b.do("GET", "/local/ltiprovider/healthz", nil); st != 200 || !strings.Contains(page, `"database":"up"`) {
		t.Errorf("health: %d %s", st, page)
	}
	landed, _, page, _ := b.signAndSend(launchForm("Learner", nil))
	if landed != base+"/course/view.php?id=3" || !strings.Contains(text(page), "by this launch") {
		t.Errorf("launch: %s %s", landed, text(page))
	}
	var server string
	if m := regexp.MustCompile(`throwaway mariadbd in (\S+)\)`).FindStringSubmatch(printed); m != nil {
		server = m[1]
	}
	dbName := regexp.MustCompile(`database (ltiprovider_demo_[0-9a-f]+)`).FindStringSubmatch(printed)[1]

	stop() // Ctrl-C
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("demo exited %d: %s", code, errOut.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("demo did not stop")
	}
	if !strings.Contains(out.String(), "Demo database and data folder removed.") {
		t.Errorf("output: %s", out.String())
	}
	if _, err := os.Stat(dataRoot); !os.IsNotExist(err) {
		t.Errorf("data folder %s still there: %v", dataRoot, err)
	}
	if server != "" {
		if _, err := os.Stat(server); !os.IsNotExist(err) {
			t.Errorf("throwaway server folder %s still there: %v", server, err)
		}
	} else {
		admin, err := mariadb.Open(mariadb.LocalRoot())
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		var n int
		if err := admin.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", dbName).Scan(&n); err != nil || n != 0 {
			t.Errorf("database %s left behind: %d %v", dbName, n, err)
		}
	}
}
