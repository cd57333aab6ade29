package netguard

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	g := &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}
	for raw, ok := range map[string]bool{
		"https://lms.example.edu/mod/lti/service.php?x=1": true,
		"https://93.184.216.34/outcomes":                  true,
		"https://10.1.2.3/outcomes":                       true, // allowed network
		"http://10.1.2.3/outcomes":                        true, // http inside an allowed network
		"http://lms.example.edu/outcomes":                 false,
		"https://127.0.0.1/":                              false,
		"https://169.254.169.254/latest/meta-data":        false,
		"https://[::1]/":                                  false,
		"https://[::ffff:127.0.0.1]/":                     false,
		"https://10.2.0.1/":                               false,
		"https://192.168.1.1/":                            false,
		"https://[fd00::1]/":                              false,
		"https://0.0.0.0/":                                false,
		"file:///etc/passwd":                              false,
		"gopher://lms.example.edu/":                       false,
		"ftp://lms.example.edu/":                          false,
		"https://user:pw@lms.example.edu/":                false,
		"/relative/path":                                  false,
		"javascript:alert(1)":                             false,
	} {
		_, err := g.CheckURL(raw)
		if (err == nil) != ok {
			t.Errorf("%s: err %v, want allowed=%v", raw, err, ok)
		}
		if err != nil && !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: error %v is not ErrBlocked", raw, err)
		}
	}
	if _, err := (&Guard{AllowHTTP: true}).CheckURL("http://lms.example.edu/x"); err != nil {
		t.Errorf("allow_http: %v", err)
	}
}

// A host name that resolves to loopback passes CheckURL but is stopped when
// dialled: the guard checks the address really used.
func TestDialTimeCheck(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret") }))
	defer srv.Close()
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	g := &Guard{Transport: srv.Client().Transport.(*http.Transport)}
	req, _ := http.NewRequest("GET", url, nil)
	_, err := g.Do(context.Background(), req)
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("loopback by name: %v", err)
	}
	// The same server is reachable once an administrator allows it.
	g = &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
		Transport: srv.Client().Transport.(*http.Transport)}
	req, _ = http.NewRequest("GET", srv.URL, nil)
	resp, err := g.Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ReadBody(resp, 100)
	if string(b) != "secret" {
		t.Errorf("body %q", b)
	}
}

func TestRedirects(t *testing.T) {
	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	inner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer inner.Close()
	target := ""
	outer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusFound)
	}))
	defer outer.Close()

	get := func(g *Guard) error {
		req, _ := http.NewRequest("GET", outer.URL, nil)
		resp, err := g.Do(context.Background(), req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	target = inner.URL
	if err := get(&Guard{Allow: allow}); !errors.Is(err, ErrBlocked) {
		t.Errorf("redirect followed with MaxRedirects 0: %v", err)
	}
	if err := get(&Guard{Allow: allow, MaxRedirects: 2}); err != nil {
		t.Errorf("allowed redirect: %v", err)
	}
	target = "http://169.254.169.254/latest/meta-data/"
	if err := get(&Guard{Allow: allow, MaxRedirects: 2}); !errors.Is(err, ErrBlocked) {
		t.Errorf("redirect to metadata service: %v", err)
	}
}

func TestReadBodyLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 1000))
	}))
	defer srv.Close()
	g := &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	resp, err := g.Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadBody(resp, 999); !errors.Is(err, ErrTooLarge) {
		t.Errorf("got %v", err)
	}
}
