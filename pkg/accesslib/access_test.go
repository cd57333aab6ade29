package accesslib_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/accesslib"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// Fixture facts (sql/fixture, ../shared/moodle/README.md).
const (
	admin    = 2
	student1 = 3 // student in PROV1 (ctx 13) and CONS1 (ctx 24)
	teacher1 = 4 // editingteacher in CONS1 (ctx 24)
	guest    = 1

	prov1Ctx = 13
	cons1Ctx = 24
	catCtx   = 11 // category LTICAT, parent of both courses
	cmCtx    = 19 // PROV-ASSIGN in PROV1

	manager        = 1
	editingteacher = 3
	teacherRole    = 4
	studentRole    = 5
)

type env struct {
	db  *database.DB
	tdb *testdb.DB
}

func newEnv(t *testing.T) *env {
	db, tdb := testenv.DB(t)
	return &env{db, tdb}
}

func (e *env) checker(t *testing.T) accesslib.Checker {
	site, err := moodle.LoadSite(context.Background(), e.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return accesslib.Checker{Q: e.db, Site: site}
}

func (e *env) ctx(t *testing.T, id int64) moodle.Context {
	c, err := moodle.GetContext(context.Background(), e.db, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// addUser inserts a confirmed local user as Moodle's user_create_user would
// for the columns that matter here, with its user context.
func (e *env) addUser(t *testing.T, username string) int64 {
	res := e.tdb.Exec(t, `INSERT INTO {user} (auth, confirmed, mnethostid, username, firstname, lastname, email, timecreated, timemodified)
		VALUES ('manual', 1, 1, ?, 'First', 'Last', ?, 1795754400, 1795754400)`, username, username+"@example.com")
	id, _ := res.LastInsertId()
	ctxRes := e.tdb.Exec(t, "INSERT INTO {context} (contextlevel, instanceid, depth, path, locked) VALUES (30, ?, 0, NULL, 0)", id)
	cid, _ := ctxRes.LastInsertId()
	e.tdb.Exec(t, "UPDATE {context} SET path = ?, depth = 2 WHERE id = ?", fmt.Sprintf("/1/%d", cid), cid)
	return id
}

func (e *env) assign(t *testing.T, role, user, ctx int64) {
	e.tdb.Exec(t, "INSERT INTO {role_assignments} (roleid, contextid, userid, timemodified, modifierid, component, itemid, sortorder) VALUES (?, ?, ?, 1795754400, 2, '', 0, 0)", role, ctx, user)
}

func (e *env) override(t *testing.T, role, ctx int64, capability string, perm int) {
	e.tdb.Exec(t, "INSERT INTO {role_capabilities} (contextid, roleid, capability, permission, timemodified, modifierid) VALUES (?, ?, ?, ?, 1795754400, 2) "+
		"ON DUPLICATE KEY UPDATE permission = VALUES(permission)", ctx, role, capability, perm)
}

func has(t *testing.T, c accesslib.Checker, e *env, user int64, capability string, ctx int64) bool {
	t.Helper()
	ok, err := c.HasCapability(context.Background(), user, capability, e.ctx(t, ctx))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestHasCapabilityWithTheFixtureRoles(t *testing.T) {
	e := newEnv(t)
	c := e.checker(t)
	cases := []struct {
		name       string
		user       int64
		capability string
		ctx        int64
		want       bool
	}{
		{"site admin anywhere", admin, "moodle/course:update", prov1Ctx, true},
		{"editing teacher in own course", teacher1, "moodle/course:update", cons1Ctx, true},
		{"editing teacher in a module of own course", teacher1, "moodle/course:update", 26, true},
		{"editing teacher in another course", teacher1, "moodle/course:update", prov1Ctx, false},
		{"student", student1, "moodle/course:update", prov1Ctx, false},
		{"student may view grades", student1, "moodle/grade:view", prov1Ctx, true},
		{"authenticated user role from the system context", student1, "moodle/user:changeownpassword", 1, true},
		{"anonymous never gets a write capability", 0, "moodle/course:update", prov1Ctx, false},
		{"guest account never gets a write capability", guest, "moodle/course:update", prov1Ctx, false},
		{"unknown capability", admin, "local/nothing:here", prov1Ctx, false},
		{"unknown user", 999, "moodle/grade:view", prov1Ctx, false},
	}
	for _, tc := range cases {
		if got := has(t, c, e, tc.user, tc.capability, tc.ctx); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestOverridesAndProhibit(t *testing.T) {
	e := newEnv(t)
	const cap = "moodle/course:update"
	// A manager assigned on the category manages every course in it.
	mgr := e.addUser(t, "catmanager")
	e.assign(t, manager, mgr, catCtx)
	// A non-editing teacher in PROV1.
	nonEditing := e.addUser(t, "nonediting")
	e.assign(t, teacherRole, nonEditing, prov1Ctx)
	e.assign(t, editingteacher, teacher1, prov1Ctx)
	c := e.checker(t)
	if !has(t, c, e, mgr, cap, prov1Ctx) || !has(t, c, e, mgr, cap, cons1Ctx) {
		t.Error("category manager cannot update courses of the category")
	}
	if has(t, c, e, nonEditing, cap, prov1Ctx) {
		t.Error("non-editing teacher may update the course")
	}
	if !has(t, c, e, teacher1, cap, prov1Ctx) {
		t.Fatal("editing teacher cannot update PROV1")
	}

	// Override: prevent for editing teachers in PROV1 only.
	e.override(t, editingteacher, prov1Ctx, cap, accesslib.Prevent)
	if has(t, c, e, teacher1, cap, prov1Ctx) {
		t.Error("prevent override in the course ignored")
	}
	if !has(t, c, e, teacher1, cap, cons1Ctx) {
		t.Error("override leaked into another course")
	}
	// A more specific allow in the module wins over the course's prevent.
	e.override(t, editingteacher, cmCtx, cap, accesslib.Allow)
	if !has(t, c, e, teacher1, cap, cmCtx) {
		t.Error("allow in the module context did not win over the course prevent")
	}
	// Allow for students in PROV1.
	e.override(t, studentRole, prov1Ctx, cap, accesslib.Allow)
	if !has(t, c, e, student1, cap, prov1Ctx) {
		t.Error("allow override for students ignored")
	}
	// Prohibit for students on the category beats the course allow, and
	// beats the user's other role too.
	e.assign(t, editingteacher, student1, cons1Ctx)
	if !has(t, c, e, student1, cap, cons1Ctx) {
		t.Fatal("student1 as editing teacher in CONS1 cannot update it")
	}
	e.override(t, studentRole, catCtx, cap, accesslib.Prohibit)
	if has(t, c, e, student1, cap, prov1Ctx) || has(t, c, e, student1, cap, cons1Ctx) {
		t.Error("prohibit on the category did not win")
	}
	// Site admins are never prohibited.
	e.override(t, manager, 1, cap, accesslib.Prohibit)
	e.assign(t, manager, admin, 1)
	if !has(t, c, e, admin, cap, prov1Ctx) {
		t.Error("site admin lost a capability to a prohibit")
	}
}

func TestContextLockingAndDeletedUsers(t *testing.T) {
	e := newEnv(t)
	e.tdb.Exec(t, "UPDATE {config} SET value = '1' WHERE name = 'contextlocking'")
	e.tdb.Exec(t, "UPDATE {context} SET locked = 1 WHERE id = ?", catCtx)
	c := e.checker(t)
	if has(t, c, e, teacher1, "moodle/course:update", cons1Ctx) {
		t.Error("write capability in a locked category")
	}
	if !has(t, c, e, student1, "moodle/grade:view", cons1Ctx) {
		t.Error("read capability denied by the lock")
	}
	// Moodle's default contextlockappliestoadmin = 1 locks admins out too.
	if has(t, c, e, admin, "moodle/course:update", cons1Ctx) {
		t.Error("admin not blocked by the lock with contextlockappliestoadmin on")
	}
	e.tdb.Exec(t, "UPDATE {config} SET value = '0' WHERE name = 'contextlockappliestoadmin'")
	c = e.checker(t)
	if !has(t, c, e, admin, "moodle/course:update", cons1Ctx) {
		t.Error("admin blocked by the lock with contextlockappliestoadmin off")
	}
	e.tdb.Exec(t, "UPDATE {user} SET deleted = 1 WHERE id = ?", student1)
	if has(t, c, e, student1, "moodle/grade:view", prov1Ctx) {
		t.Error("deleted user keeps capabilities")
	}
}

func TestAssignableRoles(t *testing.T) {
	e := newEnv(t)
	c := e.checker(t)
	names := func(user int64) []string {
		roles, err := c.AssignableRoles(context.Background(), user, e.ctx(t, cons1Ctx))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range roles {
			out = append(out, fmt.Sprintf("%d:%s", r.ID, r.DisplayName()))
		}
		return out
	}
	if got := fmt.Sprint(names(admin)); got != "[1:Manager 3:Teacher 4:Non-editing teacher 5:Student]" {
		t.Errorf("admin: %s", got)
	}
	if got := fmt.Sprint(names(teacher1)); got != "[4:Non-editing teacher 5:Student]" {
		t.Errorf("editing teacher: %s", got)
	}
	if got := names(student1); len(got) != 0 {
		t.Errorf("student: %v", got)
	}
	// A course's own name for a role is what its menus show.
	e.tdb.Exec(t, "INSERT INTO {role_names} (roleid, contextid, name) VALUES (5, ?, 'Learner <b>')", cons1Ctx)
	if got := fmt.Sprint(names(teacher1)); got != "[4:Non-editing teacher 5:Learner <b>]" {
		t.Errorf("with alias: %s", got)
	}
}

func TestCanAccessCourse(t *testing.T) {
	e := newEnv(t)
	c := e.checker(t)
	now := time.Unix(1795754400, 0)
	course := func(id int64) *moodle.Course {
		co, err := moodle.GetCourse(context.Background(), e.db, id)
		if err != nil {
			t.Fatal(err)
		}
		return co
	}
	can := func(user, courseID, ctx int64) bool {
		ok, err := c.CanAccessCourse(context.Background(), user, course(courseID), e.ctx(t, ctx), now)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !can(student1, 3, prov1Ctx) || !can(teacher1, 4, cons1Ctx) || !can(admin, 3, prov1Ctx) {
		t.Error("enrolled users or the admin refused")
	}
	if can(teacher1, 3, prov1Ctx) || can(0, 3, prov1Ctx) || can(guest, 3, prov1Ctx) {
		t.Error("not enrolled, anonymous or guest let in")
	}
	// A category manager views courses without enrolment.
	mgr := e.addUser(t, "mgr")
	e.assign(t, manager, mgr, catCtx)
	if !can(mgr, 3, prov1Ctx) {
		t.Error("category manager refused")
	}
	// Suspended enrolment, disabled instance, expired enrolment.
	e.tdb.Exec(t, "UPDATE {user_enrolments} SET status = 1 WHERE userid = ? AND enrolid = 4", student1)
	if can(student1, 3, prov1Ctx) {
		t.Error("suspended enrolment let in")
	}
	e.tdb.Exec(t, "UPDATE {user_enrolments} SET status = 0, timeend = ? WHERE userid = ? AND enrolid = 4", now.Unix()-1, student1)
	if can(student1, 3, prov1Ctx) {
		t.Error("expired enrolment let in")
	}
	e.tdb.Exec(t, "UPDATE {user_enrolments} SET timeend = 0 WHERE userid = ? AND enrolid = 4", student1)
	e.tdb.Exec(t, "UPDATE {enrol} SET status = 1 WHERE id = 4")
	if can(student1, 3, prov1Ctx) {
		t.Error("disabled enrolment instance let in")
	}
	e.tdb.Exec(t, "UPDATE {enrol} SET status = 0 WHERE id = 4")
	// Hidden course: teachers have viewhiddencourses, students do not.
	e.tdb.Exec(t, "UPDATE {course} SET visible = 0 WHERE id IN (3, 4)")
	if can(student1, 3, prov1Ctx) {
		t.Error("student let into a hidden course")
	}
	if !can(teacher1, 4, cons1Ctx) {
		t.Error("teacher refused from own hidden course")
	}
}
