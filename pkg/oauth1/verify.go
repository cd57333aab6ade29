package oauth1

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Verification errors. They say what is wrong in words a consumer's
// administrator can act on, and never carry the expected signature or the
// base string (the plugin's "ours=…" oracle).
var (
	ErrMissing         = errors.New("oauth1: a required OAuth parameter is missing")
	ErrSignatureMethod = errors.New("oauth1: unsupported oauth_signature_method (use HMAC-SHA1)")
	ErrVersion         = errors.New("oauth1: unsupported oauth_version (use 1.0)")
	ErrTimestamp       = errors.New("oauth1: oauth_timestamp is not a valid time")
	ErrExpired         = errors.New("oauth1: oauth_timestamp is too far from the server's clock")
	ErrNonce           = errors.New("oauth1: oauth_nonce is missing or malformed")
	ErrReplay          = errors.New("oauth1: oauth_nonce was already used")
	ErrSignature       = errors.New("oauth1: the signature does not match")
	ErrBodyHash        = errors.New("oauth1: oauth_body_hash does not match the body")
)

// NonceStore remembers nonces so a signed request is accepted once.
type NonceStore interface {
	// Use records (consumerKey, nonce) until expires. It returns ErrReplay
	// if the pair is already recorded, atomically: of two concurrent calls
	// with the same pair exactly one succeeds.
	Use(ctx context.Context, consumerKey, nonce string, expires time.Time) error
}

// Verifier checks signed LTI 1.1 requests (RFC 5849 with LTI's rules).
type Verifier struct {
	// Window is how far oauth_timestamp may be from now, either way.
	Window time.Duration
	// Methods are the accepted signature methods; nil means HMAC-SHA1 and
	// HMAC-SHA256.
	Methods []string
	Nonces  NonceStore
	Now     func() time.Time
}

// Request is a signed request as received.
type Request struct {
	Method string
	// URL is the public URL the sender signed: Moodle's wwwroot, the path
	// and the query, never rebuilt from the Host header the service sees.
	URL string
	// Params are the form parameters plus the Authorization header's oauth_*
	// parameters.
	Params Params
	// Body and BodyHashRequired are for requests signed with
	// oauth_body_hash (Basic Outcomes); leave them empty for launches.
	Body             []byte
	BodyHashRequired bool
}

// Verify checks the request with the consumer's secret. The nonce is
// recorded only after the signature is good, so forged requests cannot use
// up the nonces of real ones.
func (v *Verifier) Verify(ctx context.Context, r Request, consumerSecret string) error {
	p := r.Params
	key, sig := p.Value("oauth_consumer_key"), p.Value("oauth_signature")
	nonce, ts := p.Value("oauth_nonce"), p.Value("oauth_timestamp")
	if key == "" || sig == "" || ts == "" {
		return ErrMissing
	}
	method, ok := p.Get("oauth_signature_method")
	if !ok || !v.accepts(method) {
		return ErrSignatureMethod
	}
	if ver, ok := p.Get("oauth_version"); ok && ver != "1.0" {
		return ErrVersion
	}
	stamped, err := v.checkTimestamp(ts)
	if err != nil {
		return err
	}
	if nonce == "" || len(nonce) > 255 {
		return ErrNonce
	}
	if r.BodyHashRequired {
		if !equal(p.Value("oauth_body_hash"), BodyHash(r.Body)) {
			return ErrBodyHash
		}
	}
	base, err := BaseString(r.Method, r.URL, p)
	if err != nil {
		return err
	}
	want, err := Sign(method, base, consumerSecret)
	if err != nil {
		return err
	}
	if !equal(want, sig) {
		return ErrSignature
	}
	if v.Nonces == nil {
		return fmt.Errorf("oauth1: verifier has no nonce store")
	}
	// The nonce is kept while its timestamp is acceptable, which lasts until
	// timestamp + window: for a timestamp ahead of the clock, longer than
	// now + window.
	keep := v.now()
	if stamped.After(keep) {
		keep = stamped
	}
	return v.Nonces.Use(ctx, key, nonce, keep.Add(v.Window+time.Minute))
}

func (v *Verifier) accepts(method string) bool {
	methods := v.Methods
	if methods == nil {
		methods = []string{HMACSHA1, HMACSHA256}
	}
	for _, m := range methods {
		if m == method {
			return true
		}
	}
	return false
}

// checkTimestamp accepts positive epoch seconds of at most 10 digits within
// the window, in the past or the future (a far-future timestamp would
// outlive its nonce), and returns the time they say.
func (v *Verifier) checkTimestamp(ts string) (time.Time, error) {
	if len(ts) > 10 {
		return time.Time{}, ErrTimestamp
	}
	for _, c := range ts {
		if c < '0' || c > '9' {
			return time.Time{}, ErrTimestamp
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, ErrTimestamp
	}
	stamped := time.Unix(n, 0)
	d := v.now().Sub(stamped)
	if d < 0 {
		d = -d
	}
	if d > v.Window {
		return time.Time{}, ErrExpired
	}
	return stamped, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}
