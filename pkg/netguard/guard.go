package netguard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrBlocked is returned for a URL or address the guard refuses.
var ErrBlocked = errors.New("netguard: destination not allowed")

// ErrTooLarge is returned when a response exceeds its size limit.
var ErrTooLarge = errors.New("netguard: response too large")

// Guard decides where the service may connect and builds clients that obey.
type Guard struct {
	// Allow are networks reachable although not public (a consumer on the
	// same LAN); administrators list them in allow_networks.
	Allow []netip.Prefix
	// AllowHTTP permits plain http to public hosts. Plain http to an
	// allowed private network is always permitted.
	AllowHTTP bool
	// Timeout bounds a whole request; 0 means 15 s.
	Timeout time.Duration
	// MaxRedirects is how many redirects a client follows (each re-checked);
	// 0 means none, the right choice for signed requests.
	MaxRedirects int
	// Transport is for tests that serve TLS with their own CA; nil means a
	// default transport. Its DialContext is replaced by the guarded one.
	Transport *http.Transport

	once   sync.Once
	client *http.Client
}

// blocked are the ranges that are never public (RFC 6890 and friends).
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

// allowedAddr reports whether the service may connect to addr, and whether
// it is on an administrator-allowed network.
func (g *Guard) allowedAddr(addr netip.Addr) (ok, listed bool) {
	addr = addr.Unmap()
	for _, n := range g.Allow {
		if n.Contains(addr) {
			return true, true
		}
	}
	for _, n := range blocked {
		if n.Contains(addr) {
			return false, false
		}
	}
	return true, false
}

// CheckURL validates a URL before any request: scheme, credentials, and,
// when the host is an IP literal, its address. Host names are checked again
// at dial time against every address they resolve to.
func (g *Guard) CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not an absolute URL", ErrBlocked, truncate(raw))
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: URLs with credentials are refused", ErrBlocked)
	}
	host := u.Hostname()
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !g.AllowHTTP && !g.listedHost(host) {
			return nil, fmt.Errorf("%w: plain http to %s (allow it with allow_networks or allow_http)", ErrBlocked, host)
		}
	default:
		return nil, fmt.Errorf("%w: scheme %q", ErrBlocked, u.Scheme)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if ok, _ := g.allowedAddr(a); !ok {
			return nil, fmt.Errorf("%w: %s is not a public address", ErrBlocked, a)
		}
	}
	return u, nil
}

// listedHost reports whether host is an IP literal on an allowed network.
// (A host name's addresses are only known at dial time, where the guard
// checks them; plain http by name needs allow_http.)
func (g *Guard) listedHost(host string) bool {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	_, listed := g.allowedAddr(a)
	return listed
}

// control runs after DNS resolution, on the address about to be dialled.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	if ok, _ := g.allowedAddr(a); !ok {
		return fmt.Errorf("%w: %s is not a public address", ErrBlocked, a.Unmap())
	}
	return nil
}

// Client returns the guard's http.Client, built once so connections to a
// consumer are reused.
func (g *Guard) Client() *http.Client {
	g.once.Do(func() { g.client = g.newClient() })
	return g.client
}

func (g *Guard) newClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	var tr *http.Transport
	if g.Transport != nil {
		tr = g.Transport.Clone()
	} else {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	tr.Proxy = nil // a proxy would dial for us, past the guard
	tr.DialContext = dialer.DialContext
	tr.TLSHandshakeTimeout = 5 * time.Second
	tr.ResponseHeaderTimeout = 15 * time.Second
	tr.MaxIdleConnsPerHost = 8
	timeout := g.Timeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > g.MaxRedirects {
				return fmt.Errorf("%w: redirect to %s not followed", ErrBlocked, req.URL.Redacted())
			}
			_, err := g.CheckURL(req.URL.String())
			return err
		},
	}
}

// Do checks the URL, then sends the request with a guarded client.
func (g *Guard) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	if _, err := g.CheckURL(req.URL.String()); err != nil {
		return nil, err
	}
	return g.Client().Do(req.WithContext(ctx))
}

// ReadBody reads at most max bytes of a response body and closes it;
// longer bodies are ErrTooLarge.
func ReadBody(resp *http.Response, max int64) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, ErrTooLarge
	}
	return b, nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
