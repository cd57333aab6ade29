package launch

import (
	"errors"
	"net/http"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
)

// failure is why a launch stops: what the browser is told, and whether the
// launch was authentic enough to send the user back to the consumer.
type failure struct {
	status int
	title  string
	msg    string // for the user: no internals, no signatures
	// authentic: the signature verified, so the consumer's return URL may
	// receive the message.
	authentic bool
	cause     error // for the log only
}

func (f *failure) Error() string { return f.msg }

// pageError is a failure before the signature verified.
func pageError(status int, title, msg string) *failure {
	return &failure{status: status, title: title, msg: msg}
}

// consumerError is a failure of an authentic launch.
func consumerError(status int, msg string) *failure {
	return &failure{status: status, title: "The launch cannot continue", msg: msg, authentic: true}
}

// internalError is a failure of the service itself.
func internalError(cause error, authentic bool) *failure {
	return &failure{status: http.StatusInternalServerError, title: "Something went wrong",
		msg:       "The launch could not be completed because of a problem on this site. Please try again, or give the reference below to the site administrator.",
		authentic: authentic, cause: cause}
}

// verificationFailure says why a signature check failed, in words the
// consumer's administrator can act on, never with the expected signature
// or the base string.
func verificationFailure(err error) *failure {
	msg := "The launch could not be verified."
	switch {
	case errors.Is(err, oauth1.ErrSignature):
		msg = "The launch could not be verified: its signature does not match. Check the consumer key and shared secret set for this tool in your course."
	case errors.Is(err, oauth1.ErrExpired):
		msg = "The launch could not be verified: it is too old, or the clock of the sending site is wrong. Please start it again from your course."
	case errors.Is(err, oauth1.ErrReplay):
		msg = "This launch was already used. Please start it again from your course."
	case errors.Is(err, oauth1.ErrSignatureMethod):
		msg = "The launch could not be verified: only HMAC-SHA1 and HMAC-SHA256 signatures are accepted."
	case errors.Is(err, oauth1.ErrVersion):
		msg = "The launch could not be verified: only OAuth version 1.0 is accepted."
	case errors.Is(err, oauth1.ErrTimestamp):
		msg = "The launch could not be verified: its oauth_timestamp is not a valid time."
	case errors.Is(err, oauth1.ErrNonce):
		msg = "The launch could not be verified: its oauth_nonce is missing or malformed."
	case errors.Is(err, oauth1.ErrMissing), errors.Is(err, oauth1.ErrBadHeader):
		msg = "The launch could not be verified: OAuth parameters are missing or malformed."
	}
	return &failure{status: http.StatusUnauthorized, title: "Launch refused", msg: msg, cause: err}
}
