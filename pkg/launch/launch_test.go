package launch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// midnight is 00:00 of the fixture's day in the site's timezone
// (Europe/London), the start of enrolments made that day.
func midnight(t testing.TB, now time.Time) int64 {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc).Unix()
}

// A new learner: every row Moodle's own user creation, manual enrolment
// and role assignment write, the events, the service's rows, the session
// handoff and the redirect.
func TestNewLearner(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	now := e.now.Unix()
	resp := e.launch(tool, launchForm("1001"))
	e.wantRedirect(resp, "/course/view.php?id=3")
	if c := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(c, "MoodleSession=sid") {
		t.Errorf("session cookie not set: %q", c)
	}

	user := e.row("SELECT * FROM {user} WHERE username = ?", username("consumer-A", "1001"))
	uid := user["id"].(string)
	wantFields(t, "user", user, map[string]any{
		"auth": "nologin", "confirmed": 1, "policyagreed": 0, "deleted": 0, "suspended": 0, "mnethostid": 1,
		"password": "", "idnumber": "", "firstname": "Given1001", "lastname": "Family1001",
		"email": "user1001@lms.example", "emailstop": 0, "phone1": "", "phone2": "", "institution": "",
		"department": "", "address": "", "city": "", "country": "", "lang": "en", "calendartype": "gregorian",
		"theme": "", "timezone": "99", "firstaccess": 0, "lastaccess": 0, "lastlogin": 0, "currentlogin": 0,
		"lastip": "", "secret": "", "picture": 0, "description": nil, "descriptionformat": 1, "mailformat": 1,
		"maildigest": 0, "maildisplay": 2, "autosubscribe": 1, "trackforums": 0, "timecreated": now,
		"timemodified": now, "trustbitmask": 0, "imagealt": nil, "lastnamephonetic": nil,
		"firstnamephonetic": nil, "middlename": nil, "alternatename": nil, "moodlenetprofile": nil,
	})
	uctx := e.row("SELECT * FROM {context} WHERE contextlevel = 30 AND instanceid = ?", uid)
	wantFields(t, "user context", uctx, map[string]any{"path": "/1/" + uctx["id"].(string), "depth": 2, "locked": 0})

	ue := e.row("SELECT * FROM {user_enrolments} WHERE userid = ?", uid)
	wantFields(t, "user_enrolments", ue, map[string]any{"enrolid": 4, "status": 0, "timestart": midnight(t, e.now),
		"timeend": 0, "modifierid": 0, "timecreated": now, "timemodified": now})
	ra := e.row("SELECT * FROM {role_assignments} WHERE userid = ?", uid)
	wantFields(t, "role_assignments", ra, map[string]any{"roleid": 5, "contextid": 13, "timemodified": now,
		"modifierid": 0, "component": "", "itemid": 0, "sortorder": 0})
	flag := e.row("SELECT * FROM {cache_flags} WHERE flagtype = 'accesslib/dirtyusers' AND name = ?", uid)
	wantFields(t, "cache_flags", flag, map[string]any{"value": "1", "expiry": now + 28800, "timemodified": now})

	events := e.tdb.Rows(t, "SELECT * FROM {logstore_standard_log} ORDER BY id")
	if len(events) != 3 {
		t.Fatalf("%d events: %v", len(events), events)
	}
	common := map[string]any{"crud": "c", "edulevel": 0, "userid": 0, "relateduserid": uid, "anonymous": 0,
		"timecreated": now, "origin": "web", "ip": "127.0.0.1", "realuserid": nil, "component": "core"}
	for _, ev := range events {
		wantFields(t, "event", ev, common)
	}
	wantFields(t, "user_created", events[0], map[string]any{"eventname": `\core\event\user_created`, "action": "created",
		"target": "user", "objecttable": "user", "objectid": uid, "contextid": uctx["id"], "contextlevel": 30,
		"contextinstanceid": uid, "courseid": 0, "other": "null"})
	wantFields(t, "user_enrolment_created", events[1], map[string]any{"eventname": `\core\event\user_enrolment_created`,
		"action": "created", "target": "user_enrolment", "objecttable": "user_enrolments", "objectid": ue["id"],
		"contextid": 13, "contextlevel": 50, "contextinstanceid": 3, "courseid": 3, "other": `{"enrol":"manual"}`})
	wantFields(t, "role_assigned", events[2], map[string]any{"eventname": `\core\event\role_assigned`,
		"action": "assigned", "target": "role", "objecttable": "role", "objectid": 5, "contextid": 13,
		"contextlevel": 50, "contextinstanceid": 3, "courseid": 3,
		"other": fmt.Sprintf(`{"id":%s,"component":"","itemid":0}`, ra["id"])})

	lu := e.row("SELECT * FROM {local_ltiprovider_user} WHERE userid = ?", uid)
	wantFields(t, "local_ltiprovider_user", lu, map[string]any{"toolid": tool.ID,
		"serviceurl": "https://lms.example/mod/lti/service.php", "sourceid": "sourced-1001", "consumerkey": "consumer-A",
		"consumersecret": "", "lastgrade": 0, "lastsync": 0, "lastaccess": now, "membershipsurl": "", "membershipsid": ""})
	out := e.row("SELECT * FROM {local_ltiprovider_outcome} WHERE userid = ?", uid)
	wantFields(t, "outcome", out, map[string]any{"toolid": tool.ID, "consumerkey": "consumer-A", "resourcelinkid": "link-1",
		"serviceurl": "https://lms.example/mod/lti/service.php", "sourcedid": "sourced-1001"})
	l, err := store.GetLaunch(context.Background(), e.db, mustInt(uid))
	if err != nil || l.ToolID != tool.ID || l.ReturnURL != "https://lms.example/mod/lti/return.php?course=9" ||
		!l.Layout.ForceNavigation || l.Layout.ContextID != 13 || l.Layout.CourseID != 3 || l.Layout.CMID != 0 {
		t.Errorf("launch row: %+v %v", l, err)
	}
	keys, _ := store.ConsumerKeysOfTool(context.Background(), e.db, tool.ID)
	if len(keys) != 1 || keys[0].Key != "consumer-A" {
		t.Errorf("bound keys: %+v", keys)
	}
	if len(e.sessions.logins) != 1 || e.sessions.logins[0].UserID != mustInt(uid) ||
		e.sessions.logins[0].Dest != wwwroot+"/course/view.php?id=3" || e.sessions.logins[0].ClientIP != "127.0.0.1" {
		t.Errorf("session handoff: %+v", e.sessions.logins)
	}
}

func mustInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return n
}

// A returning learner: found again, not enrolled twice; the user row's
// lastaccess and the outcome data move on, nothing else is written.
func TestReturningLearner(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	e.wantRedirect(e.launch(tool, launchForm("1001")), "/course/view.php?id=3")
	uid := e.userID("consumer-A", "1001")
	users, events := e.tdb.Count(t, "user", ""), e.tdb.Count(t, "logstore_standard_log", "")

	e.now = e.now.Add(time.Hour)
	e.wantRedirect(e.launch(tool, launchForm("1001", "lis_result_sourcedid", "sourced-new")), "/course/view.php?id=3")
	if e.tdb.Count(t, "user", "") != users || e.tdb.Count(t, "logstore_standard_log", "") != events {
		t.Error("a returning launch created users or events")
	}
	for table, n := range map[string]int{"user_enrolments": 1, "role_assignments": 1, "local_ltiprovider_user": 1,
		"local_ltiprovider_outcome": 1, "local_ltiprovider_launch": 1} {
		if got := e.tdb.Count(t, table, "userid = ?", uid); got != n {
			t.Errorf("%s: %d rows, want %d", table, got, n)
		}
	}
	wantFields(t, "local_ltiprovider_user", e.row("SELECT * FROM {local_ltiprovider_user} WHERE userid = ?", uid),
		map[string]any{"lastaccess": e.now.Unix(), "sourceid": "sourced-new"})
	// An instructor-style launch without outcome data never blanks them.
	e.wantRedirect(e.launch(tool, launchForm("1001", "lis_result_sourcedid", "", "lis_outcome_service_url", "")), "/course/view.php?id=3")
	wantFields(t, "local_ltiprovider_user", e.row("SELECT * FROM {local_ltiprovider_user} WHERE userid = ?", uid),
		map[string]any{"sourceid": "sourced-new", "serviceurl": "https://lms.example/mod/lti/service.php"})
	wantFields(t, "outcome", e.row("SELECT * FROM {local_ltiprovider_outcome} WHERE userid = ?", uid),
		map[string]any{"sourcedid": "sourced-new"})
	if e.sessions.count() != 3 {
		t.Errorf("%d handoffs", e.sessions.count())
	}
}

