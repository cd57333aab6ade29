package picture

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"image"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/filedir"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// Fixture: student1 is user 3, whose user context is 23.
const (
	student    = 3
	studentCtx = 23
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// pictureServer serves pictures and misbehaviours on 127.0.0.1, which the
// tests' guard allows (a consumer on the same network).
type pictureServer struct {
	*httptest.Server
	hits    sync.Map // path → *atomic.Int32
	release chan struct{}
}

func newPictureServer(t *testing.T) *pictureServer {
	s := &pictureServer{release: make(chan struct{})}
	png1 := encodePNG(t, stripes(300, 100))
	jpg := encodeJPEG(t, stripes(300, 100))
	webpBody, err := os.ReadFile("testdata/stripes.webp")
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string][]byte{"/a.png": png1, "/b.jpg": jpg, "/c.gif": transparentGIF(t), "/d.webp": webpBody,
		"/page.html": []byte("<!DOCTYPE html><html><body>Login required</body></html>"), "/bomb.png": bombPNG(t, 30000, 30000)}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n, _ := s.hits.LoadOrStore(r.URL.Path, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		switch r.URL.Path {
		case "/huge.png": // declares its size: refused before reading
			w.Header().Set("Content-Type", "image/png")
			w.Header().Set("Content-Length", "3000000")
			w.Write(png1)
		case "/huge-chunked.png": // does not: cut at the limit
			w.Header().Set("Content-Type", "image/png")
			w.Write(png1)
			w.(http.Flusher).Flush()
			w.Write(bytes.Repeat([]byte{0}, 3<<20))
		case "/metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam/security-credentials/?token=s3cret", http.StatusFound)
		case "/to-localhost-name":
			http.Redirect(w, r, "http://localhost:1/x.png", http.StatusFound)
		case "/moved.png":
			http.Redirect(w, r, "/a.png?sig=abc", http.StatusFound)
		case "/gone.png":
			http.NotFound(w, r)
		case "/broken.png":
			http.Error(w, "oops", http.StatusBadGateway)
		case "/slow.png":
			select {
			case <-s.release:
			case <-r.Context().Done():
			}
			w.Write(png1)
		default:
			b, ok := bodies[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain") // sniffing decides, not the header
			w.Write(b)
		}
	})
	// 127.0.0.2, so that a test may allow this server and not the rest of
	// the loopback network.
	s.Server = httptest.NewUnstartedServer(mux)
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Server.Listener.Close()
	s.Server.Listener = ln
	s.Server.Start()
	t.Cleanup(func() {
		close(s.release)
		s.Close()
	})
	return s
}

func (s *pictureServer) count(path string) int {
	if n, ok := s.hits.Load(path); ok {
		return int(n.(*atomic.Int32).Load())
	}
	return 0
}

// logBuffer collects the updater's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	t    *testing.T
	db   *database.DB
	tdb  *testdb.DB
	pool *filedir.Pool
	srv  *pictureServer
	u    *Updater
	now  time.Time
	log  *logBuffer
}

func newEnv(t *testing.T, configure ...func(*Config)) *env {
	db, tdb := testenv.DB(t)
	root := t.TempDir()
	pool := &filedir.Pool{Dir: filepath.Join(root, "filedir"), TrashDir: filepath.Join(root, "trashdir"),
		DirMode: filedir.DefaultDirMode, FileMode: filedir.DefaultFileMode}
	os.Mkdir(pool.Dir, 0o777)
	os.Mkdir(pool.TrashDir, 0o777)
	e := &env{t: t, db: db, tdb: tdb, pool: pool, srv: newPictureServer(t), now: time.Unix(1795760000, 0), log: &logBuffer{}}
	log, _ := logging.New(e.log, "text", "info")
	c := Config{DB: db, Pool: pool, AllowNetworks: loopback, Timeout: 2 * time.Second, Log: log, Now: func() time.Time { return e.now }}
	for _, f := range configure {
		f(&c)
	}
	e.u = New(c)
	t.Cleanup(func() { e.u.Close(context.Background()) })
	return e
}

