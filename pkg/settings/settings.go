package settings

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Plugin is the config_plugins.plugin value of every site setting, the
// plugin's own, so sites that ran it keep their settings.
const Plugin = "local_ltiprovider"

// Definition is one site setting as the plugin's settings.php declared it.
type Definition struct {
	Name    string
	Default string
	Help    string
	// Check validates a new value; nil accepts anything.
	Check func(string) error
}

// NameFormats are the choices of the three course-naming settings, by stored
// value (locallib.php local_ltiprovider_get_new_course_info).
var NameFormats = []string{"context_id", "context_title", "context_label",
	"consumer_key:context_id", "consumer_key:context_title", "consumer_key:context_label"}

// LTIRoles are the choices of the two "roles allowed" settings.
var LTIRoles = []string{"Student", "Faculty", "Member", "Learner", "Instructor", "Mentor", "Staff",
	"Alumni", "ProspectiveStudent", "Guest", "Other", "Administrator", "Observer", "None"}

// Definitions lists every site setting with its default.
//
// defaultauthmethod deliberately defaults to nologin where the plugin said
// manual: LTI users must never log in with a password, and nologin is the
// auth plugin Moodle made for exactly that.
var Definitions = []Definition{
	{Name: "globalsharedsecret", Default: "",
		Help: "Shared secret for services.php and for launches that create a course when no tool matches. Empty disables both."},
	{Name: "userprofileupdate", Default: "1", Check: intIn(-1, 1),
		Help: "Overwrite the user's profile from the launch: -1 the tool decides, 0 never, 1 always."},
	{Name: "defaultauthmethod", Default: "nologin", Check: notEmpty,
		Help: "Authentication plugin of users created by launches."},
	{Name: "fullnameformat", Default: "1", Check: intIn(0, len(NameFormats)-1),
		Help: "Full name of courses created from a launch: " + choices(NameFormats) + "."},
	{Name: "shortnameformat", Default: "2", Check: intIn(0, len(NameFormats)-1),
		Help: "Short name of courses created from a launch (same choices)."},
	{Name: "idnumberformat", Default: "0", Check: intIn(0, len(NameFormats)-1),
		Help: "ID number of courses created from a launch, also used to find the course of a launch by context_id (same choices)."},
	{Name: "duplicatecourseswithoutusers", Default: "0", Check: intIn(0, 1),
		Help: "After copying a template course, keep only its creator enrolled and remove its groups."},
	{Name: "rolesallowedcreatecontexts", Default: "Administrator", Check: roleList,
		Help: "LTI roles (comma-separated) that may create a course from a launch."},
	{Name: "rolesallowedcreateresources", Default: "Administrator", Check: roleList,
		Help: "LTI roles (comma-separated) that may create an activity from a launch."},
	{Name: "institutionadmininstructor", Default: "0", Check: intIn(0, 1),
		Help: "Treat an institution or system Administrator role (urn:lti:instrole:ims/lis/Administrator, urn:lti:sysrole:ims/lis/Administrator, SysAdmin) as a course instructor when the launch has no instructor context role."},
}

// Site is the site settings, typed.
type Site struct {
	GlobalSharedSecret           string
	UserProfileUpdate            int // -1 delegate to the tool, 0 never, 1 always
	DefaultAuthMethod            string
	FullnameFormat               int
	ShortnameFormat              int
	IdnumberFormat               int
	DuplicateCoursesWithoutUsers bool
	RolesAllowedCreateContexts   []string
	RolesAllowedCreateResources  []string
	// InstitutionAdminInstructor makes an institution or system
	// Administrator an instructor in the course; by default only context
	// roles count.
	InstitutionAdminInstructor bool
	// Raw holds every stored value by name, including ones added later.
	Raw map[string]string
}

