package lti11

import "strings"

// Scope says which LIS vocabulary a role comes from.
type Scope int

const (
	// ScopeUnknown is a role of no vocabulary the service knows; it grants
	// nothing.
	ScopeUnknown Scope = iota
	// ScopeContext roles are the user's roles in the course (membership):
	// short names such as "Instructor", urn:lti:role:ims/lis/…, or LTI
	// 1.3's …/vocab/lis/v2/membership#….
	ScopeContext
	// ScopeInstitution roles are the user's roles in the institution
	// (urn:lti:instrole:ims/lis/…, …/vocab/lis/v2/institution/person#…).
	ScopeInstitution
	// ScopeSystem roles are the user's roles in the consumer system
	// (urn:lti:sysrole:ims/lis/…, …/vocab/lis/v2/system/person#…).
	ScopeSystem
)

// Role is one entry of the roles parameter.
type Role struct {
	Scope Scope
	// Name is the role ("Instructor", "Learner", "Administrator", …).
	Name string
	// Sub is the sub-role, if any ("TeachingAssistant" in
	// urn:lti:role:ims/lis/Instructor/TeachingAssistant).
	Sub string
	// Raw is the value as sent, trimmed.
	Raw string
}

// Roles is the parsed roles parameter.
type Roles []Role

// Vocabularies, lower-cased for matching. LTI 1.1 sends URNs; some
// consumers already send LTI 1.3's URIs.
var rolePrefixes = []struct {
	prefix string
	scope  Scope
	sep    byte // separates the sub-role
}{
	{"urn:lti:role:ims/lis/", ScopeContext, '/'},
	{"urn:lti:instrole:ims/lis/", ScopeInstitution, '/'},
	{"urn:lti:sysrole:ims/lis/", ScopeSystem, '/'},
	{"http://purl.imsglobal.org/vocab/lis/v2/membership#", ScopeContext, 0},
	{"http://purl.imsglobal.org/vocab/lis/v2/membership/", ScopeContext, '#'},
	{"http://purl.imsglobal.org/vocab/lis/v2/institution/person#", ScopeInstitution, 0},
	{"http://purl.imsglobal.org/vocab/lis/v2/system/person#", ScopeSystem, 0},
}

// ParseRole parses one role: a full URN or URI of a known vocabulary, or
// a short name, which LTI 1.1 allows for context roles only ("Instructor",
// "Instructor/TeachingAssistant"). Anything else is ScopeUnknown.
func ParseRole(raw string) Role {
	raw = strings.TrimSpace(raw)
	r := Role{Raw: raw}
	lower := strings.ToLower(raw)
	for _, p := range rolePrefixes {
		if !strings.HasPrefix(lower, p.prefix) {
			continue
		}
		rest := raw[len(p.prefix):]
		r.Scope = p.scope
		if p.sep != 0 {
			rest, r.Sub, _ = strings.Cut(rest, string(p.sep))
		}
		r.Name = rest
		if r.Name == "" || strings.ContainsAny(r.Name, ":/#") || strings.ContainsAny(r.Sub, ":/#") {
			return Role{Raw: raw}
		}
		return r
	}
	if raw == "" || strings.ContainsAny(raw, ":#") {
		return r // another vocabulary, e.g. urn:non:ims/something/Else
	}
	r.Scope = ScopeContext
	r.Name, r.Sub, _ = strings.Cut(raw, "/")
	if r.Name == "" || strings.Contains(r.Sub, "/") {
		return Role{Raw: raw}
	}
	return r
}

// ParseRoles parses the comma-separated roles parameter, skipping blanks.
func ParseRoles(s string) Roles {
	var rs Roles
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			rs = append(rs, ParseRole(part))
		}
	}
	return rs
}

// RoleOptions are the site's choices about roles.
type RoleOptions struct {
	// InstitutionAdminInstructor makes an institution or system
	// Administrator (or SysAdmin) an instructor in the course too.
	InstitutionAdminInstructor bool
}

// instructorContextRoles are the context roles that teach (the LIS staff
// roles, as Moodle's enrol_lti counts them, plus the context
// Administrator).
var instructorContextRoles = []string{"Instructor", "ContentDeveloper", "TeachingAssistant", "Administrator"}

// IsInstructor reports whether the roles make the user an instructor of the
// course: a context role Instructor, ContentDeveloper, TeachingAssistant or
// Administrator (with any sub-role), or, only when opts allow it, an
// institution or system Administrator/SysAdmin. Everything else, no role
// and unknown roles included, is a learner.
func (rs Roles) IsInstructor(opts RoleOptions) bool {
	for _, r := range rs {
		switch r.Scope {
		case ScopeContext:
			for _, name := range instructorContextRoles {
				if strings.EqualFold(r.Name, name) {
					return true
				}
			}
		case ScopeInstitution, ScopeSystem:
			if opts.InstitutionAdminInstructor && (strings.EqualFold(r.Name, "Administrator") || strings.EqualFold(r.Name, "SysAdmin")) {
				return true
			}
		}
	}
	return false
}

// Has reports whether the user has a role, named as the settings
// rolesallowedcreatecontexts and rolesallowedcreateresources name them. A
// short name ("Administrator", "Instructor") matches that role in any
// vocabulary (context, institution or system), with any sub-role; a full
// URN or URI matches that role in its own vocabulary only, and its
// sub-role if it has one. Names compare case-insensitively, whole names
// only: "Instructor" never matches "urn:…/Learner/Instructor"'s sub-role
// nor "NonInstructor".
func (rs Roles) Has(name string) bool {
	want := ParseRole(name)
	if want.Scope == ScopeUnknown {
		return false
	}
	qualified := strings.ContainsAny(strings.TrimSpace(name), ":#")
	for _, r := range rs {
		if r.Scope == ScopeUnknown || !strings.EqualFold(r.Name, want.Name) {
			continue
		}
		if !qualified {
			if want.Sub == "" || strings.EqualFold(r.Sub, want.Sub) {
				return true
			}
			continue
		}
		if r.Scope == want.Scope && (want.Sub == "" || strings.EqualFold(r.Sub, want.Sub)) {
			return true
		}
	}
	return false
}
