package launch

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/filedir"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/picture"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// recordingPictures records what launches ask of the picture updater.
type recordingPictures struct {
	mu   sync.Mutex
	reqs []picture.Request
}

func (p *recordingPictures) Update(r picture.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = append(p.reqs, r)
}

func (p *recordingPictures) take() []picture.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.reqs
	p.reqs = nil
	return r
}

// Which picture a launch asks for, and whether it may replace one.
func TestPictureRequests(t *testing.T) {
	pics := &recordingPictures{}
	e := newEnv(t, func(c *Config) { c.Pictures = pics })
	if err := settings.Set(context.Background(), e.db, "userprofileupdate", "0"); err != nil { // never update profiles
		t.Fatal(err)
	}
	tool := e.courseTool()
	uid := func(u string) int64 { n, _ := strconv.ParseInt(e.userID("consumer-A", u), 10, 64); return n }

	// A new user: the picture may replace (there is none).
	e.wantRedirect(e.launch(tool, launchForm("1", "user_image", "https://lms.example/pix/1.png?rev=3")), "/course/view.php?id=3")
	if got := pics.take(); fmt.Sprint(got) != fmt.Sprint([]picture.Request{{UserID: uid("1"), URL: "https://lms.example/pix/1.png?rev=3", Replace: true}}) {
		t.Errorf("new user: %+v", got)
	}
	// The same user again, profile updates off: only if they have none.
	e.wantRedirect(e.launch(tool, launchForm("1", "user_image", "https://lms.example/pix/1.png?rev=4")), "/course/view.php?id=3")
	if got := pics.take(); len(got) != 1 || got[0].Replace {
		t.Errorf("returning user, updates off: %+v", got)
	}
	// Profile updates on: it may replace.
	if err := settings.Set(context.Background(), e.db, "userprofileupdate", "1"); err != nil {
		t.Fatal(err)
	}
	e.wantRedirect(e.launch(tool, launchForm("1", "user_image", "https://lms.example/pix/1.png?rev=5")), "/course/view.php?id=3")
	if got := pics.take(); len(got) != 1 || !got[0].Replace {
		t.Errorf("returning user, updates on: %+v", got)
	}
	// custom_user_image when user_image is absent; user_image wins.
	e.wantRedirect(e.launch(tool, launchForm("2", "custom_user_image", "https://lms.example/custom.jpg")), "/course/view.php?id=3")
	e.wantRedirect(e.launch(tool, launchForm("3", "custom_user_image", "https://lms.example/custom.jpg", "user_image", "https://lms.example/u.jpg")), "/course/view.php?id=3")
	if got := pics.take(); len(got) != 2 || got[0].URL != "https://lms.example/custom.jpg" || got[1].URL != "https://lms.example/u.jpg" {
		t.Errorf("custom_user_image: %+v", got)
	}
	// Base64-encoded launches are decoded first.
	form := launchForm("4")
	for k, vs := range form {
		if !base64Exempt(k) {
			form.Set(k, encodeB64(vs[0]))
		}
	}
	form.Set("custom_lti_message_encoded_base64", "1")
	form.Set("user_image", encodeB64("https://lms.example/b64.png"))
	e.wantRedirect(e.launch(tool, form), "/course/view.php?id=3")
	if got := pics.take(); len(got) != 1 || got[0].URL != "https://lms.example/b64.png" {
		t.Errorf("base64: %+v", got)
	}
	// Not an absolute http(s) URL, none, or a failed launch: no request.
	for _, bad := range []string{"javascript:alert(1)", "/pix/1.png", "file:///etc/passwd", "https://user:pw@lms.example/a.png", "https://lms.example/a b.png"} {
		e.wantRedirect(e.launch(tool, launchForm("5", "user_image", bad)), "/course/view.php?id=3")
	}
	e.wantRedirect(e.launch(tool, launchForm("6")), "/course/view.php?id=3")
	store.BindConsumerKey(context.Background(), e.db, tool.ID, "consumer-A", 1)
	e.wantConsumerError(e.launch(tool, launchForm("7", "oauth_consumer_key", "consumer-B", "user_image", "https://lms.example/x.png")),
		"https://lms.example/mod/lti/return.php", "not accepted")
	if got := pics.take(); len(got) != 0 {
		t.Errorf("requests for bad URLs or failed launches: %+v", got)
	}
}

