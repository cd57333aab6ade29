package oauth1

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"net"
	"net/url"
	"sort"
	"strings"
)

// Param is one request parameter. OAuth signs every occurrence of a name,
// so parameters are a list, not a map.
type Param struct {
	Key   string
	Value string
}

// Params is an ordered list of parameters.
type Params []Param

// Get returns the first value of key and whether it is present.
func (p Params) Get(key string) (string, bool) {
	for _, kv := range p {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// Value returns the first value of key, "" when absent.
func (p Params) Value(key string) string {
	v, _ := p.Get(key)
	return v
}

// FromValues turns url.Values into Params (sorted by key, for stable order).
func FromValues(v url.Values) Params {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var p Params
	for _, k := range keys {
		for _, val := range v[k] {
			p = append(p, Param{k, val})
		}
	}
	return p
}

// Signature methods the service accepts and uses.
const (
	HMACSHA1   = "HMAC-SHA1"
	HMACSHA256 = "HMAC-SHA256"
)

// Encode percent-encodes s as RFC 5849 §3.6 requires: unreserved characters
// stay, every other byte becomes %XX with upper-case hex (a space is %20).
func Encode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// ErrBadURL: the request URL cannot be used for a signature base string.
var ErrBadURL = errors.New("oauth1: bad request URL")

// BaseString builds the signature base string (RFC 5849 §3.4.1) of a
// request: rawURL is the URL the sender used, query included; params are
// the form and Authorization-header parameters. The query parameters are
// added to them, oauth_signature and realm are left out.
func BaseString(method, rawURL string, params Params) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", ErrBadURL
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return "", ErrBadURL
	}

	type pair struct{ k, v string }
	var pairs []pair
	for _, p := range append(FromValues(query), params...) {
		if p.Key == "oauth_signature" || p.Key == "realm" {
			continue
		}
		pairs = append(pairs, pair{Encode(p.Key), Encode(p.Value)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var norm strings.Builder
	for i, p := range pairs {
		if i > 0 {
			norm.WriteByte('&')
		}
		norm.WriteString(p.k)
		norm.WriteByte('=')
		norm.WriteString(p.v)
	}
	return strings.ToUpper(method) + "&" + Encode(scheme+"://"+host+path) + "&" + Encode(norm.String()), nil
}

// Sign returns the base64 HMAC signature of a base string. LTI has no
// token, so the key is the encoded consumer secret followed by "&".
func Sign(signatureMethod, base, consumerSecret string) (string, error) {
	var h func() hash.Hash
	switch signatureMethod {
	case HMACSHA1:
		h = sha1.New
	case HMACSHA256:
		h = sha256.New
	default:
		return "", ErrSignatureMethod
	}
	mac := hmac.New(h, []byte(Encode(consumerSecret)+"&"))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// BodyHash is the oauth_body_hash of a request body: base64(SHA-1(body)).
func BodyHash(body []byte) string {
	sum := sha1.Sum(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// equal compares two signatures in constant time.
func equal(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}
