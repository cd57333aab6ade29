package moodle

import (
	"fmt"
	"strconv"
)

// Version is the Moodle release a database belongs to.
type Version struct {
	Version int64  // config.version, e.g. 2024100706
	Release string // config.release, e.g. "4.5.6 (Build: 20250811)"
	Branch  int    // config.branch, e.g. 405
}

// SiteVersion reads the version records of core.
func SiteVersion(s *Site) Version {
	b, _ := strconv.Atoi(s.Get("branch"))
	return Version{Version: s.Int("version", 0), Release: s.Get("release"), Branch: b}
}

// Supported reports whether the service knows this Moodle: 4.1 to 4.5 and
// the 5.x series, whose tables the service writes are unchanged.
func (v Version) Supported() bool {
	return (v.Branch >= 401 && v.Branch <= 405) || (v.Branch >= 500 && v.Branch < 600)
}

func (v Version) String() string {
	if v.Release != "" {
		return fmt.Sprintf("Moodle %s (version %d)", v.Release, v.Version)
	}
	return fmt.Sprintf("Moodle version %d", v.Version)
}
