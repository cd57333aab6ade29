package moodle

import (
	"regexp"
	"strings"
)

// emailPattern is an ASCII dot-atom address with a dotted host name, the
// addresses PHP's FILTER_VALIDATE_EMAIL (behind Moodle's validate_email())
// accepts in practice. Quoted local parts and address literals, which it
// also allows, are refused here.
var emailPattern = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*" +
	`@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// CleanEmail is clean_param($email, PARAM_EMAIL): the address if it is
// valid (and fits the user table's email column), else "".
func CleanEmail(email string) string {
	if len(email) > MaxEmailLen || strings.ContainsAny(email, "<>") {
		return ""
	}
	local, _, _ := strings.Cut(email, "@")
	if len(local) > 64 || !emailPattern.MatchString(email) {
		return ""
	}
	return email
}
