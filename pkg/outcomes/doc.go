// Package outcomes is the sending side of LTI 1.1 Basic Outcomes: the POX
// messages replaceResult, readResult and deleteResult, built with every
// value escaped and a unique message identifier; their OAuth signature with
// oauth_body_hash (a fresh nonce and timestamp for every attempt); the
// request, made only through netguard; and the consumer's answer, read with
// a size limit and without entity expansion, judged by imsx_codeMajor alone.
//
// Errors say whether retrying can help (network errors, 5xx, 429, unreadable
// answers) or not (the consumer refused), and carry the consumer's own
// description. Grade sync (pkg/gradesync) decides when to retry; this package
// knows the protocol, not the queue, SQL or Moodle.
package outcomes
