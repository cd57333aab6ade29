package manage

import (
	"database/sql"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Kind is how a field's text is read.
type Kind int

const (
	Bool Kind = iota
	Int
	Text
	Date     // YYYY-MM-DD in the site's time zone, or empty for none
	Duration // seconds, or a number with d, h, m, w or s
	ContextChoice
	RoleChoice
	Choice // one of Options
)

// Field is one editable setting of a tool, named like its column.
type Field struct {
	Name    string
	Kind    Kind
	Label   string // the plugin form's label
	Help    string
	Options []Option // for Choice
	MaxLen  int      // for Text, in characters
}

// Option is one choice of a Choice field.
type Option struct {
	Value string
	Label string
}

// SyncPeriods are the choices of syncperiod (edit_form.php).
var SyncPeriods = []Option{{"1800", "30 minutes"}, {"3600", "1 hour"}, {"7200", "2 hours"},
	{"21600", "6 hours"}, {"43200", "12 hours"}, {"86400", "24 hours"}}

// SyncModes are the choices of syncmode.
var SyncModes = []Option{{"1", "Enrol new and unenrol missing members"}, {"2", "Enrol new members"}, {"3", "Unenrol missing members"}}

// MailDisplays are the choices of maildisplay.
var MailDisplays = []Option{{"0", "Hide my email address from non-privileged users"},
	{"1", "Allow everyone to see my email address"}, {"2", "Allow only other course members to see my email address"}}

// ProfileUpdates are the tool-level choices of userprofileupdate.
var ProfileUpdates = []Option{{"0", "Never"}, {"1", "Always"}}

// Fields lists the editable settings in the order of the plugin's form.
var Fields = []Field{
	{Name: "contextid", Kind: ContextChoice, Label: "Tool to be provided", Help: "the whole course, or one of its activities"},
	{Name: "forcenavigation", Kind: Bool, Label: "Force course or activity navigation", Help: "keep LTI users inside the course or activity"},
	{Name: "enrolperiod", Kind: Duration, Label: "Enrolment duration", Help: "length of enrolments from the day of the launch; 0 for unlimited"},
	{Name: "enrolstartdate", Kind: Date, Label: "Start date", Help: "no new enrolments before this day (YYYY-MM-DD, empty for none)"},
	{Name: "enrolenddate", Kind: Date, Label: "End date", Help: "no new enrolments after this day (YYYY-MM-DD, empty for none)"},
	{Name: "maxenrolled", Kind: Int, Label: "Max enrolled users", Help: "most users that may come from the remote system; 0 for no limit"},
	{Name: "addtogroup", Kind: Text, MaxLen: 64, Label: "Add users to group (idnumber or request based)", Help: "a group idnumber, or request:<parameter> to take it from the launch"},
	{Name: "enrolinst", Kind: Bool, Label: "Automatically enrol Instructors"},
	{Name: "enrollearn", Kind: Bool, Label: "Automatically enrol Learners"},
	{Name: "croleinst", Kind: RoleChoice, Label: "Course role for Instructor"},
	{Name: "crolelearn", Kind: RoleChoice, Label: "Course role for Learner"},
	{Name: "aroleinst", Kind: RoleChoice, Label: "Activity role for Instructor", Help: "activity tools only"},
	{Name: "arolelearn", Kind: RoleChoice, Label: "Activity role for Learner", Help: "activity tools only"},
	{Name: "secret", Kind: Text, MaxLen: 64, Label: "Shared secret"},
	{Name: "encoding", Kind: Text, MaxLen: 32, Label: "Remote system encoding"},
	{Name: "userprofileupdate", Kind: Choice, Options: ProfileUpdates, Label: "User profile update", Help: "only when the site setting is Delegate"},
	{Name: "maildisplay", Kind: Choice, Options: MailDisplays, Label: "Email display"},
	{Name: "city", Kind: Text, MaxLen: 120, Label: "City/town"},
	{Name: "country", Kind: Text, MaxLen: 2, Label: "Country", Help: "two-letter code, e.g. ES"},
	{Name: "timezone", Kind: Text, MaxLen: 100, Label: "Timezone", Help: "e.g. Europe/Madrid, or 99 for the server's"},
	{Name: "lang", Kind: Text, MaxLen: 30, Label: "Preferred language", Help: "a language code, e.g. en"},
	{Name: "institution", Kind: Text, MaxLen: 40, Label: "Institution"},
	{Name: "sendgrades", Kind: Bool, Label: "Send grades back"},
	{Name: "requirecompletion", Kind: Bool, Label: "Require course or activity completed before sending the grades"},
	{Name: "sendcompletion", Kind: Bool, Label: "Send completion status instead grades"},
	{Name: "syncmembers", Kind: Bool, Label: "Enable members synchronization", Help: "course tools only"},
	{Name: "syncperiod", Kind: Choice, Options: SyncPeriods, Label: "Synchronization period"},
	{Name: "syncmode", Kind: Choice, Options: SyncModes, Label: "Synchronization mode"},
	{Name: "hidepageheader", Kind: Bool, Label: "Hide page header"},
	{Name: "hidepagefooter", Kind: Bool, Label: "Hide page footer"},
	{Name: "hideleftblocks", Kind: Bool, Label: "Hide left blocks", Help: "on Boost: the course index drawer"},
	{Name: "hiderightblocks", Kind: Bool, Label: "Hide right blocks", Help: "on Boost: the block drawer"},
	{Name: "customcss", Kind: Text, MaxLen: 65536, Label: "Custom CSS"},
}

// LookupField finds a field by name.
func LookupField(name string) (Field, bool) {
	for _, f := range Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Errors maps a field name to what is wrong with its value.
type Errors map[string]string

// Names returns the fields with errors, sorted.
func (e Errors) Names() []string {
	names := make([]string, 0, len(e))
	for n := range e {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (e Errors) Error() string {
	parts := make([]string, 0, len(e))
	for _, n := range e.Names() {
		parts = append(parts, n+": "+e[n])
	}
	return strings.Join(parts, "; ")
}

// Apply sets the fields present in values on t, parsing each by its kind.
// Fields absent from values keep their value. loc is the site's time zone
// for dates. Unknown names and unreadable values are reported.
func Apply(t *store.Tool, values map[string]string, loc *time.Location) Errors {
	errs := Errors{}
	for name, raw := range values {
		f, ok := LookupField(name)
		if !ok {
			errs[name] = "no such setting"
			continue
		}
		if err := set(t, f, raw, loc); err != "" {
			errs[name] = err
		}
	}
	return errs
}

func set(t *store.Tool, f Field, raw string, loc *time.Location) string {
	if f.Kind != Text {
		raw = strings.TrimSpace(raw)
	}
	switch f.Kind {
	case Bool:
		b, ok := parseBool(raw)
		if !ok {
			return "must be 1 or 0"
		}
		*boolField(t, f.Name) = b
	case Int, Choice:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return "must be a whole number"
		}
		if f.Kind == Choice && !hasOption(f.Options, raw) {
			return "is not one of the choices"
		}
		switch f.Name {
		case "maxenrolled":
			t.MaxEnrolled = n
		case "userprofileupdate":
			t.UserProfileUpdate = int(n)
		case "maildisplay":
			t.MailDisplay = int(n)
		case "syncperiod":
			t.SyncPeriod = n
		case "syncmode":
			t.SyncMode = int(n)
		}
	case ContextChoice, RoleChoice:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			return "must be an id"
		}
		switch f.Name {
		case "contextid":
			t.ContextID = n
		case "croleinst":
			t.CRoleInst = n
		case "crolelearn":
			t.CRoleLearn = n
		case "aroleinst":
			t.ARoleInst = sql.NullInt64{Int64: n, Valid: true}
		case "arolelearn":
			t.ARoleLearn = sql.NullInt64{Int64: n, Valid: true}
		}
	case Date:
		ts, err := ParseDate(raw, loc)
		if err != nil {
			return err.Error()
		}
		if f.Name == "enrolstartdate" {
			t.EnrolStartDate = ts
		} else {
			t.EnrolEndDate = ts
		}
	case Duration:
		d, err := ParseDuration(raw)
		if err != nil {
			return err.Error()
		}
		t.EnrolPeriod = d
	case Text:
		if !utf8.ValidString(raw) {
			return "is not valid UTF-8"
		}
		if n := utf8.RuneCountInString(raw); n > f.MaxLen {
			return fmt.Sprintf("is %d characters long; at most %d", n, f.MaxLen)
		}
		if f.Name != "customcss" && strings.ContainsAny(raw, "\x00\r\n\t") {
			return "must be one line"
		}
		switch f.Name {
		case "addtogroup":
			t.AddToGroup = strings.TrimSpace(raw)
		case "secret":
			t.Secret = strings.TrimSpace(raw)
		case "encoding":
			t.Encoding = sql.NullString{String: strings.TrimSpace(raw), Valid: true}
		case "city":
			t.City = strings.TrimSpace(raw)
		case "country":
			t.Country = strings.ToUpper(strings.TrimSpace(raw))
		case "timezone":
			t.Timezone = strings.TrimSpace(raw)
		case "lang":
			t.Lang = strings.TrimSpace(raw)
		case "institution":
			t.Institution = strings.TrimSpace(raw)
		case "customcss":
			t.CustomCSS = strings.ReplaceAll(raw, "\r\n", "\n")
		}
	}
	return ""
}

func boolField(t *store.Tool, name string) *bool {
	switch name {
	case "forcenavigation":
		return &t.ForceNavigation
	case "enrolinst":
		return &t.EnrolInst
	case "enrollearn":
		return &t.EnrolLearn
	case "sendgrades":
		return &t.SendGrades
	case "requirecompletion":
		return &t.RequireCompletion
	case "sendcompletion":
		return &t.SendCompletion
	case "syncmembers":
		return &t.SyncMembers
	case "hidepageheader":
		return &t.HidePageHeader
	case "hidepagefooter":
		return &t.HidePageFooter
	case "hideleftblocks":
		return &t.HideLeftBlocks
	case "hiderightblocks":
		return &t.HideRightBlocks
	}
	panic("manage: no bool field " + name)
}

// Value returns a field's current value as the form and the CLI show it.
func Value(t *store.Tool, name string, loc *time.Location) string {
	f, _ := LookupField(name)
	switch f.Kind {
	case Bool:
		if *boolField(t, name) {
			return "1"
		}
		return "0"
	case Date:
		if name == "enrolstartdate" {
			return FormatDate(t.EnrolStartDate, loc)
		}
		return FormatDate(t.EnrolEndDate, loc)
	case Duration:
		return strconv.FormatInt(t.EnrolPeriod, 10)
	}
	switch name {
	case "contextid":
		return strconv.FormatInt(t.ContextID, 10)
	case "croleinst":
		return strconv.FormatInt(t.CRoleInst, 10)
	case "crolelearn":
		return strconv.FormatInt(t.CRoleLearn, 10)
	case "aroleinst":
		return nullInt(t.ARoleInst)
	case "arolelearn":
		return nullInt(t.ARoleLearn)
	case "maxenrolled":
		return strconv.FormatInt(t.MaxEnrolled, 10)
	case "userprofileupdate":
		return strconv.Itoa(t.UserProfileUpdate)
	case "maildisplay":
		return strconv.Itoa(t.MailDisplay)
	case "syncperiod":
		return strconv.FormatInt(t.SyncPeriod, 10)
	case "syncmode":
		return strconv.Itoa(t.SyncMode)
	case "addtogroup":
		return t.AddToGroup
	case "secret":
		return t.Secret
	case "encoding":
		return t.Encoding.String
	case "city":
		return t.City
	case "country":
		return t.Country
	case "timezone":
		return t.Timezone
	case "lang":
		return t.Lang
	case "institution":
		return t.Institution
	case "customcss":
		return t.CustomCSS
	}
	return ""
}

func nullInt(n sql.NullInt64) string {
	if !n.Valid {
		return ""
	}
	return strconv.FormatInt(n.Int64, 10)
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off", "":
		return false, true
	}
	return false, false
}

func hasOption(opts []Option, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

var durationRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*([smhdw]?)$`)

// ParseDuration reads an enrolment period: seconds, or a number with a
// unit (s, m, h, d, w), as Moodle's duration element offers them.
func ParseDuration(s string) (int64, error) {
	m := durationRE.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("must be a number of seconds, or a number with s, m, h, d or w")
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("must be a number")
	}
	unit := map[string]float64{"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[m[2]]
	v := n * unit
	if v > 1<<40 {
		return 0, fmt.Errorf("is too long")
	}
	return int64(v), nil
}

// ParseDate reads a day (YYYY-MM-DD) as the timestamp of its midnight in
// loc, like Moodle's date selector; empty or 0 means none (0); a plain
// number is taken as a Unix timestamp.
func ParseDate(s string, loc *time.Location) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	d, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return 0, fmt.Errorf("must be a date like 2026-09-01")
	}
	return d.Unix(), nil
}

// FormatDate writes a timestamp as the day the form shows, "" for none.
func FormatDate(ts int64, loc *time.Location) string {
	if ts == 0 {
		return ""
	}
	return time.Unix(ts, 0).In(loc).Format("2006-01-02")
}
