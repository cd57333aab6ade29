package picture

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/netguard"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/version"
)

// fetchError is a failed download, and whether trying the same URL again
// later might work.
type fetchError struct {
	reason    string
	transient bool
}

func (e *fetchError) Error() string { return e.reason }

// fetch downloads a picture through the guard: public addresses only
// (checked again after DNS and on every redirect), bounded time and size.
func (u *Updater) fetch(ctx context.Context, raw string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, &fetchError{reason: "not a valid URL"}
	}
	req.Header.Set("Accept", "image/png, image/jpeg, image/gif, image/webp;q=0.9, */*;q=0.1")
	req.Header.Set("User-Agent", "moodle-ltiprovider/"+version.Version)
	resp, err := u.guard.Do(ctx, req)
	if err != nil {
		return nil, describe(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		transient := resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests
		return nil, &fetchError{reason: "HTTP status " + strconv.Itoa(resp.StatusCode), transient: transient}
	}
	if resp.ContentLength > u.maxBytes {
		return nil, &fetchError{reason: fmt.Sprintf("larger than %d bytes (Content-Length %d)", u.maxBytes, resp.ContentLength)}
	}
	body, err := netguard.ReadBody(resp, u.maxBytes)
	if err != nil {
		return nil, describe(err)
	}
	return body, nil
}

// describe turns a transport error into words for the log, without the
// URL (its query string may hold a token).
func describe(err error) *fetchError {
	switch {
	case errors.Is(err, netguard.ErrBlocked):
		return &fetchError{reason: redactQueries(unwrapURLError(err).Error())}
	case errors.Is(err, netguard.ErrTooLarge):
		return &fetchError{reason: "larger than the size limit"}
	case errors.Is(err, context.DeadlineExceeded):
		return &fetchError{reason: "timed out", transient: true}
	case errors.Is(err, context.Canceled):
		return &fetchError{reason: "cancelled (the service is stopping)", transient: true}
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return &fetchError{reason: "timed out", transient: true}
	}
	return &fetchError{reason: redactQueries(unwrapURLError(err).Error()), transient: true}
}

// unwrapURLError drops the *url.Error wrapper, which names the whole URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

var queryRE = regexp.MustCompile(`\?[^\s"']*`)

// redactQueries removes query strings from a message that may quote a URL
// (a refused redirect names its target).
func redactQueries(s string) string { return queryRE.ReplaceAllString(s, "?…") }

// Redact is a URL as the log may show it: scheme, host and path, without
// credentials, query or fragment.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