// An instructor gets the tool's instructor course role.
func TestInstructor(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	e.wantRedirect(e.launch(tool, launchForm("2001", "roles", "urn:lti:role:ims/lis/Instructor",
		"lis_result_sourcedid", "", "lis_outcome_service_url", "")), "/course/view.php?id=3")
	uid := e.userID("consumer-A", "2001")
	wantFields(t, "role", e.row("SELECT * FROM {role_assignments} WHERE userid = ?", uid),
		map[string]any{"roleid": 3, "contextid": 13})
	if n := e.tdb.Count(t, "local_ltiprovider_outcome", "userid = ?", uid); n != 0 {
		t.Errorf("%d outcome rows for a launch without outcome data", n)
	}
}

// An activity tool: the course role in the course, the activity role in
// the activity, and the activity as destination.
func TestActivityTool(t *testing.T) {
	e := newEnv(t)
	// PROV-ASSIGN: course module 6, context 19; the activity roles differ
	// from the course roles to tell them apart.
	tool := e.tool(3, 19, func(t *store.Tool) { t.ARoleLearn.Int64 = 4 })
	e.wantRedirect(e.launch(tool, launchForm("1001")), "/mod/assign/view.php?id=6")
	uid := e.userID("consumer-A", "1001")
	ras := e.tdb.Rows(t, "SELECT roleid, contextid FROM {role_assignments} WHERE userid = ? ORDER BY id", uid)
	if len(ras) != 2 || ras[0]["roleid"] != "5" || ras[0]["contextid"] != "13" || ras[1]["roleid"] != "4" || ras[1]["contextid"] != "19" {
		t.Fatalf("role assignments: %v", ras)
	}
	ev := e.row("SELECT * FROM {logstore_standard_log} WHERE eventname = ? AND contextid = 19", `\core\event\role_assigned`)
	wantFields(t, "activity role_assigned", ev, map[string]any{"contextlevel": 70, "contextinstanceid": 6, "courseid": 3, "objectid": 4})
	l, _ := store.GetLaunch(context.Background(), e.db, mustInt(uid))
	if l.Layout.CMID != 6 || l.Layout.ContextID != 19 {
		t.Errorf("layout %+v", l.Layout)
	}
	// Every launch assigns the activity role, once.
	e.wantRedirect(e.launch(tool, launchForm("1001")), "/mod/assign/view.php?id=6")
	if n := e.tdb.Count(t, "role_assignments", "userid = ?", uid); n != 2 {
		t.Errorf("%d role assignments after a second launch", n)
	}
}

// Resolution by context_id (no id): the course whose idnumber the
// idnumberformat gives, its tool; an activity tool of that course when
// resource_link_id is its activity's idnumber; refusal when ambiguous.
func TestResolveByContextID(t *testing.T) {
	e := newEnv(t)
	courseTool := e.courseTool()
	byContext := func(kv ...string) *http.Response {
		f := launchForm("1001", append([]string{"context_id", "PROV1"}, kv...)...)
		return e.post("", e.signed(e.launchURL(""), "consumer-A", courseTool.Secret, f))
	}
	e.wantRedirect(byContext(), "/course/view.php?id=3")
	if n := e.tdb.Count(t, "local_ltiprovider_user", "toolid = ?", courseTool.ID); n != 1 {
		t.Fatalf("course tool users: %d", n)
	}

	// resource_link_id = PROV-PAGE (module 7, context 20), which has a tool.
	pageTool := e.tool(3, 20, func(t *store.Tool) { t.Secret = courseTool.Secret })
	e.wantRedirect(byContext("resource_link_id", "PROV-PAGE"), "/mod/page/view.php?id=7")
	if n := e.tdb.Count(t, "local_ltiprovider_user", "toolid = ?", pageTool.ID); n != 1 {
		t.Fatalf("activity tool users: %d", n)
	}

	// The format setting decides the idnumber: consumer_key:context_id.
	if err := settings.Set(context.Background(), e.db, "idnumberformat", "3"); err != nil {
		t.Fatal(err)
	}
	e.wantPage(byContext(), http.StatusNotFound, "No course on this site is provided")
	e.tdb.Exec(t, "UPDATE {course} SET idnumber = 'consumer-A:PROV1' WHERE id = 3")
	e.wantRedirect(byContext(), "/course/view.php?id=3")

	// Course creation from a launch is not tool.php's yet: an unknown
	// context is "no tool", even when the launch asks for a course.
	f := launchForm("1001", "context_id", "NEW-CTX", "custom_create_context", "1")
	e.wantPage(e.post("", e.signed(e.launchURL(""), "consumer-A", courseTool.Secret, f)), http.StatusNotFound, "No course on this site is provided")
	if n := e.tdb.Count(t, "course", ""); n != 4 {
		t.Errorf("%d courses", n)
	}
	// Two tools on the course: refused, not guessed.
	e.courseTool(func(t *store.Tool) { t.Secret = courseTool.Secret })
	e.wantPage(byContext(), http.StatusConflict, "cannot be determined")
	// Two courses with the idnumber: refused too.
	e.tdb.Exec(t, "UPDATE {course} SET idnumber = 'consumer-A:PROV1' WHERE id = 2")
	e.wantPage(byContext(), http.StatusConflict, "cannot be determined")
}

