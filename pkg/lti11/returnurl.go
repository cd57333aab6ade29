package lti11

import (
	"errors"
	"net/url"
	"strings"
)

// MaxReturnURLLen bounds a launch_presentation_return_url the service will
// redirect to or store.
const MaxReturnURLLen = 2048

// ErrReturnURL: the return URL is not an absolute http(s) URL.
var ErrReturnURL = errors.New("lti11: launch_presentation_return_url is not an absolute http(s) URL")

// ValidReturnURL checks a launch_presentation_return_url: absolute, http
// or https, a host, no user name or password, no control characters, not
// too long. Only a launch whose signature verified may be sent back there:
// before that the URL is the attacker's.
func ValidReturnURL(raw string) (*url.URL, error) {
	if raw == "" || len(raw) > MaxReturnURLLen || strings.ContainsAny(raw, "\x00\r\n\t\\") {
		return nil, ErrReturnURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return nil, ErrReturnURL
	}
	return u, nil
}

// ErrorReturnURL is the consumer's return URL with lti_errormsg set to msg
// (the LTI 1.1 way to report a failed launch to the consumer), keeping the
// URL's own query parameters.
func ErrorReturnURL(returnURL, msg string) (string, error) {
	u, err := ValidReturnURL(returnURL)
	if err != nil {
		return "", err
	}
	// Appended to the query as sent, which the consumer may need intact.
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += "lti_errormsg=" + url.QueryEscape(msg)
	return u.String(), nil
}