func (e *env) process(path string, replace bool) Outcome {
	e.t.Helper()
	out, err := e.u.Process(context.Background(), Request{UserID: student, URL: e.srv.URL + path, Replace: replace})
	if err != nil {
		e.t.Fatalf("%s: %v", path, err)
	}
	return out
}

// icons returns the student's icon rows, by id.
func (e *env) icons() []map[string]any {
	return e.tdb.Rows(e.t, "SELECT * FROM {files} WHERE contextid = ? AND component = 'user' AND filearea = 'icon' ORDER BY id", studentCtx)
}

func (e *env) picture() string {
	return fmt.Sprint(e.tdb.Rows(e.t, "SELECT picture FROM {user} WHERE id = ?", student)[0]["picture"])
}

func sha1hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// wantIcons checks the rows and files process_new_icon() would leave for
// icons of type ext, and returns the content hashes of f1, f2, f3.
func (e *env) wantIcons(ext, mime string) []string {
	e.t.Helper()
	rows := e.icons()
	names := []string{"f1" + ext, ".", "f2" + ext, "f3" + ext}
	if len(rows) != 4 {
		e.t.Fatalf("%d icon rows: %v", len(rows), rows)
	}
	var hashes []string
	for i, row := range rows {
		name := names[i]
		want := map[string]any{"contextid": studentCtx, "component": "user", "filearea": "icon", "itemid": 0, "filepath": "/",
			"filename": name, "pathnamehash": sha1hex(fmt.Sprintf("/%d/user/icon/0/%s", studentCtx, name)),
			"userid": nil, "status": 0, "source": nil, "author": nil, "license": nil, "sortorder": 0, "referencefileid": nil,
			"timecreated": e.now.Unix(), "timemodified": e.now.Unix()}
		if name == "." {
			want["contenthash"], want["filesize"], want["mimetype"] = moodle.EmptyContentHash, 0, nil
		} else {
			want["mimetype"] = mime
		}
		for col, w := range want {
			got := row[col]
			if w == nil {
				if got != nil {
					e.t.Errorf("%s.%s = %v, want NULL", name, col, got)
				}
			} else if got == nil || fmt.Sprint(got) != fmt.Sprint(w) {
				e.t.Errorf("%s.%s = %v, want %v", name, col, got, w)
			}
		}
		hash := fmt.Sprint(row["contenthash"])
		path := filepath.Join(e.pool.Dir, hash[:2], hash[2:4], hash)
		data, err := os.ReadFile(path)
		if err != nil {
			e.t.Fatalf("%s: bytes not in the pool: %v", name, err)
		}
		if sha1hex(string(data)) != hash || fmt.Sprint(len(data)) != fmt.Sprint(row["filesize"]) {
			e.t.Errorf("%s: pool file does not match its row", name)
		}
		if name == "." {
			continue
		}
		img, format, err := image.Decode(bytes.NewReader(data))
		if err != nil || "image/"+format != mime {
			e.t.Fatalf("%s: %v %s", name, err, format)
		}
		size := map[string]int{"f1": 100, "f2": 35, "f3": 512}[name[:2]]
		if img.Bounds().Dx() != size || img.Bounds().Dy() != size {
			e.t.Errorf("%s: %v", name, img.Bounds())
		}
		hashes = append(hashes, hash)
	}
	if e.picture() != fmt.Sprint(rows[0]["id"]) {
		e.t.Errorf("user.picture %s, want the f1 row %v", e.picture(), rows[0]["id"])
	}
	return hashes
}

func (e *env) fetchRow() map[string]any {
	rows := e.tdb.Rows(e.t, "SELECT urlhash, status, fileid, timemodified FROM {local_ltiprovider_picture} WHERE userid = ?", student)
	if len(rows) != 1 {
		e.t.Fatalf("%d picture rows", len(rows))
	}
	return rows[0]
}

