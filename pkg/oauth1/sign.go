package oauth1

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Outgoing is what the service needs to sign a request it sends (grade
// passback, membership reads) with a consumer's key and secret.
type Outgoing struct {
	Method      string
	URL         string // the exact service URL, query included
	ConsumerKey string
	Secret      string
	// Extra are signed parameters besides the oauth_* ones: the form fields
	// of a form POST, or oauth_body_hash for an XML body.
	Extra Params
	// Nonce and Timestamp are fresh for every attempt; zero values mean a
	// random nonce and the current time.
	Nonce     string
	Timestamp int64
}

// Sign returns the oauth_* parameters of the request, signature last, in
// the order Moodle's OAuth library writes them.
func (o Outgoing) Sign() (Params, error) {
	if o.Nonce == "" {
		o.Nonce = NewNonce()
	}
	if o.Timestamp == 0 {
		o.Timestamp = time.Now().Unix()
	}
	p := Params{
		{"oauth_version", "1.0"},
		{"oauth_nonce", o.Nonce},
		{"oauth_timestamp", strconv.FormatInt(o.Timestamp, 10)},
		{"oauth_consumer_key", o.ConsumerKey},
	}
	var form Params
	for _, e := range o.Extra {
		if strings.HasPrefix(e.Key, "oauth_") {
			p = append(p, e)
		} else {
			form = append(form, e)
		}
	}
	p = append(p, Param{"oauth_signature_method", HMACSHA1})
	base, err := BaseString(o.Method, o.URL, append(append(Params{}, p...), form...))
	if err != nil {
		return nil, err
	}
	sig, err := Sign(HMACSHA1, base, o.Secret)
	if err != nil {
		return nil, err
	}
	return append(p, Param{"oauth_signature", sig}), nil
}

// NewNonce returns 128 random bits as 32 hex characters.
func NewNonce() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("oauth1: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// AuthorizationHeader renders oauth_* parameters as an Authorization
// header value: OAuth realm="",name="value",… with RFC 3986 encoding.
func AuthorizationHeader(p Params) string {
	var b strings.Builder
	b.WriteString(`OAuth realm=""`)
	for _, kv := range p {
		b.WriteString(",")
		b.WriteString(Encode(kv.Key))
		b.WriteString(`="`)
		b.WriteString(Encode(kv.Value))
		b.WriteString(`"`)
	}
	return b.String()
}

// ErrBadHeader: the Authorization header is not an OAuth header.
var ErrBadHeader = errors.New("oauth1: malformed OAuth Authorization header")

// ParseAuthorization reads the parameters of an `OAuth …` Authorization
// header (RFC 5849 §3.5.1), decoding values; realm is dropped.
func ParseAuthorization(h string) (Params, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(h), "OAuth ")
	if !ok {
		return nil, ErrBadHeader
	}
	var p Params
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return nil, ErrBadHeader
		}
		key, err1 := decode(strings.TrimSpace(k))
		val, err2 := decode(v[1 : len(v)-1])
		if err1 != nil || err2 != nil {
			return nil, ErrBadHeader
		}
		if key != "realm" {
			p = append(p, Param{key, val})
		}
	}
	return p, nil
}

// decode undoes Encode (and tolerates unencoded characters).
func decode(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", ErrBadHeader
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", ErrBadHeader
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), nil
}
