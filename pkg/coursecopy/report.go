package coursecopy

// Options says what a copy includes besides the content.
type Options struct {
	// UserData also copies what users did in the source: enrolments and
	// role assignments, group members, grades, completion, and the user
	// data of the modules that have it (forum discussions, choice answers,
	// assignment submissions and grades, glossary entries). Off by
	// default, as Moodle's own "Import" and activity duplication.
	UserData bool
}

// Report says what a copy did.
type Report struct {
	// Modules maps each copied course module id to its copy's id.
	Modules map[int64]int64 `json:"-"`
	// Skipped lists the course modules that were not copied, and why.
	Skipped []Skipped `json:"skipped"`
	// Warnings are things copied incompletely (a reference that could not
	// be carried over), in words for an administrator.
	Warnings []string `json:"warnings,omitempty"`
}

// Skipped is a course module a copy left out.
type Skipped struct {
	CMID    int64  `json:"cmid"`
	ModName string `json:"modname"`
	Reason  string `json:"reason"`
}

func (r *Report) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, sprintf(format, args...))
}
