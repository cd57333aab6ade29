package launch

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

const globalSecret = "global-secret-1"

// contentEnv is newEnv with the rich template course of pkg/coursecopy
// (content of every kind, written by a real Moodle), a global shared secret,
// and instructors allowed to create activities.
func contentEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	f, err := os.Open("../coursecopy/testdata/tpl1-rich.sql")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if _, err := e.tdb.SQL.Exec(strings.Replace(sc.Text(), "`mdl_", "`"+e.tdb.Prefix, 1)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for k, v := range map[string]string{"globalsharedsecret": globalSecret, "rolesallowedcreateresources": "Instructor,Administrator"} {
		if err := settings.Set(ctx, e.db, k, v); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// byContext is a launch without a tool id, signed with the global secret.
func (e *env) byContext(form ...string) *http.Response {
	e.t.Helper()
	return e.post("", e.signed(e.launchURL(""), "consumer-A", globalSecret, launchForm("1001", form...)))
}

// A launch asking for its context's course creates it once, from the
// template, for a role that may; later launches of the context enter it.
func TestLaunchCreatesContext(t *testing.T) {
	e := contentEnv(t)
	create := []string{"context_id", "NEW-CTX", "context_title", "New course", "context_label", "NEW1",
		"custom_create_context", "1", "custom_context_template", "TPL1", "resource_link_id", "link-9"}
	// A learner may not create it; nothing is written.
	before := e.tdb.Snapshot(t)
	e.wantConsumerError(e.byContext(append(create, "roles", "Learner")...), "https://lms.example/mod/lti/return.php", "may not create courses")
	e.tdb.Exec(t, "DELETE FROM {local_ltiprovider_nonce}")
	e.tdb.AssertUnchanged(t, before)

	resp := e.byContext(append(create, "roles", "urn:lti:instrole:ims/lis/Administrator,Instructor")...)
	course := e.row("SELECT id, fullname, shortname FROM {course} WHERE idnumber = 'NEW-CTX'")
	e.wantRedirect(resp, fmt.Sprintf("/course/view.php?id=%v", course["id"]))
	if course["fullname"] != "New course" || course["shortname"] != "NEW1" {
		t.Errorf("course %v", course)
	}
	if n, m := e.tdb.Count(t, "course_modules", "course = ?", course["id"]), e.tdb.Count(t, "course_modules", "course = 2"); n != m {
		t.Errorf("%d modules copied of %d", n, m)
	}
	// The instructor is its teacher; the tool bound their consumer key.
	tool := e.row("SELECT id, secret FROM {local_ltiprovider} WHERE courseid = ?", course["id"])
	if tool["secret"] != globalSecret {
		t.Errorf("tool %v", tool)
	}
	if n := e.tdb.Count(t, "role_assignments", "userid = ? AND roleid = 3", e.userID("consumer-A", "1001")); n != 1 {
		t.Errorf("instructor has %d teacher roles", n)
	}
	if n := e.tdb.Count(t, "local_ltiprovider_consumer", "toolid = ? AND consumerkey = 'consumer-A'", tool["id"]); n != 1 {
		t.Error("consumer key not bound to the new tool")
	}
	// A learner of the context now enters the course; no second course.
	e.wantRedirect(e.post("", e.signed(e.launchURL(""), "consumer-A", globalSecret, launchForm("1002", append(create, "roles", "Learner")...))),
		fmt.Sprintf("/course/view.php?id=%v", course["id"]))
	if n := e.tdb.Count(t, "course", "idnumber = 'NEW-CTX'"); n != 1 {
		t.Errorf("%d courses", n)
	}
	// Another consumer key with the global secret is refused by the tool.
	e.wantConsumerError(e.post("", e.signed(e.launchURL(""), "consumer-B", globalSecret, launchForm("1003", create...))),
		"https://lms.example/mod/lti/return.php", "consumer key is not accepted")
	// A tool's own secret never creates a course (the plugin let it). The
	// tool has another secret than the global one, so an administrator
	// allows consumer-A's key for it.
	courseTool := e.courseTool()
	if err := store.BindConsumerKey(context.Background(), e.db, courseTool.ID, "consumer-A", e.now.Unix()); err != nil {
		t.Fatal(err)
	}
	resp = e.post(fmt.Sprintf("?id=%d", courseTool.ID), e.signed(e.launchURL(fmt.Sprintf("?id=%d", courseTool.ID)), "consumer-A",
		courseTool.Secret, launchForm("1001", "context_id", "OTHER-CTX", "custom_create_context", "1", "roles", "Administrator")))
	e.wantRedirect(resp, "/course/view.php?id=3")
	if n := e.tdb.Count(t, "course", "idnumber = 'OTHER-CTX'"); n != 0 {
		t.Error("a tool's secret created a course")
	}
}

// custom_resource_link_copy_id copies the activity once, for roles that may
// create activities; the link then leads to the copy.
func TestLaunchCopiesResourceOnce(t *testing.T) {
	e := contentEnv(t)
	tool := e.courseTool()
	copyForm := []string{"resource_link_id", "link-q", "custom_resource_link_copy_id", "TPL-QUIZ"}
	// A learner first: the activity is not set up yet.
	e.wantConsumerError(e.launch(tool, launchForm("1002", copyForm...)), "https://lms.example/mod/lti/return.php", "not been set up")
	resp := e.launch(tool, launchForm("1001", append(copyForm, "roles", "Instructor")...))
	cm := e.row("SELECT id, course FROM {course_modules} WHERE idnumber = 'link-q'")
	e.wantRedirect(resp, fmt.Sprintf("/mod/quiz/view.php?id=%v", cm["id"]))
	if cm["course"] != "3" {
		t.Errorf("copy in course %v", cm["course"])
	}
	// Again, for anyone: the same copy.
	e.wantRedirect(e.launch(tool, launchForm("1002", copyForm...)), fmt.Sprintf("/mod/quiz/view.php?id=%v", cm["id"]))
	e.wantRedirect(e.launch(tool, launchForm("1001", append(copyForm, "roles", "Instructor")...)), fmt.Sprintf("/mod/quiz/view.php?id=%v", cm["id"]))
	if n := e.tdb.Count(t, "course_modules", "idnumber = 'link-q'"); n != 1 {
		t.Errorf("%d copies", n)
	}
	// The copy's tool has the course tool's secret.
	if n := e.tdb.Count(t, "local_ltiprovider", "contextid = (SELECT id FROM {context} WHERE contextlevel = 70 AND instanceid = ?) AND secret = ?",
		cm["id"], tool.Secret); n != 1 {
		t.Errorf("copy's tools: %d", n)
	}
}

// custom_resource_link_type + title creates the activity in section 1 and
// lands its creator on its settings; later launches go to it.
func TestLaunchCreatesResource(t *testing.T) {
	e := contentEnv(t)
	tool := e.courseTool()
	form := []string{"resource_link_id", "link-p", "custom_resource_link_type", "page", "resource_link_title", "Reading",
		"resource_link_description", "<p>Read this</p>", "roles", "Instructor"}
	resp := e.launch(tool, launchForm("1001", form...))
	cm := e.row("SELECT cm.id, s.section, p.name, p.intro FROM {course_modules} cm JOIN {course_sections} s ON s.id = cm.section " +
		"JOIN {page} p ON p.id = cm.instance WHERE cm.idnumber = 'link-p'")
	e.wantRedirect(resp, fmt.Sprintf("/course/modedit.php?update=%v", cm["id"]))
	if cm["section"] != "1" || cm["name"] != "Reading" || cm["intro"] != "<p>Read this</p>" {
		t.Errorf("page %v", cm)
	}
	e.wantRedirect(e.launch(tool, launchForm("1002", form...)), fmt.Sprintf("/mod/page/view.php?id=%v", cm["id"]))
	// An assignment, by the instructor who launched: theirs are its events.
	resp = e.launch(tool, launchForm("1003", "resource_link_id", "link-a", "custom_resource_link_type", "assign",
		"resource_link_title", "Essay", "roles", "Instructor"))
	a := e.row("SELECT cm.id, a.name, a.duedate, a.nosubmissions FROM {course_modules} cm JOIN {assign} a ON a.id = cm.instance " +
		"WHERE cm.idnumber = 'link-a'")
	e.wantRedirect(resp, fmt.Sprintf("/course/modedit.php?update=%v", a["id"]))
	creator := e.row("SELECT userid FROM {logstore_standard_log} WHERE eventname LIKE '%course_module_created' AND objectid = ?", a["id"])
	if a["name"] != "Essay" || a["duedate"] == "0" || a["nosubmissions"] != "0" || creator["userid"] == "0" ||
		e.tdb.Count(t, "event", "modulename = 'assign' AND eventtype IN ('due', 'gradingdue') AND userid = ?", creator["userid"]) != 2 {
		t.Errorf("assignment %v, created by %v", a, creator)
	}
	// A type the service cannot create is a clear refusal.
	e.wantConsumerError(e.launch(tool, launchForm("1001", "resource_link_id", "link-x", "custom_resource_link_type", "workshop",
		"resource_link_title", "Peer review", "roles", "Instructor")), "https://lms.example/mod/lti/return.php", "cannot be created")
	// Learners may not create.
	e.wantConsumerError(e.launch(tool, launchForm("1002", "resource_link_id", "link-y", "custom_resource_link_type", "page",
		"resource_link_title", "X")), "https://lms.example/mod/lti/return.php", "not been set up")
}

// Creating an activity is create_module(), which Moodle allows only to a
// user with moodle/course:manageactivities and mod/<type>:addinstance in
// the course: an LTI role listed in rolesallowedcreateresources is not
// enough. A refused launch writes nothing.
func TestLaunchCreatesResourceOnlyWithMoodlesCapabilities(t *testing.T) {
	e := contentEnv(t)
	form := func(nonce, link, kind string) url.Values {
		return launchForm(nonce, "resource_link_id", link, "custom_resource_link_type", kind, "resource_link_title", "New "+kind,
			"roles", "Instructor", "user_id", "creator-"+nonce)
	}
	// Instructors get the non-editing teacher role: no manageactivities.
	viewer := e.courseTool(func(t *store.Tool) { t.CRoleInst = 4 })
	users := e.tdb.Count(t, "user", "1=1")
	e.wantConsumerError(e.launch(viewer, form("2001", "link-v", "page")), "https://lms.example/mod/lti/return.php",
		"moodle/course:manageactivities")
	if n := e.tdb.Count(t, "course_modules", "idnumber = 'link-v'"); n != 0 || e.tdb.Count(t, "user", "1=1") != users {
		t.Fatalf("a refused launch wrote: %d activities, %d users before, %d after", n, users, e.tdb.Count(t, "user", "1=1"))
	}
	// Editing teachers may add activities, but not quizzes where the course
	// prohibits it for them.
	editor := e.courseTool()
	e.tdb.Exec(t, `INSERT INTO {role_capabilities} (contextid, roleid, capability, permission, timemodified, modifierid)
		VALUES (13, 3, 'mod/quiz:addinstance', -1000, 1, 2)`)
	e.wantConsumerError(e.launch(editor, form("2002", "link-q", "quiz")), "https://lms.example/mod/lti/return.php",
		"mod/quiz:addinstance")
	resp := e.launch(editor, form("2003", "link-f", "forum"))
	cm := e.row("SELECT id FROM {course_modules} WHERE idnumber = 'link-f'")
	e.wantRedirect(resp, fmt.Sprintf("/course/modedit.php?update=%v", cm["id"]))
	// A copy adds an activity too: the same rule, and the copy is undone.
	modules := e.tdb.Count(t, "course_modules", "1=1")
	e.wantConsumerError(e.launch(viewer, launchForm("2004", "resource_link_id", "link-c", "custom_resource_link_copy_id", "TPL-QUIZ",
		"roles", "Instructor", "user_id", "copier")), "https://lms.example/mod/lti/return.php", "moodle/course:manageactivities")
	if n := e.tdb.Count(t, "course_modules", "1=1"); n != modules {
		t.Fatalf("a refused copy left %d course modules", n-modules)
	}
}
