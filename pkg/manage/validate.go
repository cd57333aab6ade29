package manage

import (
	"regexp"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

var (
	encodingRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
	countryRE  = regexp.MustCompile(`^([A-Z]{2})?$`)
	langRE     = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// Validate checks a tool as the plugin's form did, plus what its form
// elements guaranteed (choices from lists, lengths), and returns every
// problem by field. prev is the stored tool before the change (nil for a
// new one): a role someone else chose stays acceptable while unchanged.
func Validate(t *store.Tool, prev *store.Tool, ch *Choices, site *settings.Site) Errors {
	errs := Errors{}
	var act Activity
	moduleTool := false
	switch {
	case t.ContextID == ch.CourseContext.ID:
	default:
		a, ok := ch.Activity(t.ContextID)
		if !ok {
			errs["contextid"] = "must be the course or one of its activities"
		}
		act, moduleTool = a, ok
	}
	if t.CourseID != ch.Course.ID {
		errs["courseid"] = "a tool cannot move to another course"
	}

	// edit_form.php validation(): end date not before start date.
	if t.EnrolEndDate != 0 && t.EnrolEndDate < t.EnrolStartDate {
		errs["enrolenddate"] = "Enrolment end date cannot be earlier than start date"
	}
	if t.EnrolPeriod < 0 {
		errs["enrolperiod"] = "must not be negative"
	}
	if t.MaxEnrolled < 0 {
		errs["maxenrolled"] = "must not be negative"
	}
	// Completion must be enabled for the course (or the chosen activity).
	if t.RequireCompletion || t.SendCompletion {
		enabled := ch.CompletionEnabled && ch.Course.EnableCompletion
		if moduleTool {
			enabled = enabled && act.Completion != 0
		}
		if !enabled {
			const msg = "Completion should be enabled for the course or the activity"
			if t.RequireCompletion {
				errs["requirecompletion"] = msg
			}
			if t.SendCompletion {
				errs["sendcompletion"] = msg
			}
		}
	}
	// Member sync is offered only for course tools.
	if t.SyncMembers && moduleTool {
		errs["syncmembers"] = "Member synchronization is only available when the whole course is provided"
	}
	if t.SyncMembers && !hasOption(SyncModes, itoa(int64(t.SyncMode))) {
		errs["syncmode"] = "is not one of the choices"
	}
	if t.SyncMembers && !hasOption(SyncPeriods, itoa(t.SyncPeriod)) {
		errs["syncperiod"] = "is not one of the choices"
	}

	// Roles come from the roles the person may assign in the course.
	checkRole := func(field string, id int64, old func(*store.Tool) int64) {
		if prev != nil && id == old(prev) {
			return
		}
		for _, r := range ch.Roles {
			if r.ID == id {
				return
			}
		}
		errs[field] = "is not a role you may assign in this course"
	}
	checkRole("croleinst", t.CRoleInst, func(p *store.Tool) int64 { return p.CRoleInst })
	checkRole("crolelearn", t.CRoleLearn, func(p *store.Tool) int64 { return p.CRoleLearn })
	// Activity roles too, whatever the tool provides now: a value saved on a
	// course tool would otherwise pass later as someone else's choice.
	if t.ARoleInst.Valid && t.ARoleInst.Int64 != 0 {
		checkRole("aroleinst", t.ARoleInst.Int64, func(p *store.Tool) int64 { return p.ARoleInst.Int64 })
	}
	if t.ARoleLearn.Valid && t.ARoleLearn.Int64 != 0 {
		checkRole("arolelearn", t.ARoleLearn.Int64, func(p *store.Tool) int64 { return p.ARoleLearn.Int64 })
	}

	if strings.TrimSpace(t.Secret) == "" {
		errs["secret"] = "Required"
	}
	if t.Encoding.String != "" && !encodingRE.MatchString(t.Encoding.String) {
		errs["encoding"] = "is not an encoding name"
	}
	if strings.ContainsAny(t.AddToGroup, "<>") {
		errs["addtogroup"] = "must not contain HTML"
	}
	if !countryRE.MatchString(t.Country) {
		errs["country"] = "must be a two-letter country code"
	}
	if t.Timezone != "99" {
		if _, err := time.LoadLocation(t.Timezone); err != nil || t.Timezone == "" || t.Timezone == "Local" {
			errs["timezone"] = "is not a time zone"
		}
	}
	if !langRE.MatchString(t.Lang) {
		errs["lang"] = "is not a language code"
	}
	if !hasOption(MailDisplays, itoa(int64(t.MailDisplay))) {
		errs["maildisplay"] = "is not one of the choices"
	}
	// The site setting, unless it delegates, decides the profile update
	// policy (the form froze the field to it).
	if site != nil && site.UserProfileUpdate != -1 {
		t.UserProfileUpdate = site.UserProfileUpdate
	} else if !hasOption(ProfileUpdates, itoa(int64(t.UserProfileUpdate))) {
		errs["userprofileupdate"] = "is not one of the choices"
	}
	return errs
}

func itoa(n int64) string { return strconvFormat(n) }
