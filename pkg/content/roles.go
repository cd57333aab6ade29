package content

import "github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/lti11"

// RoleAllowed reports whether the launch's roles include one named in an
// allow-list setting (rolesallowedcreatecontexts,
// rolesallowedcreateresources), matched as the launch matches roles
// (lti11.Roles.Has): a short name matches that role in any vocabulary
// (context, institution, system; short names, LTI 1.1 URNs and LTI 1.3
// URIs), case-insensitively. The plugin compared raw strings, so URN roles
// never matched.
func RoleAllowed(allowed []string, roles string) bool {
	rs := lti11.ParseRoles(roles)
	for _, name := range allowed {
		if rs.Has(name) {
			return true
		}
	}
	return false
}
