package lti11

import (
	"errors"
	"net/url"
)

// MaxURLLen bounds a URL from a launch (return URL, service URLs) that the
// service will redirect to or store.
const MaxURLLen = 2048

// ErrURL: a URL from a launch is not an absolute http(s) URL.
var ErrURL = errors.New("lti11: not an absolute http(s) URL")

// ValidURL checks a URL taken from a launch: absolute, http or https, a
// host, no user name or password, no spaces, control characters or
// backslashes, not too long.
func ValidURL(raw string) (*url.URL, error) {
	if raw == "" || len(raw) > MaxURLLen {
		return nil, ErrURL
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return nil, ErrURL
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return nil, ErrURL
	}
	return u, nil
}

// ValidReturnURL checks a launch_presentation_return_url (ValidURL). Only
// a launch whose signature verified may be sent back there: before that
// the URL is the attacker's.
func ValidReturnURL(raw string) (*url.URL, error) { return ValidURL(raw) }

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