// SSO to an activity: a course tool's launch whose resource_link_id is the
// idnumber of one of the course's activities lands on that activity.
func TestSSOToActivityByResourceLinkID(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	e.wantRedirect(e.launch(tool, launchForm("1001", "resource_link_id", "PROV-FORUM")), "/mod/forum/view.php?id=8")
	// An activity of another course is not a destination.
	e.wantRedirect(e.launch(tool, launchForm("1001", "resource_link_id", "TPL-PAGE")), "/course/view.php?id=3")
}

// The enrolment window and period of the tool.
func TestEnrolmentWindow(t *testing.T) {
	e := newEnv(t)
	ret := "https://lms.example/mod/lti/return.php?course=9"
	notYet := e.courseTool(func(t *store.Tool) { t.EnrolStartDate = fixtureNow.Unix() + 3600 })
	e.wantConsumerError(e.launch(notYet, launchForm("1001")), ret, "has not started")
	over := e.courseTool(func(t *store.Tool) { t.EnrolEndDate = fixtureNow.Unix() - 1 })
	e.wantConsumerError(e.launch(over, launchForm("1001")), ret, "has ended")
	if n := e.tdb.Count(t, "user", "username = ?", username("consumer-A", "1001")); n != 0 {
		t.Fatalf("a refused launch left %d users", n)
	}
	open := e.courseTool(func(t *store.Tool) {
		t.EnrolStartDate, t.EnrolEndDate, t.EnrolPeriod = fixtureNow.Unix()-3600, fixtureNow.Unix()+3600, 7*86400
	})
	e.wantRedirect(e.launch(open, launchForm("1001")), "/course/view.php?id=3")
	start := midnight(t, e.now)
	wantFields(t, "enrolment", e.row("SELECT * FROM {user_enrolments} WHERE userid = ?", e.userID("consumer-A", "1001")),
		map[string]any{"timestart": start, "timeend": start + 7*86400})

	// Eight days later the enrolment is over: the user is told, not let in.
	e.now = e.now.Add(8 * 24 * time.Hour)
	e.wantConsumerError(e.launch(open, launchForm("1001")), ret, "has ended")
	// An existing enrolment is not touched by the tool's dates.
	if n := e.tdb.Count(t, "user_enrolments", "timeend = ?", start+7*86400); n != 1 {
		t.Fatal("the enrolment changed")
	}
}

// maxenrolled: the number of the tool's users actively enrolled stays at
// most the cap, counting correctly (the plugin allowed max+1 and counted
// users who had left).
func TestEnrolmentCap(t *testing.T) {
	e := newEnv(t)
	ret := "https://lms.example/mod/lti/return.php?course=9"
	tool := e.courseTool(func(t *store.Tool) { t.MaxEnrolled = 2 })
	e.wantRedirect(e.launch(tool, launchForm("1")), "/course/view.php?id=3")
	e.wantRedirect(e.launch(tool, launchForm("2")), "/course/view.php?id=3")
	e.wantConsumerError(e.launch(tool, launchForm("3")), ret, "full")
	// Users already enrolled still get in.
	e.wantRedirect(e.launch(tool, launchForm("2")), "/course/view.php?id=3")
	// Suspending user 1 in Moodle frees a place.
	e.tdb.Exec(t, "UPDATE {user_enrolments} SET status = 1 WHERE userid = ?", e.userID("consumer-A", "1"))
	e.wantRedirect(e.launch(tool, launchForm("3")), "/course/view.php?id=3")
	// Student1, enrolled by hand, never counted.
	if n := e.tdb.Count(t, "user_enrolments", "enrolid = 4 AND status = 0"); n != 3 {
		t.Fatalf("%d active enrolments", n)
	}
}