// Load reads the site settings; absent ones take their default.
func Load(ctx context.Context, q database.Querier) (*Site, error) {
	var rows []struct {
		Name  string `db:"name"`
		Value string `db:"value"`
	}
	if err := q.Select(ctx, &rows, "SELECT name, value FROM {config_plugins} WHERE plugin = ?", Plugin); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	raw := map[string]string{}
	for _, d := range Definitions {
		raw[d.Name] = d.Default
	}
	for _, r := range rows {
		raw[r.Name] = r.Value
	}
	s := &Site{
		GlobalSharedSecret:           strings.TrimSpace(raw["globalsharedsecret"]),
		UserProfileUpdate:            atoi(raw["userprofileupdate"], 1),
		DefaultAuthMethod:            raw["defaultauthmethod"],
		FullnameFormat:               atoi(raw["fullnameformat"], 1),
		ShortnameFormat:              atoi(raw["shortnameformat"], 2),
		IdnumberFormat:               atoi(raw["idnumberformat"], 0),
		DuplicateCoursesWithoutUsers: raw["duplicatecourseswithoutusers"] == "1",
		RolesAllowedCreateContexts:   SplitList(raw["rolesallowedcreatecontexts"]),
		RolesAllowedCreateResources:  SplitList(raw["rolesallowedcreateresources"]),
		InstitutionAdminInstructor:   raw["institutionadmininstructor"] == "1",
		Raw:                          raw,
	}
	if s.DefaultAuthMethod == "" {
		s.DefaultAuthMethod = "nologin" // the plugin's fallback for an empty value
	}
	return s, nil
}

// EnsureDefaults writes the default of every setting that has no row yet and
// returns the names it wrote. Existing values are never changed, and a site
// with every setting is not touched at all (not even its AUTO_INCREMENT).
func EnsureDefaults(ctx context.Context, q database.Querier) ([]string, error) {
	var present []string
	if err := q.Select(ctx, &present, "SELECT name FROM {config_plugins} WHERE plugin = ?", Plugin); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	have := map[string]bool{}
	for _, n := range present {
		have[n] = true
	}
	var written []string
	for _, d := range Definitions {
		if have[d.Name] {
			continue
		}
		_, err := q.Exec(ctx, "INSERT INTO {config_plugins} (plugin, name, value) VALUES (?, ?, ?)", Plugin, d.Name, d.Default)
		switch {
		case errors.Is(err, database.ErrDuplicate):
			// Another replica wrote it first; its value stands.
		case err != nil:
			return written, fmt.Errorf("settings: writing default of %s: %w", d.Name, err)
		default:
			written = append(written, d.Name)
		}
	}
	return written, nil
}

// Set validates and stores one setting, as Moodle's admin page would.
func Set(ctx context.Context, q database.Querier, name, value string) error {
	d, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("settings: unknown setting %q", name)
	}
	if d.Check != nil {
		if err := d.Check(value); err != nil {
			return fmt.Errorf("settings: %s: %w", name, err)
		}
	}
	_, err := q.Exec(ctx, "INSERT INTO {config_plugins} (plugin, name, value) VALUES (?, ?, ?) "+
		"ON DUPLICATE KEY UPDATE value = VALUES(value)", Plugin, name, value)
	return err
}

// Lookup finds a setting's definition.
func Lookup(name string) (Definition, bool) {
	for _, d := range Definitions {
		if d.Name == name {
			return d, true
		}
	}
	return Definition{}, false
}

// SplitList splits a comma-separated setting, trimming blanks.
func SplitList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func atoi(s string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return def
	}
	return n
}

func intIn(lo, hi int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%q must be a whole number from %d to %d", v, lo, hi)
		}
		return nil
	}
}

func notEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("must not be empty")
	}
	return nil
}

func roleList(v string) error {
	for _, r := range SplitList(v) {
		known := false
		for _, k := range LTIRoles {
			if strings.EqualFold(r, k) {
				known = true
			}
		}
		if !known {
			return fmt.Errorf("%q is not one of %s", r, strings.Join(LTIRoles, ", "))
		}
	}
	return nil
}

func choices(list []string) string {
	parts := make([]string, len(list))
	for i, c := range list {
		parts[i] = strconv.Itoa(i) + " " + c
	}
	return strings.Join(parts, ", ")
}
