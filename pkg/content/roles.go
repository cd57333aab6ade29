package content

import "strings"

// RoleAllowed reports whether one of the launch's roles is in an allow-list
// setting (rolesallowedcreatecontexts, rolesallowedcreateresources). Both
// sides are normalised, so short names ("Instructor"), LTI 1.1 URNs
// ("urn:lti:role:ims/lis/Instructor", institution and system roles too) and
// LTI 1.3 URIs match, case-insensitively and trimmed; the plugin compared
// the raw strings, so URN roles never matched.
func RoleAllowed(allowed []string, roles string) bool {
	want := map[string]bool{}
	for _, a := range allowed {
		if n := NormaliseRole(a); n != "" {
			want[n] = true
		}
	}
	for _, r := range strings.Split(roles, ",") {
		if n := NormaliseRole(r); n != "" && want[n] {
			return true
		}
	}
	return false
}

// rolePrefixes are the namespaces of LTI role names.
var rolePrefixes = []string{
	"urn:lti:role:ims/lis/", "urn:lti:instrole:ims/lis/", "urn:lti:sysrole:ims/lis/",
	"http://purl.imsglobal.org/vocab/lis/v2/membership#", "http://purl.imsglobal.org/vocab/lis/v2/membership/",
	"http://purl.imsglobal.org/vocab/lis/v2/institution/person#", "http://purl.imsglobal.org/vocab/lis/v2/system/person#",
}

// NormaliseRole reduces an LTI role to its lower-case base name:
// "urn:lti:role:ims/lis/Instructor/TeachingAssistant" → "instructor",
// "urn:lti:sysrole:ims/lis/SysAdmin" → "administrator".
func NormaliseRole(r string) string {
	r = strings.TrimSpace(r)
	lower := strings.ToLower(r)
	for _, p := range rolePrefixes {
		if strings.HasPrefix(lower, p) {
			lower = lower[len(p):]
			break
		}
	}
	if i := strings.IndexAny(lower, "/#"); i >= 0 {
		lower = lower[:i]
	}
	if lower == "sysadmin" {
		lower = "administrator"
	}
	return lower
}