// Many simultaneous first launches cannot pass the cap.
func TestEnrolmentCapUnderRace(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool(func(t *store.Tool) { t.MaxEnrolled = 2 })
	forms := make([]url.Values, 6)
	for i := range forms {
		forms[i] = e.signed(e.launchURL("?id="+strconv.FormatInt(tool.ID, 10)), "consumer-A", tool.Secret, launchForm(strconv.Itoa(100+i)))
	}
	e.launch(tool, launchForm("99")) // binds the key and warms the caches
	e.tdb.Exec(t, "DELETE FROM {user_enrolments} WHERE userid = ?", e.userID("consumer-A", "99"))
	locations := concurrently(t, e, "?id="+strconv.FormatInt(tool.ID, 10), forms)
	admitted := 0
	for _, loc := range locations {
		switch {
		case loc == wwwroot+"/course/view.php?id=3":
			admitted++
		case !strings.Contains(loc, "lti_errormsg=This+course+is+full"):
			t.Errorf("unexpected answer: %q", loc)
		}
	}
	if admitted != 2 {
		t.Errorf("%d of %d launches admitted with maxenrolled 2", admitted, len(forms))
	}
	if n := e.tdb.Count(t, "user_enrolments", "enrolid = 4 AND status = 0 AND userid <> 3"); n != 2 {
		t.Fatalf("%d tool users enrolled with maxenrolled 2", n)
	}
}

// Groups: a literal idnumber, or request:<param>.
func TestGroups(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool(func(t *store.Tool) { t.AddToGroup = "LTI-G1" })
	e.wantRedirect(e.launch(tool, launchForm("1")), "/course/view.php?id=3")
	e.wantRedirect(e.launch(tool, launchForm("2")), "/course/view.php?id=3")
	g := e.row("SELECT * FROM {groups} WHERE courseid = 3")
	wantFields(t, "group", g, map[string]any{"idnumber": "LTI-G1", "name": "LTI-G1", "description": nil,
		"visibility": 0, "participation": 1, "timecreated": e.now.Unix(), "timemodified": e.now.Unix()})
	for _, u := range []string{"1", "2"} {
		wantFields(t, "member", e.row("SELECT * FROM {groups_members} WHERE userid = ?", e.userID("consumer-A", u)),
			map[string]any{"groupid": g["id"], "timeadded": e.now.Unix(), "component": "", "itemid": 0})
	}
	wantFields(t, "group_created", e.row("SELECT * FROM {logstore_standard_log} WHERE eventname = ?", `\core\event\group_created`),
		map[string]any{"objecttable": "groups", "objectid": g["id"], "contextid": 13, "courseid": 3, "other": "null"})
	if n := e.tdb.Count(t, "logstore_standard_log", "eventname = ? AND other = ?", `\core\event\group_member_added`, `{"component":"","itemid":0}`); n != 2 {
		t.Errorf("%d group_member_added events", n)
	}

	byRequest := e.courseTool(func(t *store.Tool) { t.AddToGroup = "request:custom_section" })
	e.wantRedirect(e.launch(byRequest, launchForm("3", "custom_section", " Section A ")), "/course/view.php?id=3")
	e.row("SELECT id FROM {groups} WHERE idnumber = 'Section A' AND name = 'Section A'")
	e.wantRedirect(e.launch(byRequest, launchForm("4")), "/course/view.php?id=3") // no parameter: no group
	if n := e.tdb.Count(t, "groups_members", "userid = ?", e.userID("consumer-A", "4")); n != 0 {
		t.Errorf("user without the parameter is in %d groups", n)
	}
	if n := e.tdb.Count(t, "groups", ""); n != 2 {
		t.Errorf("%d groups", n)
	}
}