func TestStoredAsMoodleStoresIt(t *testing.T) {
	e := newEnv(t)
	if out := e.process("/a.png", true); out != Stored {
		t.Fatalf("outcome %v; log:\n%s", out, e.log)
	}
	pngHashes := e.wantIcons(".png", "image/png")
	row := e.fetchRow()
	if row["urlhash"] != sha1hex(e.srv.URL+"/a.png") || row["status"] != "0" || row["fileid"] != e.picture() {
		t.Errorf("fetch row %v", row)
	}
	// The same URL again: not downloaded again, nothing changes.
	before := e.tdb.Snapshot(t)
	if out := e.process("/a.png", true); out != Unchanged || e.srv.count("/a.png") != 1 {
		t.Errorf("same URL: %v, %d downloads", out, e.srv.count("/a.png"))
	}
	e.tdb.AssertUnchanged(t, before)

	// Another picture replaces it: JPEG icons, the old rows gone, their
	// bytes in the trash (no other row uses them).
	e.now = e.now.Add(time.Hour)
	if out := e.process("/b.jpg", true); out != Stored {
		t.Fatalf("replace: %v", out)
	}
	e.wantIcons(".jpg", "image/jpeg")
	for _, h := range pngHashes {
		if _, err := os.Stat(e.pool.Path(h)); !os.IsNotExist(err) {
			t.Errorf("replaced bytes %s still in the pool", h)
		}
		if _, err := os.Stat(filepath.Join(e.pool.TrashDir, h[:2], h[2:4], h)); err != nil {
			t.Errorf("replaced bytes %s not in the trash: %v", h, err)
		}
	}
	// The empty content of the directory entries stays.
	if _, err := os.Stat(e.pool.Path(moodle.EmptyContentHash)); err != nil {
		t.Errorf("empty content: %v", err)
	}
}

// Bytes another file also uses stay in the pool when the icon goes.
func TestSharedBytesKept(t *testing.T) {
	e := newEnv(t)
	e.process("/a.png", true)
	rows := e.icons()
	shared := fmt.Sprint(rows[0]["contenthash"])
	e.tdb.Exec(t, `INSERT INTO {files} (contenthash, pathnamehash, contextid, component, filearea, itemid, filepath, filename, filesize, mimetype, timecreated, timemodified)
		VALUES (?, ?, 1, 'user', 'draft', 5, '/', 'copy.png', 10, 'image/png', 1, 1)`, shared, sha1hex("/1/user/draft/5/copy.png"))
	e.now = e.now.Add(time.Hour)
	if out := e.process("/c.gif", true); out != Stored {
		t.Fatalf("gif: %v", out)
	}
	e.wantIcons(".png", "image/png")
	if _, err := os.Stat(e.pool.Path(shared)); err != nil {
		t.Errorf("shared bytes removed: %v", err)
	}
}

func TestEveryFormat(t *testing.T) {
	for path, ext := range map[string]string{"/a.png": ".png", "/b.jpg": ".jpg", "/c.gif": ".png", "/d.webp": ".png", "/moved.png": ".png"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			e := newEnv(t)
			if out := e.process(path, true); out != Stored {
				t.Fatalf("%v; log:\n%s", out, e.log)
			}
			mime := "image/png"
			if ext == ".jpg" {
				mime = "image/jpeg"
			}
			e.wantIcons(ext, mime)
		})
	}
}