func base64Exempt(k string) bool {
	switch k {
	case "lti_version", "lti_message_type", "oauth_consumer_key", "tool_consumer_instance_guid":
		return true
	}
	return false
}

// blockingPictures serves a PNG on 127.0.0.2 only once the test lets it.
type blockingPictures struct {
	srv     *httptest.Server
	arrived chan struct{}
	release chan struct{}
}

func newBlockingPictures(t *testing.T) *blockingPictures {
	b := &blockingPictures{arrived: make(chan struct{}, 10), release: make(chan struct{})}
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	img.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	png.Encode(&buf, img)
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metadata" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			return
		}
		b.arrived <- struct{}{}
		select {
		case <-b.release:
		case <-r.Context().Done():
			return
		}
		w.Write(buf.Bytes())
	}))
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	b.srv.Listener.Close()
	b.srv.Listener = ln
	b.srv.Start()
	t.Cleanup(b.srv.Close)
	return b
}

// With the real updater: the launch answers while the picture server has
// not answered yet; the picture arrives afterwards; a bad picture URL
// changes nothing of the launch.
func TestLaunchNeverWaitsForItsPicture(t *testing.T) {
	pics := newBlockingPictures(t)
	root := t.TempDir()
	pool := &filedir.Pool{Dir: filepath.Join(root, "filedir"), TrashDir: filepath.Join(root, "trashdir"), DirMode: filedir.DefaultDirMode, FileMode: filedir.DefaultFileMode}
	os.Mkdir(pool.Dir, 0o777)
	os.Mkdir(pool.TrashDir, 0o777)
	var updater *picture.Updater
	e := newEnv(t, func(c *Config) {
		updater = picture.New(picture.Config{DB: c.DB, Pool: pool, AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")},
			AllowHTTP: true, Timeout: 10 * time.Second, Log: logging.Discard()})
		c.Pictures = updater
	})
	t.Cleanup(func() { updater.Close(context.Background()) })
	tool := e.courseTool()

	e.wantRedirect(e.launch(tool, launchForm("1", "user_image", pics.srv.URL+"/me.png")), "/course/view.php?id=3")
	// The launch has answered; the picture server now gets the request and
	// holds it.
	<-pics.arrived
	uid := e.userID("consumer-A", "1")
	if p := e.row("SELECT picture FROM {user} WHERE id = ?", uid)["picture"]; p != "0" {
		t.Fatalf("picture set before it was downloaded: %v", p)
	}
	close(pics.release)
	deadline := time.Now().Add(20 * time.Second)
	for e.row("SELECT picture FROM {user} WHERE id = ?", uid)["picture"] == "0" {
		if time.Now().After(deadline) {
			t.Fatal("picture never stored")
		}
		time.Sleep(20 * time.Millisecond)
	}
	f1 := e.row("SELECT f.id, f.filename, f.contextid FROM {files} f JOIN {context} c ON c.id = f.contextid AND c.contextlevel = 30 AND c.instanceid = ? WHERE f.filename = 'f1.png'", uid)
	if f1["id"] != e.row("SELECT picture FROM {user} WHERE id = ?", uid)["picture"] {
		t.Errorf("user.picture is not the f1 row: %v", f1)
	}

	// A picture URL that leads to the cloud metadata address: the launch
	// is as any other, the picture is refused and recorded as such.
	before := e.tdb.Count(t, "user", "deleted = 0")
	e.wantRedirect(e.launch(tool, launchForm("2", "user_image", pics.srv.URL+"/metadata")), "/course/view.php?id=3")
	if e.tdb.Count(t, "user", "deleted = 0") != before+1 {
		t.Error("user not created")
	}
	uid2 := e.userID("consumer-A", "2")
	for e.tdb.Count(t, "local_ltiprovider_picture", "userid = ?", uid2) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("refusal never recorded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if row := e.row("SELECT status FROM {local_ltiprovider_picture} WHERE userid = ?", uid2); row["status"] != "1" {
		t.Errorf("status %v", row["status"])
	}
	if p := e.row("SELECT picture FROM {user} WHERE id = ?", uid2)["picture"]; p != "0" {
		t.Errorf("picture %v", p)
	}
}