// The profile update policy: the site's setting, or the tool's when the
// site delegates.
func TestProfileUpdate(t *testing.T) {
	for _, tc := range []struct {
		site, tool int
		updates    bool
	}{{1, 0, true}, {0, 1, false}, {-1, 1, true}, {-1, 0, false}} {
		t.Run(fmt.Sprintf("site %d tool %d", tc.site, tc.tool), func(t *testing.T) {
			e := newEnv(t)
			if err := settings.Set(context.Background(), e.db, "userprofileupdate", strconv.Itoa(tc.site)); err != nil {
				t.Fatal(err)
			}
			tool := e.courseTool(func(t *store.Tool) { t.UserProfileUpdate = tc.tool })
			e.wantRedirect(e.launch(tool, launchForm("1")), "/course/view.php?id=3")
			created := e.now.Unix()
			e.now = e.now.Add(time.Minute)
			e.wantRedirect(e.launch(tool, launchForm("1", "lis_person_name_given", "Renamed",
				"lis_person_contact_email_primary", "new@lms.example")), "/course/view.php?id=3")
			u := e.row("SELECT * FROM {user} WHERE username = ?", username("consumer-A", "1"))
			updated := e.tdb.Count(t, "logstore_standard_log", "eventname = ?", `\core\event\user_updated`)
			if tc.updates {
				wantFields(t, "user", u, map[string]any{"firstname": "Renamed", "email": "new@lms.example",
					"timecreated": created, "timemodified": e.now.Unix()})
				if updated != 1 {
					t.Errorf("%d user_updated events", updated)
				}
				wantFields(t, "user_updated", e.row("SELECT * FROM {logstore_standard_log} WHERE eventname = ?", `\core\event\user_updated`),
					map[string]any{"crud": "u", "objectid": u["id"], "relateduserid": u["id"], "contextlevel": 30, "userid": 0})
			} else {
				wantFields(t, "user", u, map[string]any{"firstname": "Given1", "email": "user1@lms.example", "timemodified": created})
				if updated != 0 {
					t.Errorf("%d user_updated events", updated)
				}
			}
		})
	}
}

// The launches the real Moodle 4.5.6 sent verify, and provision their
// users.
func TestRealMoodleLaunches(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.WWWRoot = "https://localhost:8443" })
	tool := e.courseTool(func(t *store.Tool) { t.Secret = "sidecarsecret1" })
	if tool.ID != 1 {
		t.Fatalf("tool id %d, the launches are for id 1", tool.ID)
	}
	for file, role := range map[string]string{"launch-moodle45-learner.json": "5", "launch-moodle45-instructor.json": "3"} {
		b, err := os.ReadFile("../oauth1/testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		var l struct {
			URL    string            `json:"url"`
			Params map[string]string `json:"params"`
		}
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		f := url.Values{}
		for k, v := range l.Params {
			f.Set(k, v)
		}
		e.wantRedirect(e.post("?id=1", f), "/course/view.php?id=3")
		uid := e.userID("consumer-A", l.Params["user_id"])
		wantFields(t, file, e.row("SELECT * FROM {user} WHERE id = ?", uid), map[string]any{
			"firstname": l.Params["lis_person_name_given"], "lastname": l.Params["lis_person_name_family"],
			"email": l.Params["lis_person_contact_email_primary"]})
		wantFields(t, file, e.row("SELECT * FROM {role_assignments} WHERE userid = ?", uid), map[string]any{"roleid": role, "contextid": 13})
		// The same bytes again: a replay.
		e.wantPage(e.post("?id=1", f), http.StatusUnauthorized, "already used")
	}
}

// The launch's custom_* switches turn the tool's layout settings on (never
// off), and custom_custom_css replaces the tool's CSS.
func TestLayoutOverrides(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool(func(t *store.Tool) { t.ForceNavigation, t.HidePageFooter, t.CustomCSS = false, true, "a{}" })
	e.wantRedirect(e.launch(tool, launchForm("1", "custom_hide_page_header", "1", "custom_hide_left_blocks", "yes",
		"custom_force_navigation", "0", "custom_hide_page_footer", "0", "custom_custom_css", "b{}")), "/course/view.php?id=3")
	l, err := store.GetLaunch(context.Background(), e.db, mustInt(e.userID("consumer-A", "1")))
	if err != nil {
		t.Fatal(err)
	}
	want := store.Layout{HidePageHeader: true, HideLeftBlocks: true, HidePageFooter: true, CustomCSS: "b{}", ContextID: 13, CourseID: 3}
	if l.Layout != want {
		t.Errorf("layout %+v, want %+v", l.Layout, want)
	}
	e.wantRedirect(e.launch(tool, launchForm("1")), "/course/view.php?id=3")
	l, _ = store.GetLaunch(context.Background(), e.db, l.UserID)
	if l.Layout.HidePageHeader || !l.Layout.HidePageFooter || l.Layout.CustomCSS != "a{}" {
		t.Errorf("the next launch's layout %+v", l.Layout)
	}
}