// Bad URLs change nothing but their record, are logged without their
// query string, and are not fetched again.
func TestRefusedAndFailed(t *testing.T) {
	cases := []struct {
		path    string
		want    Outcome
		reason  string
		httpOK  bool // allow_http, so the address itself is what refuses
		nofetch bool // refused before any request to our server
	}{
		{path: "/page.html", want: Refused, reason: "not a JPEG, PNG, GIF or WebP image"},
		{path: "/huge.png", want: Refused, reason: "larger than 2097152 bytes"},
		{path: "/huge-chunked.png", want: Refused, reason: "larger than the size limit"},
		{path: "/bomb.png", want: Refused, reason: "too many pixels"},
		{path: "/gone.png", want: Refused, reason: "HTTP status 404"},
		{path: "/metadata", want: Refused, reason: "169.254.169.254 is not a public address", httpOK: true},
		{path: "/metadata", want: Refused, reason: "plain http to 169.254.169.254"},
		{path: "/to-localhost-name", want: Refused, reason: "127.0.0.1 is not a public address", httpOK: true},
		{path: "/broken.png", want: Failed, reason: "HTTP status 502"},
	}
	for _, tc := range cases {
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				c.AllowHTTP = tc.httpOK
				if tc.path == "/to-localhost-name" {
					// The name resolves to an address the guard refuses at
					// dial time: only the test server's own address is allowed.
					c.AllowNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
				}
			})
			e.process("/a.png", true)
			before := e.icons()
			picture := e.picture()
			url := e.srv.URL + tc.path + "?token=s3cret"
			out, err := e.u.Process(context.Background(), Request{UserID: student, URL: url, Replace: true})
			if err != nil || out != tc.want {
				t.Fatalf("%v %v; log:\n%s", out, err, e.log)
			}
			if fmt.Sprint(e.icons()) != fmt.Sprint(before) || e.picture() != picture {
				t.Error("the stored picture changed")
			}
			row := e.fetchRow()
			wantStatus := map[Outcome]string{Refused: "1", Failed: "2"}[tc.want]
			if row["urlhash"] != sha1hex(url) || row["status"] != wantStatus || row["fileid"] != picture {
				t.Errorf("fetch row %v", row)
			}
			logs := e.log.String()
			if !strings.Contains(logs, tc.reason) || !strings.Contains(logs, e.srv.URL+tc.path) {
				t.Errorf("log does not say %q for %s:\n%s", tc.reason, tc.path, logs)
			}
			if strings.Contains(logs, "s3cret") || strings.Contains(logs, "token=") {
				t.Errorf("log shows a query string:\n%s", logs)
			}
			// Not fetched again: refused for good, failed only after the
			// retry delay.
			hits := e.srv.count(tc.path)
			if out, _ := e.u.Process(context.Background(), Request{UserID: student, URL: url, Replace: true}); out != Unchanged || e.srv.count(tc.path) != hits {
				t.Errorf("second time: %v, %d → %d requests", out, hits, e.srv.count(tc.path))
			}
			e.now = e.now.Add(2 * time.Hour)
			out, _ = e.u.Process(context.Background(), Request{UserID: student, URL: url, Replace: true})
			if tc.want == Failed && (out != Failed || e.srv.count(tc.path) != hits+1) {
				t.Errorf("failed URL not retried after the delay: %v", out)
			}
			if tc.want == Refused && out != Unchanged {
				t.Errorf("refused URL tried again: %v", out)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Timeout = time.Second })
	if out := e.process("/slow.png", true); out != Failed || !strings.Contains(e.log.String(), "timed out") {
		t.Errorf("%v; log:\n%s", out, e.log)
	}
	if e.picture() != "0" {
		t.Error("picture set")
	}
}

// Without Replace (an existing user whose profile is not updated), a
// picture is only given to a user who has none.
func TestReplaceOnlyWhenAllowed(t *testing.T) {
	e := newEnv(t)
	if out := e.process("/a.png", false); out != Stored {
		t.Fatalf("first picture: %v", out)
	}
	first := e.picture()
	if out := e.process("/b.jpg", false); out != Kept || e.srv.count("/b.jpg") != 0 || e.picture() != first {
		t.Errorf("kept: %v, %d downloads", out, e.srv.count("/b.jpg"))
	}
	// Deleted users get nothing.
	e.tdb.Exec(t, "UPDATE {user} SET deleted = 1 WHERE id = ?", student)
	if out := e.process("/c.gif", true); out != Gone || e.srv.count("/c.gif") != 0 {
		t.Errorf("deleted user: %v", out)
	}
	if out, err := e.u.Process(context.Background(), Request{UserID: 999999, URL: e.srv.URL + "/a.png", Replace: true}); err != nil || out != Gone {
		t.Errorf("missing user: %v %v", out, err)
	}
}

