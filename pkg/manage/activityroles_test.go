package manage_test

import (
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/manage"
)

// Activity roles are checked like course roles whatever the tool provides:
// a course tool's aroleinst was not checked, so a teacher could save the
// manager role there, then switch the tool to an activity, where the
// unchanged value passed as "chosen by someone else" and every instructor
// launch assigned manager in the activity.
func TestActivityRolesCheckedForCourseToolsToo(t *testing.T) {
	ch, base, ss, _, _ := setup(t, manage.Actor{UserID: 4},
		"INSERT INTO {role_assignments} (roleid, contextid, userid, timemodified, modifierid) VALUES (3, 13, 4, 1, 2)")
	loc := time.UTC
	step1 := *base
	if errs := manage.Apply(&step1, map[string]string{"aroleinst": "1", "arolelearn": "1"}, loc); len(errs) > 0 {
		t.Fatal(errs)
	}
	errs := manage.Validate(&step1, base, ch, ss)
	if errs["aroleinst"] == "" || errs["arolelearn"] == "" {
		t.Fatalf("a course tool saved with the manager role as activity roles: %v", errs)
	}
	// A value someone else chose stays acceptable while unchanged.
	admins := *base
	admins.ARoleInst.Int64, admins.ARoleInst.Valid = 1, true
	kept := admins
	manage.Apply(&kept, map[string]string{"contextid": "19"}, loc)
	if errs := manage.Validate(&kept, &admins, ch, ss); errs["aroleinst"] != "" {
		t.Errorf("an administrator's activity role refused while unchanged: %v", errs)
	}
}
