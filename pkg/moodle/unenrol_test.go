package moodle_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The fixture's student1 (user 3) is enrolled in PROV1 (course 3, context
// 13) through its manual instance (enrol 4) as a student, and has grades
// in the course (the assignment's 85 and the course total).
func unenrolment(t *testing.T, db *database.DB) (moodle.Unenrolment, moodle.Actor, *moodle.Site) {
	t.Helper()
	ctx := context.Background()
	site, err := moodle.LoadSite(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	course, err := moodle.ContextOf(ctx, db, moodle.ContextCourse, 3)
	if err != nil {
		t.Fatal(err)
	}
	log, err := moodle.LoadLogStore(ctx, db, site)
	if err != nil {
		t.Fatal(err)
	}
	return moodle.Unenrolment{Course: course, UserID: 3}, moodle.Actor{Time: 1795760000, Origin: "cli", Log: log, Caches: &caches}, site
}

// caches records the cache invalidations asked for.
var caches moodle.PendingInvalidations

func TestUnenrolLastEnrolmentCleansUp(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	// A group of the course, a role in one of its activities, a last access.
	tdb.Exec(t, "INSERT INTO {groups} (courseid, idnumber, name, timecreated, timemodified) VALUES (3, 'g1', 'Group 1', 1, 1)")
	gid := tdb.Rows(t, "SELECT id FROM {groups} WHERE idnumber = 'g1'")[0]["id"]
	tdb.Exec(t, "INSERT INTO {groups_members} (groupid, userid, timeadded, component, itemid) VALUES (?, 3, 1, '', 0)", gid)
	tdb.Exec(t, "INSERT INTO {role_assignments} (roleid, contextid, userid, timemodified, modifierid, component, itemid, sortorder) VALUES (5, 19, 3, 1, 2, '', 0, 0)")
	tdb.Exec(t, "INSERT INTO {user_lastaccess} (userid, courseid, timeaccess) VALUES (3, 3, 1795754400)")
	// Nothing of student1 elsewhere is touched: their enrolment in CONS1.
	before := tdb.Rows(t, "SELECT COUNT(*) AS n FROM {user_enrolments} WHERE userid = 3 AND enrolid = 7")[0]["n"]
	history := tdb.Count(t, "grade_grades_history", "")
	logBefore := tdb.Count(t, "logstore_standard_log", "")

	u, a, site := unenrolment(t, db)
	var removed bool
	err := db.WithTx(ctx, func(tx *database.Tx) (err error) {
		removed, err = moodle.UnenrolFromManual(ctx, tx, a, site, u)
		return err
	})
	if err != nil || !removed {
		t.Fatal(removed, err)
	}
	for table, where := range map[string]string{
		"user_enrolments":  "userid = 3 AND enrolid = 4",
		"role_assignments": "userid = 3 AND contextid IN (13, 19)",
		"groups_members":   "userid = 3",
		"grade_grades":     "userid = 3 AND itemid IN (3, 4, 5)",
		"user_lastaccess":  "userid = 3 AND courseid = 3",
	} {
		if n := tdb.Count(t, table, where); n != 0 {
			t.Errorf("%s: %d rows left", table, n)
		}
	}
	if n := tdb.Rows(t, "SELECT COUNT(*) AS n FROM {user_enrolments} WHERE userid = 3 AND enrolid = 7")[0]["n"]; n != before {
		t.Error("enrolment in another course touched")
	}
	if n := tdb.Count(t, "role_assignments", "userid = 3 AND contextid = 24"); n != 1 {
		t.Error("role in another course touched")
	}
	// The grades went to the history as deletions, by nobody, from
	// 'userdelete' (grade_user_unenrol).
	if n := tdb.Count(t, "grade_grades_history", "action = 3 AND source = 'userdelete' AND userid = 3 AND loggeduser = 0"); n != 3 || tdb.Count(t, "grade_grades_history", "") != history+3 {
		t.Errorf("%d history rows", n)
	}
	if tdb.Rows(t, "SELECT finalgrade FROM {grade_grades_history} WHERE action = 3 AND itemid = 4")[0]["finalgrade"] != "85.00000" {
		t.Error("history lost the grade")
	}
	// Events, as Moodle's would be logged.
	events := tdb.Rows(t, "SELECT eventname, objectid, relateduserid, contextid, crud, other FROM {logstore_standard_log} WHERE id > 0 ORDER BY id")[logBefore:]
	names := map[string]int{}
	for _, e := range events {
		names[e["eventname"].(string)]++
	}
	want := map[string]int{`\core\event\role_unassigned`: 2, `\core\event\group_member_removed`: 1,
		`\core\event\grade_deleted`: 3, `\core\event\user_enrolment_deleted`: 1}
	for n, c := range want {
		if names[n] != c {
			t.Errorf("%s logged %d times, want %d (%v)", n, names[n], c, names)
		}
	}
	last := events[len(events)-1]
	var other struct {
		UE struct {
			ID, EnrolID, UserID, CourseID, Enrol string
			LastEnrol                            bool
		} `json:"userenrolment"`
		Enrol string `json:"enrol"`
	}
	if err := json.Unmarshal([]byte(last["other"].(string)), &other); err != nil {
		t.Fatal(err)
	}
	if other.Enrol != "manual" || !other.UE.LastEnrol || other.UE.EnrolID != "4" || other.UE.CourseID != "3" || last["crud"] != "d" || last["relateduserid"] != "3" {
		t.Errorf("%+v %v", other, last)
	}
	// The user's sessions reload their access.
	if tdb.Count(t, "cache_flags", "flagtype = 'accesslib/dirtyusers' AND name = '3'") != 1 {
		t.Error("user not marked dirty")
	}
	// Again: nothing to do.
	if removed, err := moodle.UnenrolFromManual(ctx, db, a, site, u); err != nil || removed {
		t.Fatal(removed, err)
	}
}

// With another enrolment left in the course (self enrolment), only the
// manual enrolment goes: roles, groups and grades stay, as in Moodle.
func TestUnenrolKeepsWhatAnotherEnrolmentNeeds(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	tdb.Exec(t, "INSERT INTO {user_enrolments} (status, enrolid, userid, timestart, timeend, modifierid, timecreated, timemodified) VALUES (0, 6, 3, 0, 0, 3, 1, 1)")
	u, a, site := unenrolment(t, db)
	removed, err := moodle.UnenrolFromManual(ctx, db, a, site, u)
	if err != nil || !removed {
		t.Fatal(removed, err)
	}
	if tdb.Count(t, "user_enrolments", "userid = 3 AND enrolid = 4") != 0 || tdb.Count(t, "user_enrolments", "userid = 3 AND enrolid = 6") != 1 ||
		tdb.Count(t, "role_assignments", "userid = 3 AND contextid = 13") != 1 || tdb.Count(t, "grade_grades", "userid = 3 AND itemid = 4") != 1 {
		t.Fatal("too much removed")
	}
}