// A user without a context gets one, as context_user::instance() makes it.
func TestUserContextCreated(t *testing.T) {
	e := newEnv(t)
	e.tdb.Exec(t, "DELETE FROM {context} WHERE contextlevel = 30 AND instanceid = ?", student)
	if out := e.process("/a.png", true); out != Stored {
		t.Fatalf("%v", out)
	}
	ctx := e.tdb.Rows(t, "SELECT id, path, depth FROM {context} WHERE contextlevel = 30 AND instanceid = ?", student)
	if len(ctx) != 1 || ctx[0]["path"] != "/1/"+fmt.Sprint(ctx[0]["id"]) || ctx[0]["depth"] != "2" {
		t.Fatalf("context %v", ctx)
	}
	if n := e.tdb.Count(t, "files", "contextid = ? AND filearea = 'icon'", ctx[0]["id"]); n != 4 {
		t.Errorf("%d icon rows in the new context", n)
	}
}

// The background queue: requests return at once, one place per user, the
// latest URL wins, a full queue drops, Close waits for the running job.
func TestBackgroundQueue(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Workers, c.Queue = 1, 2 })
	// The worker blocks on the slow picture of user 2 (admin) …
	e.u.Update(Request{UserID: 2, URL: e.srv.URL + "/slow.png", Replace: true})
	waitFor(t, func() bool { return e.srv.count("/slow.png") == 1 })
	// … while the student asks twice (one place, latest URL), user 4 once,
	// and user 5 finds the queue full.
	e.u.Update(Request{UserID: student, URL: e.srv.URL + "/a.png", Replace: true})
	e.u.Update(Request{UserID: student, URL: e.srv.URL + "/b.jpg", Replace: true})
	e.u.Update(Request{UserID: 4, URL: e.srv.URL + "/c.gif", Replace: true})
	e.u.Update(Request{UserID: 5, URL: e.srv.URL + "/d.webp", Replace: true})
	if !strings.Contains(e.log.String(), "too many waiting") {
		t.Errorf("full queue not logged:\n%s", e.log)
	}
	e.srv.release <- struct{}{}
	waitFor(t, func() bool {
		return e.tdb.Count(t, "local_ltiprovider_picture", "userid IN (2, 3, 4) AND status = 0") == 3
	})
	if e.srv.count("/a.png") != 0 || e.srv.count("/b.jpg") != 1 || e.srv.count("/d.webp") != 0 {
		t.Errorf("downloads: a %d b %d d %d", e.srv.count("/a.png"), e.srv.count("/b.jpg"), e.srv.count("/d.webp"))
	}
	e.wantIcons(".jpg", "image/jpeg")
	if err := e.u.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.u.Update(Request{UserID: 5, URL: e.srv.URL + "/d.webp", Replace: true}) // after Close: ignored
	if e.srv.count("/d.webp") != 0 {
		t.Error("closed updater fetched")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRedact(t *testing.T) {
	for raw, want := range map[string]string{
		"https://lms.example/avatar/7.png?token=abc#x": "https://lms.example/avatar/7.png",
		"https://user:pw@lms.example/a":                "https://lms.example/a",
		"http://[::1]:8080/p":                          "http://[::1]:8080/p",
	} {
		if got := Redact(raw); got != want {
			t.Errorf("Redact(%q) = %q", raw, got)
		}
	}
	if got := redactQueries(`redirect to http://x/y?token=abc not followed`); got != "redirect to http://x/y?… not followed" {
		t.Errorf("redactQueries: %q", got)
	}
}

// Checklist D34: schemes and addresses that must never be requested.
func TestOtherSchemesAndAddresses(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AllowHTTP = true })
	for _, raw := range []string{"file:///etc/passwd", "gopher://127.0.0.2:70/_x", "http://[::1]:1/a.png", "http://169.254.169.254/latest/meta-data/",
		"https://user:pw@" + strings.TrimPrefix(e.srv.URL, "http://") + "/a.png", "ftp://lms.example/a.png"} {
		out, err := e.u.Process(context.Background(), Request{UserID: student, URL: raw, Replace: true})
		if err != nil || out != Refused {
			t.Errorf("%s: %v %v", raw, out, err)
		}
	}
	if e.picture() != "0" || e.srv.count("/a.png") != 0 {
		t.Error("something was fetched")
	}
}

