package main

import (
	"context"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/chromiumtest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// A consumer shows the course inside an iframe of its own page, on another
// site: the launch's session cookie is then a third-party cookie. Headless
// Chromium loads a consumer page on consumer.test whose iframe posts a
// signed launch to the service on moodle.test; the stand-in course page
// records whether the browser brought the session the launch set.
func TestLaunchInsideACrossSiteIframe(t *testing.T) {
	bin := chromiumtest.Path(t)
	cases := []struct {
		name        string
		https       bool
		partitioned bool
		block3p     bool // the browser blocks third-party cookies
		want        bool // the course page gets the session
	}{
		{name: "https", https: true, want: true},
		{name: "plain http", https: false, want: false},
		{name: "https, third-party cookies blocked", https: true, block3p: true, want: false},
		{name: "https, partitioned, third-party cookies blocked", https: true, partitioned: true, block3p: true, want: true},
		{name: "https, partitioned, third-party cookies allowed", https: true, partitioned: true, want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, set := iframeLaunch(t, bin, tc.https, tc.partitioned, tc.block3p)
			if set == "" {
				t.Fatal("the launch set no session cookie")
			}
			if (got == set) != tc.want {
				t.Fatalf("course page got session %q, the launch set %q; want sent=%v", got, set, tc.want)
			}
		})
	}
}

// iframeLaunch runs one launch in a cross-site iframe and returns the
// session cookie the course page received and the one the launch set.
func iframeLaunch(t *testing.T, bin string, https, partitioned, block3p bool) (got, set string) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	moodleLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := moodleLn.Addr().(*net.TCPAddr).Port
	scheme := "http"
	if https {
		scheme = "https"
	}
	wwwroot := fmt.Sprintf("%s://moodle.test:%d", scheme, port)
	dataroot := t.TempDir() // Moodle's default session handler: files in dataroot/sessions
	if err := os.Mkdir(filepath.Join(dataroot, "sessions"), 0o700); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"LTIPROVIDER_DSN": tdb.DSN(), "LTIPROVIDER_DB_PREFIX": tdb.Prefix, "LTIPROVIDER_WWWROOT": wwwroot,
		"LTIPROVIDER_DATAROOT":                   dataroot,
		"LTIPROVIDER_SESSION_COOKIE_PARTITIONED": fmt.Sprint(partitioned)}
	cfg, err := config.Load(config.Input{LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	tool := store.NewTool(3, 13, 3, 5, time.Now().Unix())
	tool.Secret = "iframe-secret"
	if err := store.InsertTool(ctx, db, tool); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log, _ := logging.New(&logs, "text", "info")
	defer func() {
		if t.Failed() {
			t.Logf("service log:\n%s", logs.String())
		}
	}()
	svc := newServer(cfg, log, db, nil)
	defer svc.Stop(time.Second)

	var mu sync.Mutex
	courseSeen := make(chan struct{})
	var once sync.Once
	moodle := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Logf("moodle: %s %s", r.Method, r.URL)
		if r.URL.Path == "/course/view.php" { // Moodle's page, as far as cookies go
			mu.Lock()
			if c, err := r.Cookie("MoodleSession"); err == nil {
				got = c.Value
			}
			mu.Unlock()
			once.Do(func() { close(courseSeen) })
			fmt.Fprint(w, "<!DOCTYPE html><title>course</title><p>course</p>")
			return
		}
		rec := &cookieRecorder{ResponseWriter: w}
		svc.Handler.ServeHTTP(rec, r)
		t.Logf("moodle: %d %s %v", rec.code, rec.Header().Get("Location"), rec.Header().Values("Set-Cookie"))
		if rec.session != "" {
			mu.Lock()
			set = rec.session
			mu.Unlock()
		}
	}))
	moodle.Listener.Close()
	moodle.Listener = moodleLn
	if https {
		moodle.StartTLS()
	} else {
		moodle.Start()
	}
	defer moodle.Close()

	launchURL := fmt.Sprintf("%s/local/ltiprovider/tool.php?id=%d", wwwroot, tool.ID)
	form := template.Must(template.New("f").Parse(`<!DOCTYPE html><title>launch</title>
<form id="f" method="post" action="{{.URL}}">{{range .Fields}}<input type="hidden" name="{{.Key}}" value="{{.Value}}">{{end}}</form>
<script>document.getElementById("f").submit();</script>`))
	consumer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Logf("consumer: %s %s", r.Method, r.URL)
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, `<!DOCTYPE html><title>consumer course</title><iframe src="/launch" width="800" height="600"></iframe>`)
		case "/launch":
			lti := oauth1.Params{{Key: "lti_message_type", Value: "basic-lti-launch-request"}, {Key: "lti_version", Value: "LTI-1p0"},
				{Key: "resource_link_id", Value: "iframe-link"}, {Key: "user_id", Value: "iframe-user"}, {Key: "roles", Value: "Learner"},
				{Key: "lis_person_name_given", Value: "Ifra"}, {Key: "lis_person_name_family", Value: "Me"},
				{Key: "launch_presentation_document_target", Value: "iframe"}}
			p, err := oauth1.Outgoing{Method: "POST", URL: launchURL, ConsumerKey: "iframe-consumer", Secret: tool.Secret, Extra: lti}.Sign()
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			form.Execute(w, struct {
				URL    string
				Fields oauth1.Params
			}{launchURL, append(lti, p...)})
		default:
			http.NotFound(w, r)
		}
	}))
	defer consumer.Close()
	consumerURL := "http://consumer.test:" + fmt.Sprint(consumer.Listener.Addr().(*net.TCPAddr).Port) + "/"

	// The browser's cookie setting, as chrome://settings/cookies writes it:
	// 0 allows third-party cookies, 1 blocks them. (A new profile of
	// Debian's Chromium 156 blocks them too.)
	profile := filepath.Join(t.TempDir(), "profile")
	mode := 0
	if block3p {
		mode = 1
	}
	if err := os.MkdirAll(filepath.Join(profile, "Default"), 0o700); err != nil {
		t.Fatal(err)
	}
	prefs := fmt.Sprintf(`{"profile":{"cookie_controls_mode":%d}}`, mode)
	if err := os.WriteFile(filepath.Join(profile, "Default", "Preferences"), []byte(prefs), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(chromiumtest.Args(profile), "--ignore-certificate-errors",
		"--host-resolver-rules=MAP consumer.test 127.0.0.1, MAP moodle.test 127.0.0.1", "--virtual-time-budget=10000", "--dump-dom")
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, bin, append(args, consumerURL)...).CombinedOutput()
	select {
	case <-courseSeen:
	case <-time.After(5 * time.Second):
		t.Fatalf("the iframe never reached the course page (chromium: %v)\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	return got, set
}

// cookieRecorder notes the session cookie a response sets.
type cookieRecorder struct {
	http.ResponseWriter
	session string
	code    int
}

func (c *cookieRecorder) WriteHeader(code int) {
	c.code = code
	for _, h := range c.Header().Values("Set-Cookie") {
		if ck, err := http.ParseSetCookie(h); err == nil && ck.Name == "MoodleSession" && ck.Value != "" && ck.MaxAge >= 0 {
			c.session = ck.Value
		}
	}
	c.ResponseWriter.WriteHeader(code)
}

// syncBuffer is a log buffer the service's goroutines share.
type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}
