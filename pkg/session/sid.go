package session

import "crypto/rand"

// sidAlphabet is PHP's for session.sid_bits_per_character = 5, the value
// PHP's shipped php.ini files set: ids look exactly like Moodle's own.
const sidAlphabet = "0123456789abcdefghijklmnopqrstuv"

// sidLength is PHP's shipped session.sid_length: 26 × 5 = 130 random bits.
const sidLength = 26

// newSID returns a session id made like PHP's, from crypto/rand.
func newSID() (string, error) {
	var b [sidLength]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = sidAlphabet[b[i]&31] // 32 divides 256: no bias
	}
	return string(b[:]), nil
}

// validSID reports whether PHP's files handler would accept sid
// (A-Z a-z 0-9 , - and at most 256 characters). Anything else from a
// cookie is ignored, so it can never reach a file name.
func validSID(sid string) bool {
	if sid == "" || len(sid) > 256 {
		return false
	}
	for i := 0; i < len(sid); i++ {
		c := sid[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ',' || c == '-') {
			return false
		}
	}
	return true
}
