package main

import (
	"bytes"
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
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// noSessions stands in for the session handoff: these launches are about
// which consumer keys a tool accepts.
type noSessions struct{}

func (noSessions) Name() string { return "test" }
func (noSessions) Login(_ context.Context, _ *database.Tx, req session.LoginRequest) (*session.Handoff, error) {
	return &session.Handoff{Redirect: req.Dest, SID: "sid"}, nil
}
func (noSessions) Destroy(context.Context, database.Querier, string) error { return nil }

func TestToolKeyCommands(t *testing.T) {
	db, tdb := testenv.DB(t)
	const www = "https://moodle.example"
	conn := []string{"--dsn", tdb.DSN(), "--db-prefix", tdb.Prefix, "--wwwroot", www, "--dataroot", t.TempDir()}
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		cmd := append([]string{args[0], args[1]}, conn...)
		code := run(context.Background(), append(cmd, args[2:]...), &out, &errb)
		return code, out.String(), errb.String()
	}
	tool := store.NewTool(3, 13, 3, 5, 1)
	if err := store.InsertTool(context.Background(), db, tool); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(tool.ID, 10)
	keys := func() string {
		var out []string
		for _, r := range tdb.Rows(t, "SELECT consumerkey FROM {local_ltiprovider_consumer} WHERE toolid = ? ORDER BY id", tool.ID) {
			out = append(out, fmt.Sprint(r["consumerkey"]))
		}
		return strings.Join(out, ",")
	}

	if code, out, _ := cli("tool", "keys", id); code != 0 || !strings.Contains(out, "has no consumer key: the next verified launch binds its key") {
		t.Errorf("keys of a new tool: %d %s", code, out)
	}
	if code, out, errs := cli("tool", "bind-key", id, " consumer-A "); code != 0 || !strings.Contains(out, `now accepts consumer key "consumer-A"`) ||
		!strings.Contains(out, "CONSUMER KEY") || keys() != "consumer-A" {
		t.Fatalf("bind-key: %d %s %s (%s)", code, out, errs, keys())
	}
	if code, out, _ := cli("tool", "bind-key", id, "consumer-A"); code != 0 || !strings.Contains(out, "already accepts") || keys() != "consumer-A" {
		t.Errorf("bind twice: %d %s", code, out)
	}
	if code, _, _ := cli("tool", "bind-key", id, "consumer-B"); code != 0 || keys() != "consumer-A,consumer-B" {
		t.Errorf("second key: %s", keys())
	}
	if code, out, _ := cli("tool", "show", id); code != 0 || !strings.Contains(out, "consumer key") || !strings.Contains(out, "consumer-B") {
		t.Errorf("show: %s", out)
	}
	// Refused: nothing changes.
	before := tdb.Snapshot(t)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"tool", "bind-key", id, "   "}, 1, "Enter the consumer key"},
		{[]string{"tool", "bind-key", id, "a\x1b[31mb"}, 1, "control characters"},
		{[]string{"tool", "bind-key", "999", "k"}, 1, "no tool 999"},
		{[]string{"tool", "unbind-key", id, "CONSUMER-A"}, 1, `consumer key "CONSUMER-A" is not bound to tool`},
		{[]string{"tool", "unbind-key", "999", "k"}, 1, "no tool 999"},
		{[]string{"tool", "bind-key", id}, 2, "give the tool id and one consumer key"},
		{[]string{"tool", "bind-key", id, "a", "b"}, 2, "give the tool id and one consumer key"},
		{[]string{"tool", "keys", "x"}, 2, `"x" is not a tool id`},
	} {
		code, _, errs := cli(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("%q: %d %s", tc.args, code, errs)
		}
	}
	tdb.AssertUnchanged(t, before)

	// What the commands bind is what launches accept.
	router := web.NewRouter()
	now := time.Now()
	launch.New(launch.Config{DB: db, WWWRoot: www, TimestampWindow: 5 * time.Minute, Sessions: noSessions{},
		Log: logging.Discard(), Now: func() time.Time { return now }, CacheTTL: time.Nanosecond}).Routes(router.PathPrefix(web.BasePath).Subrouter())
	n := 0
	accepted := func(key string) bool {
		t.Helper()
		n++
		q := "?id=" + id
		form := url.Values{"lti_message_type": {"basic-lti-launch-request"}, "lti_version": {"LTI-1p0"},
			"resource_link_id": {"link-1"}, "user_id": {"u" + strconv.Itoa(n)}, "roles": {"Learner"},
			"launch_presentation_return_url": {"https://lms.example/return"}}
		var extra oauth1.Params
		for k, vs := range form {
			extra = append(extra, oauth1.Param{Key: k, Value: vs[0]})
		}
		p, err := oauth1.Outgoing{Method: "POST", URL: www + launch.Path + q, ConsumerKey: key, Secret: tool.Secret, Extra: extra, Timestamp: now.Unix()}.Sign()
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
		loc := w.Header().Get("Location")
		switch {
		case w.Code == http.StatusSeeOther && strings.HasPrefix(loc, www+"/course/view.php?id=3"):
			return true
		case w.Code == http.StatusSeeOther && strings.Contains(loc, "lti_errormsg=This+consumer+key+is+not+accepted"):
			return false
		}
		t.Fatalf("launch with %q: %d %s", key, w.Code, loc)
		return false
	}
	if !accepted("consumer-A") || !accepted("consumer-B") || accepted("consumer-C") {
		t.Fatal("bound A and B")
	}
	if code, out, _ := cli("tool", "unbind-key", id, "consumer-A"); code != 0 || !strings.Contains(out, `no longer accepts consumer key "consumer-A"`) {
		t.Fatalf("unbind: %d %s", code, out)
	}
	if accepted("consumer-A") || !accepted("consumer-B") {
		t.Fatal("after unbinding A")
	}
	if code, out, _ := cli("tool", "unbind-key", id, "consumer-B"); code != 0 || !strings.Contains(out, "has no consumer key") {
		t.Fatalf("unbind last: %d %s", code, out)
	}
	if !accepted("consumer-C") || accepted("consumer-B") || keys() != "consumer-C" {
		t.Fatalf("rebinding after the last key: %s", keys())
	}
	// A key bound by a launch may hold anything: listing never sends its
	// control characters to the terminal.
	if err := store.BindConsumerKey(context.Background(), db, tool.ID, "evil\x1b]0;x\x07", now.Unix()); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := cli("tool", "keys", id); code != 0 || strings.Contains(out, "\x1b") || !strings.Contains(out, `"evil\x1b]0;x\a"`) {
		t.Errorf("keys with control characters: %q", out)
	}
}
