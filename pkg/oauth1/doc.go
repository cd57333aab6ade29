// Package oauth1 is OAuth 1.0a (RFC 5849) as LTI 1.1 uses it: signature
// base strings, HMAC-SHA1/SHA-256 signatures, the body hash of Basic
// Outcomes, verification of incoming launches and service calls (method,
// version, two-sided timestamp window, nonce replay, constant-time
// comparison) and signing of outgoing requests.
//
// The launch and services handlers verify with a Verifier; grade and
// membership sync sign with Outgoing. The package takes the public URL the
// sender signed as input and never looks at Host headers, SQL or Moodle:
// nonces are kept behind the NonceStore interface.
package oauth1