// Checklist D35: a certificate that does not verify is never trusted.
func TestInvalidCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(encodePNG(t, stripes(30, 30)))
	}))
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener.Close()
	srv.Listener = ln
	srv.StartTLS() // a certificate no system root signed
	defer srv.Close()
	e := newEnv(t)
	out, err := e.u.Process(context.Background(), Request{UserID: student, URL: srv.URL + "/a.png", Replace: true})
	if err != nil || out == Stored || !strings.Contains(e.log.String(), "certificate") {
		t.Errorf("%v %v; log:\n%s", out, err, e.log)
	}
	if e.picture() != "0" {
		t.Error("picture stored from an unverified server")
	}
}

// Stopping the service lets the running download finish; one that takes
// longer than the shutdown allows is cancelled and leaves nothing behind.
func TestCloseWaitsForTheRunningPicture(t *testing.T) {
	e := newEnv(t)
	e.u.Update(Request{UserID: student, URL: e.srv.URL + "/slow.png", Replace: true})
	waitFor(t, func() bool { return e.srv.count("/slow.png") == 1 })
	go func() {
		time.Sleep(200 * time.Millisecond)
		e.srv.release <- struct{}{}
	}()
	if err := e.u.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.wantIcons(".png", "image/png")

	e2 := newEnv(t)
	e2.u.Update(Request{UserID: student, URL: e2.srv.URL + "/slow.png", Replace: true})
	waitFor(t, func() bool { return e2.srv.count("/slow.png") == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := e2.u.Close(ctx); err == nil {
		t.Error("Close did not report the cancelled download")
	}
	if e2.picture() != "0" || e2.tdb.Count(t, "local_ltiprovider_picture", "userid = ?", student) != 0 {
		t.Error("a cancelled download left something")
	}
}

// Membership sync hands over a whole roster: Queue waits for room instead
// of dropping, and a command's Finish processes every queued picture
// before it returns (Close would drop them).
func TestQueueWaitsAndFinishProcessesQueued(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Workers, c.Queue = 1, 1 })
	ctx := context.Background()
	if err := e.u.Queue(ctx, Request{UserID: 2, URL: e.srv.URL + "/slow.png", Replace: true}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return e.srv.count("/slow.png") == 1 })
	if err := e.u.Queue(ctx, Request{UserID: student, URL: e.srv.URL + "/a.png", Replace: true}); err != nil {
		t.Fatal(err)
	}
	// The queue is full: user 4 waits, and gives up when its context ends.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := e.u.Queue(short, Request{UserID: 4, URL: e.srv.URL + "/c.gif", Replace: true}); err == nil {
		t.Fatal("Queue returned without room")
	}
	queued := make(chan error, 1)
	go func() { queued <- e.u.Queue(ctx, Request{UserID: 4, URL: e.srv.URL + "/c.gif", Replace: true}) }()
	e.srv.release <- struct{}{} // the slow picture ends, the worker takes the student's
	if err := <-queued; err != nil {
		t.Fatal(err)
	}
	if err := e.u.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.tdb.Count(t, "local_ltiprovider_picture", "userid IN (2, 3, 4) AND status = 0"); n != 3 {
		t.Fatalf("%d of 3 pictures stored after Finish; log:\n%s", n, e.log)
	}
	if strings.Contains(e.log.String(), "too many waiting") {
		t.Error("Queue dropped a picture")
	}
	if err := e.u.Queue(ctx, Request{UserID: 5, URL: e.srv.URL + "/d.webp"}); err == nil {
		t.Error("a finished updater took a picture")
	}
}
