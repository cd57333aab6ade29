package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Client is what the service believes about the browser or consumer behind
// a request.
type Client struct {
	IP     string // the client's address
	Scheme string // "http" or "https" as the client used it
	Host   string // the Host the client used
}

// Proxies decides which peers' X-Forwarded-* headers to believe.
type Proxies []netip.Prefix

func (p Proxies) trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, n := range p {
		if n.Contains(addr) {
			return true
		}
	}
	return false
}

// TrustsPeer reports whether the direct peer of r is a trusted proxy.
func (p Proxies) TrustsPeer(r *http.Request) bool {
	peer, err := netip.ParseAddr(peerIP(r))
	return err == nil && p.trusted(peer)
}

// Resolve works out the client of r. X-Forwarded-For is read from the right,
// skipping trusted proxies, so a client cannot choose its address by sending
// the header itself.
func (p Proxies) Resolve(r *http.Request) Client {
	c := Client{IP: peerIP(r), Scheme: "http", Host: r.Host}
	if r.TLS != nil {
		c.Scheme = "https"
	}
	peer, err := netip.ParseAddr(c.IP)
	if err != nil || !p.trusted(peer) {
		return c
	}
	if fwd := r.Header.Values("X-Forwarded-For"); len(fwd) > 0 {
		hops := strings.Split(strings.Join(fwd, ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			c.IP = hop.Unmap().String()
			if !p.trusted(hop) {
				break
			}
		}
	}
	if proto := firstValue(r.Header.Get("X-Forwarded-Proto")); proto == "http" || proto == "https" {
		c.Scheme = proto
	}
	if host := firstValue(r.Header.Get("X-Forwarded-Host")); host != "" {
		c.Host = host
	}
	return c
}

func firstValue(h string) string {
	v, _, _ := strings.Cut(h, ",")
	return strings.ToLower(strings.TrimSpace(v))
}

func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().String()
	}
	return host
}
