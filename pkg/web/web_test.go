package web

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
)

var loopback = Proxies{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}

func TestResolveBelievesOnlyTrustedProxies(t *testing.T) {
	tests := []struct {
		name               string
		remote             string
		xff, proto, host   string
		wantIP, wantScheme string
		wantHost           string
	}{
		{"direct client ignored headers", "203.0.113.5:4000", "198.51.100.1", "https", "evil.example",
			"203.0.113.5", "http", "moodle.example"},
		{"trusted proxy", "127.0.0.1:5000", "198.51.100.1", "https", "Moodle.Example:8443",
			"198.51.100.1", "https", "moodle.example:8443"},
		{"spoofed left hop skipped", "127.0.0.1:5000", "6.6.6.6, 198.51.100.1", "", "",
			"198.51.100.1", "http", "moodle.example"},
		{"chain of trusted proxies", "127.0.0.1:5000", "198.51.100.1, 10.1.2.3", "https", "",
			"198.51.100.1", "https", "moodle.example"},
		{"garbage proto ignored", "127.0.0.1:5000", "", "gopher", "", "127.0.0.1", "http", "moodle.example"},
		{"ipv4-mapped peer", "[::ffff:127.0.0.1]:5000", "198.51.100.9", "", "", "198.51.100.9", "http", "moodle.example"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/local/ltiprovider/tool.php", nil)
			r.Host = "moodle.example"
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			if tc.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.host != "" {
				r.Header.Set("X-Forwarded-Host", tc.host)
			}
			c := loopback.Resolve(r)
			if c.IP != tc.wantIP || c.Scheme != tc.wantScheme || c.Host != tc.wantHost {
				t.Errorf("got %+v, want ip %s scheme %s host %s", c, tc.wantIP, tc.wantScheme, tc.wantHost)
			}
		})
	}
}

func TestMiddlewareRecoversWithoutLeaking(t *testing.T) {
	var logs bytes.Buffer
	log, _ := logging.New(&logs, "text", "info")
	h := Middleware(log, loopback)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("secret detail <script>")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/local/ltiprovider/x", nil))
	if rec.Code != 500 {
		t.Fatalf("status %d", rec.Code)
	}
	body := rec.Body.String()
	if strings.Contains(body, "secret detail") || strings.Contains(body, "goroutine") {
		t.Errorf("panic details reached the client: %s", body)
	}
	id := rec.Header().Get("X-Request-Id")
	if id == "" || !strings.Contains(body, id) {
		t.Errorf("request id %q not shown in body", id)
	}
	if !strings.Contains(logs.String(), "secret detail") || !strings.Contains(logs.String(), "request_id="+id) {
		t.Errorf("panic not logged with request id: %s", logs.String())
	}
}

func TestRequestIDFromTrustedProxyOnly(t *testing.T) {
	h := Middleware(logging.Discard(), loopback)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, tc := range []struct {
		remote, id string
		keep       bool
	}{
		{"127.0.0.1:1", "proxy-id-1", true},
		{"203.0.113.5:1", "client-chosen", false},
		{"127.0.0.1:1", "bad id\nwith newline", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		r.Header.Set("X-Request-Id", tc.id)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if got := rec.Header().Get("X-Request-Id"); (got == tc.id) != tc.keep {
			t.Errorf("remote %s id %q: got %q", tc.remote, tc.id, got)
		}
	}
}

func TestErrorPageEscapes(t *testing.T) {
	rec := httptest.NewRecorder()
	ErrorPage(rec, httptest.NewRequest("GET", "/", nil), 400, `<b>"x"</b>`, `<script>alert(1)</script>`)
	if strings.Contains(rec.Body.String(), "<script>alert") || strings.Contains(rec.Body.String(), "<b>") {
		t.Errorf("not escaped: %s", rec.Body.String())
	}
}

type fakeDB struct{ err error }

func (f fakeDB) Ping(context.Context) error { return f.err }

func TestHealth(t *testing.T) {
	rec := httptest.NewRecorder()
	Health(fakeDB{}, logging.Discard()).ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ok"`) {
		t.Errorf("healthy: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	Health(fakeDB{errors.New("dial tcp: password=hunter2")}, slog.New(slog.DiscardHandler)).ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 503 || strings.Contains(rec.Body.String(), "hunter2") {
		t.Errorf("unhealthy: %d %s", rec.Code, rec.Body)
	}
}

func TestStripSitePath(t *testing.T) {
	var got string
	h := StripSitePath("/moodle", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.URL.Path }))
	for in, want := range map[string]string{
		"/moodle/local/ltiprovider/tool.php": "/local/ltiprovider/tool.php",
		"/local/ltiprovider/tool.php":        "/local/ltiprovider/tool.php",
		"/moodle/other":                      "/moodle/other",
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", in, nil))
		if got != want {
			t.Errorf("%s → %s, want %s", in, got, want)
		}
	}
}
