package outcomes_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/netguard"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes/outcomestest"
)

// loopback lets tests reach httptest servers, as an administrator lists a
// consumer on the same network.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func newClient() *outcomes.Client {
	return &outcomes.Client{Guard: &netguard.Guard{Allow: loopback, Timeout: 5 * time.Second}}
}

func TestSendReplaceReadDelete(t *testing.T) {
	c := outcomestest.New("consumer-A", "sidecarsecret1")
	defer c.Close()
	target := outcomes.Target{URL: c.URL, ConsumerKey: "consumer-A", Secret: "sidecarsecret1"}
	cl := newClient()
	ctx := context.Background()
	if _, err := cl.Send(ctx, target, outcomes.Message{Operation: outcomes.Replace, SourcedID: "src&1", Score: "0"}); err != nil {
		t.Fatal(err)
	}
	if s, ok := c.Result("src&1"); !ok || s != "0" {
		t.Fatalf("stored %q %v", s, ok)
	}
	r, err := cl.Send(ctx, target, outcomes.Message{Operation: outcomes.Read, SourcedID: "src&1"})
	if err != nil || r.Score != "0" || r.Description != "Result read" {
		t.Fatalf("read %+v %v", r, err)
	}
	if _, err := cl.Send(ctx, target, outcomes.Message{Operation: outcomes.Delete, SourcedID: "src&1"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Result("src&1"); ok {
		t.Fatal("not deleted")
	}
	// Every attempt carries a fresh nonce (the consumer refuses a reused one).
	log := c.Log()
	if len(log) != 3 || log[0].Nonce == log[1].Nonce || log[1].Nonce == log[2].Nonce || log[0].MessageID == log[1].MessageID {
		t.Fatalf("%+v", log)
	}
}

func TestWrongSecretIsTerminalWithConsumerMessage(t *testing.T) {
	c := outcomestest.New("consumer-A", "sidecarsecret1")
	defer c.Close()
	_, err := newClient().Send(context.Background(), outcomes.Target{URL: c.URL, ConsumerKey: "consumer-A", Secret: "wrong"},
		outcomes.Message{Operation: outcomes.Replace, SourcedID: "s", Score: "0.5"})
	var oe *outcomes.Error
	if !errors.As(err, &oe) || oe.Retryable || oe.Status != 200 || !strings.Contains(oe.Msg, "failure: Message signature not valid") {
		t.Fatalf("%#v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatal("secret in the error")
	}
}

func TestFaultClassification(t *testing.T) {
	c := outcomestest.New("k", "s")
	defer c.Close()
	target := outcomes.Target{URL: c.URL, ConsumerKey: "k", Secret: "s"}
	msg := outcomes.Message{Operation: outcomes.Replace, SourcedID: "s1", Score: "0.5"}
	date := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	cases := []struct {
		name       string
		fault      outcomestest.Fault
		retryable  bool
		retryAfter time.Duration // lower bound
		status     int
		msg        string
	}{
		{"429 seconds", outcomestest.Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}}, true, 7 * time.Second, 429, "HTTP 429"},
		{"503 date", outcomestest.Fault{Status: 503, Header: http.Header{"Retry-After": {date}}, Body: "Service Unavailable"}, true, 80 * time.Second, 503, "HTTP 503: Service Unavailable"},
		{"500 no header", outcomestest.Fault{Status: 500}, true, 0, 500, "HTTP 500"},
		{"canvas 403 rate limit", outcomestest.Fault{Status: 403, Body: "403 Forbidden (Rate Limit Exceeded)"}, true, 0, 403, "Rate Limit"},
		{"403", outcomestest.Fault{Status: 403, Body: "nope"}, false, 0, 403, "HTTP 403: nope"},
		{"404", outcomestest.Fault{Status: 404, Body: "<html>\n<h1>Not found</h1></html>"}, false, 0, 404, "HTTP 404: <html> <h1>Not found</h1></html>"},
		{"refused", outcomestest.Fault{Refuse: "User is not enrolled"}, false, 0, 200, "failure: User is not enrolled"},
		{"200 garbage", outcomestest.Fault{Status: 200, Body: "<html>login</html>"}, true, 0, 200, "not a POX response"},
		{"200 huge", outcomestest.Fault{Status: 200, Body: strings.Repeat("x", 70<<10)}, true, 0, 200, "too large"},
		{"dropped", outcomestest.Fault{Drop: true}, true, 0, 0, "no answer from 127.0.0.1"},
	}
	for _, tc := range cases {
		f := tc.fault
		c.SetFault(func(outcomestest.Request) *outcomestest.Fault { return &f })
		_, err := newClient().Send(context.Background(), target, msg)
		var oe *outcomes.Error
		if !errors.As(err, &oe) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if oe.Retryable != tc.retryable || oe.Status != tc.status || !strings.Contains(oe.Msg, tc.msg) ||
			oe.RetryAfter < tc.retryAfter || oe.RetryAfter > tc.retryAfter+15*time.Second {
			t.Errorf("%s: %+v", tc.name, oe)
		}
	}
}

// Checklist D34: loopback, link-local and private consumers are refused
// unless an administrator listed their network; nothing is sent.
func TestGuardRefusesInternalConsumers(t *testing.T) {
	c := outcomestest.New("k", "s")
	defer c.Close()
	cl := &outcomes.Client{Guard: &netguard.Guard{}}
	for _, u := range []string{c.URL, "http://169.254.169.254/latest/meta-data", "https://[::1]/x", "file:///etc/passwd", "gopher://x/"} {
		_, err := cl.Send(context.Background(), outcomes.Target{URL: u, ConsumerKey: "k", Secret: "s"},
			outcomes.Message{Operation: outcomes.Replace, SourcedID: "s1", Score: "1"})
		var oe *outcomes.Error
		if !errors.As(err, &oe) || oe.Retryable || !errors.Is(err, netguard.ErrBlocked) {
			t.Errorf("%s: %v", u, err)
		}
	}
	if len(c.Log()) != 0 {
		t.Fatalf("a request reached the consumer: %+v", c.Log())
	}
}

func TestContextCancelled(t *testing.T) {
	c := outcomestest.New("k", "s")
	defer c.Close()
	c.Latency = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := newClient().Send(ctx, outcomes.Target{URL: c.URL, ConsumerKey: "k", Secret: "s"},
		outcomes.Message{Operation: outcomes.Replace, SourcedID: "s1", Score: "1"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v", err)
	}
}

// The fake consumer answers exactly what Moodle answered.
func TestFakeConsumerAnswersLikeMoodle(t *testing.T) {
	raw, err := os.ReadFile("testdata/outcomes-replaceResult-ok.txt")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	want := s[strings.Index(s, "--- response\n")+len("--- response\n"):]
	want = want[:strings.Index(want, "\nHTTP ")]
	got := outcomestest.Response("success", "Grade replace response", "b4feb88d2ee7c36d", "replaceResultRequest", "<replaceResultResponse/>")
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

// Checklist D34: a consumer that redirects to an internal address is not
// followed (and nothing signed goes there).
func TestRedirectNotFollowed(t *testing.T) {
	c := outcomestest.New("k", "s")
	defer c.Close()
	c.SetFault(func(outcomestest.Request) *outcomestest.Fault {
		return &outcomestest.Fault{Status: http.StatusFound, Header: http.Header{"Location": {"http://169.254.169.254/latest/meta-data"}}}
	})
	_, err := newClient().Send(context.Background(), outcomes.Target{URL: c.URL, ConsumerKey: "k", Secret: "s"},
		outcomes.Message{Operation: outcomes.Replace, SourcedID: "s1", Score: "1"})
	var oe *outcomes.Error
	if !errors.As(err, &oe) || oe.Retryable || !errors.Is(err, netguard.ErrBlocked) || !strings.Contains(oe.Msg, "redirect") {
		t.Fatalf("%v", err)
	}
}
