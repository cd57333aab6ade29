package outcomes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/netguard"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
)

// Target is where a user's result lives: the consumer's outcome service and
// the credentials to sign with.
type Target struct {
	URL         string // lis_outcome_service_url, used exactly as given
	ConsumerKey string
	Secret      string
}

// Client sends outcomes requests.
type Client struct {
	Guard *netguard.Guard
	// MaxResponse bounds the answer read; 0 means 64 KiB.
	MaxResponse int64
	// Now is the clock for oauth_timestamp; nil means time.Now.
	Now func() time.Time
	// UserAgent is sent with every request.
	UserAgent string
}

// Error is a failed request. Retryable says whether sending the same
// message again later can succeed.
type Error struct {
	Retryable bool
	// Status is the HTTP status, 0 when no answer arrived.
	Status int
	// RetryAfter is what the consumer asked to wait (Retry-After), 0 if
	// nothing.
	RetryAfter time.Duration
	// Msg explains the failure: the consumer's imsx_description when it
	// gave one. It never contains the secret or the signature.
	Msg string
	Err error
}

func (e *Error) Error() string { return "outcomes: " + e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// maxRetryAfter bounds a consumer's Retry-After, so a silly value cannot
// park a grade for months.
const maxRetryAfter = 24 * time.Hour

// Send delivers one message and returns the consumer's answer. A nil error
// means imsx_codeMajor was success (or processing). Otherwise the error is
// an *Error, or the context's error when ctx ended first.
func (c *Client) Send(ctx context.Context, t Target, m Message) (*Response, error) {
	if _, err := c.Guard.CheckURL(t.URL); err != nil {
		return nil, &Error{Msg: fmt.Sprintf("refused by the outbound guard: %v", err), Err: err}
	}
	body, err := m.Body()
	if err != nil {
		return nil, &Error{Msg: err.Error(), Err: err}
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	// A fresh nonce and timestamp for every attempt: consumers such as
	// Canvas refuse a nonce twice.
	params, err := oauth1.Outgoing{Method: http.MethodPost, URL: t.URL, ConsumerKey: t.ConsumerKey, Secret: t.Secret,
		Extra: oauth1.Params{{Key: "oauth_body_hash", Value: oauth1.BodyHash(body)}}, Timestamp: now().Unix()}.Sign()
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("cannot sign for %s: %v", redact(t.URL), err), Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("bad service URL %s", redact(t.URL)), Err: err}
	}
	req.Header.Set("Authorization", oauth1.AuthorizationHeader(params))
	req.Header.Set("Content-Type", "application/xml")
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	resp, err := c.Guard.Do(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, netguard.ErrBlocked) {
			return nil, &Error{Msg: fmt.Sprintf("refused by the outbound guard: %v", err), Err: err}
		}
		return nil, &Error{Retryable: true, Msg: fmt.Sprintf("no answer from %s: %v", hostOf(t.URL), err), Err: err}
	}
	max := c.MaxResponse
	if max == 0 {
		max = 64 << 10
	}
	raw, readErr := netguard.ReadBody(resp, max)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return classify(resp, raw, readErr, now())
}

// classify turns an HTTP answer into a Response or an *Error.
func classify(resp *http.Response, raw []byte, readErr error, now time.Time) (*Response, error) {
	status := resp.StatusCode
	var parsed *Response
	var parseErr error
	if readErr == nil {
		parsed, parseErr = ParseResponse(raw)
	}
	describe := func(prefix string) string {
		if parsed != nil && parsed.Description != "" {
			return prefix + ": " + clean(parsed.Description)
		}
		if readErr == nil && len(raw) > 0 {
			return prefix + ": " + clean(string(raw))
		}
		return prefix
	}
	switch {
	case status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500 ||
		(status == http.StatusForbidden && strings.Contains(strings.ToLower(string(raw)), "rate limit")):
		return nil, &Error{Retryable: true, Status: status, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now),
			Msg: describe(fmt.Sprintf("HTTP %d", status))}
	case status < 200 || status > 299:
		return nil, &Error{Status: status, Msg: describe(fmt.Sprintf("HTTP %d", status))}
	case readErr != nil:
		return nil, &Error{Retryable: true, Status: status, Msg: fmt.Sprintf("HTTP %d, answer not read: %v", status, readErr), Err: readErr}
	case parseErr != nil:
		return nil, &Error{Retryable: true, Status: status, Msg: fmt.Sprintf("HTTP %d, %v", status, parseErr), Err: parseErr}
	case !parsed.OK():
		msg := "the consumer answered " + clean(parsed.CodeMajor)
		if parsed.Description != "" {
			msg += ": " + clean(parsed.Description)
		}
		return parsed, &Error{Status: status, Msg: msg}
	}
	return parsed, nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	if d > maxRetryAfter {
		return maxRetryAfter
	}
	return d
}

// clean makes a consumer's text fit for a log line and the report: one
// line, printable, at most 500 characters.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len([]rune(s)) > 500 {
		s = string([]rune(s)[:500]) + "…"
	}
	return s
}

// hostOf returns the host of a URL for messages.
func hostOf(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			rest = rest[:j]
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = rest[at+1:]
		}
		return rest
	}
	return "?"
}

// redact shows a URL without its query, which may carry tokens.
func redact(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i]
	}
	return raw
}
