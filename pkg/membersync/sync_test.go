package membersync_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/membersync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/netguard"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/picture"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/provision"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The fixture: course PROV1 (id 3, context 13) with its manual instance
// (enrol 4); student1 (id 3) is enrolled there as a local student. The
// tests enrol teacher1 (id 4) there as a local editing teacher.
const (
	courseID  = 3
	courseCtx = 13
	keyA      = "consumer-A"
	keyB      = "consumer-B"
	secret    = "s3cret"
)

type env struct {
	t      *testing.T
	db     *database.DB
	tdb    *testdb.DB
	tool   *store.Tool
	roster *rosterServer
	now    time.Time
}

func setup(t *testing.T, mode int) *env {
	t.Helper()
	db, tdb := testenv.DB(t)
	e := &env{t: t, db: db, tdb: tdb, now: time.Now()}
	// A local teacher, enrolled by hand in the course.
	tdb.Exec(t, "INSERT INTO {user_enrolments} (status, enrolid, userid, timestart, timeend, modifierid, timecreated, timemodified) VALUES (0, 4, 4, 0, 0, 2, 1, 1)")
	tdb.Exec(t, "INSERT INTO {role_assignments} (roleid, contextid, userid, timemodified, modifierid) VALUES (3, 13, 4, 1, 2)")
	e.tool = e.newTool(mode)
	e.roster = newRosterServer(keyA, secret, "ctx-1")
	t.Cleanup(e.roster.Close)
	// The instructor who launched the tool from the consumer, which sent
	// its memberships service.
	e.launch(e.tool, keyA, membersync.Member{UserID: "teach-1", Roles: "Instructor", GivenName: "Ian", FamilyName: "Structor"}, true, e.roster.URL, "ctx-1")
	return e
}

func (e *env) newTool(mode int) *store.Tool {
	tool := store.NewTool(courseID, courseCtx, 3, 5, e.now.Unix())
	tool.Secret, tool.SyncMembers, tool.SyncMode, tool.SyncPeriod = secret, true, mode, 1800
	if err := store.InsertTool(context.Background(), e.db, tool); err != nil {
		e.t.Fatal(err)
	}
	return tool
}

// launch does what a launch of member m does: provision (user, enrolment)
// and the per-tool user row with the memberships service.
func (e *env) launch(tool *store.Tool, key string, m membersync.Member, instructor bool, url, id string) int64 {
	e.t.Helper()
	ctx := context.Background()
	site, _ := moodle.LoadSite(ctx, e.db, nil)
	st, _ := settings.Load(ctx, e.db)
	pe := provision.Env{Site: site, Settings: st, Actor: moodle.Actor{Time: e.now.Unix()}}
	course, _ := moodle.ContextOf(ctx, e.db, moodle.ContextCourse, courseID)
	var uid int64
	err := e.db.WithTx(ctx, func(tx *database.Tx) error {
		res, err := provision.User(ctx, tx, pe, tool, provision.Person{ConsumerKey: key, UserID: m.UserID, GivenName: m.GivenName, FamilyName: m.FamilyName})
		if err != nil {
			return err
		}
		uid = res.User.ID
		if _, err := provision.Enrol(ctx, tx, pe, provision.EnrolRequest{Tool: tool, Course: course, UserID: uid, Instructor: instructor}); err != nil {
			return err
		}
		return store.RecordToolUserLaunch(ctx, tx, store.ToolUserLaunch{ToolID: tool.ID, UserID: uid, ConsumerKey: key,
			MembershipsURL: url, MembershipsID: id, Now: e.now.Unix()})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return uid
}

func (e *env) syncer() *membersync.Syncer {
	return &membersync.Syncer{DB: e.db, Now: func() time.Time { return e.now },
		Fetcher: &membersync.Fetcher{Guard: &netguard.Guard{Allow: loopback, Timeout: 5 * time.Second}}}
}

func (e *env) run(o membersync.Options) membersync.ToolResult {
	e.t.Helper()
	if o.ToolIDs == nil {
		o.ToolIDs = []int64{e.tool.ID}
	}
	res, err := e.syncer().Run(context.Background(), o)
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	return res.Tools[0]
}

// user returns the Moodle user of a consumer's member, 0 if none.
func (e *env) user(key, memberID string) int64 {
	id, err := moodle.UserIDByUsernames(context.Background(), e.db, 1, provision.Username(key, memberID))
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// enrolledAs returns the user's course roles in PROV1 if they have a
// manual enrolment there, nil otherwise.
func (e *env) enrolledAs(uid int64) []string {
	if e.tdb.Count(e.t, "user_enrolments", "enrolid = 4 AND userid = ?", uid) == 0 {
		return nil
	}
	roles := []string{}
	for _, r := range e.tdb.Rows(e.t, "SELECT roleid FROM {role_assignments} WHERE contextid = 13 AND userid = ? ORDER BY roleid", uid) {
		roles = append(roles, r["roleid"].(string))
	}
	return roles
}

var (
	ann  = membersync.Member{UserID: "ann", Roles: "Learner", GivenName: "Ann", FamilyName: "Lee", Email: "ann@example.edu"}
	bob  = membersync.Member{UserID: "bob", Roles: "urn:lti:role:ims/lis/Learner", GivenName: "Bob", FamilyName: "Ray"}
	dave = membersync.Member{UserID: "dave", Roles: "urn:lti:role:ims/lis/Instructor", GivenName: "Dave", FamilyName: "Teach"}
	ian  = membersync.Member{UserID: "teach-1", Roles: "Instructor", GivenName: "Ian", FamilyName: "Structor"}
)

// syncmode 1: new members are created and enrolled as a launch would;
// members who left are unenrolled; local teachers and students, and users
// another consumer brought in, are never touched.
func TestEnrolAndUnenrol(t *testing.T) {
	e := setup(t, store.SyncEnrolAndUnenrol)
	// Another consumer brought carol into the same course through another
	// tool.
	toolB := e.newTool(store.SyncEnrolAndUnenrol)
	carol := e.launch(toolB, keyB, membersync.Member{UserID: "carol", GivenName: "Carol"}, false, "", "")

	e.roster.set(ian, ann, bob, dave)
	r := e.run(membersync.Options{})
	if r.Status != "ok" || r.Members != 4 || r.Created != 3 || r.Enrolled != 3 || r.Unenrolled != 0 {
		t.Fatalf("%+v", r)
	}
	// Learners get the tool's learner role, instructors its instructor role.
	if got := e.enrolledAs(e.user(keyA, "ann")); fmt.Sprint(got) != "[5]" {
		t.Errorf("ann: %v", got)
	}
	if got := e.enrolledAs(e.user(keyA, "dave")); fmt.Sprint(got) != "[3]" {
		t.Errorf("dave: %v", got)
	}
	// As a launch: profile from the roster, the plugin's username, a
	// per-tool user row with the consumer key.
	row := e.tdb.Rows(t, "SELECT firstname, lastname, email, auth FROM {user} WHERE id = ?", e.user(keyA, "ann"))[0]
	if row["firstname"] != "Ann" || row["lastname"] != "Lee" || row["email"] != "ann@example.edu" || row["auth"] != "nologin" {
		t.Errorf("%v", row)
	}
	if n := e.tdb.Count(t, "local_ltiprovider_user", "toolid = ? AND userid = ? AND consumerkey = ?", e.tool.ID, e.user(keyA, "bob"), keyA); n != 1 {
		t.Errorf("bob's tool row: %d", n)
	}
	if n := e.tdb.Count(t, "local_ltiprovider_memberlog", "toolid = ? AND action = 'enrolled'", e.tool.ID); n != 3 {
		t.Errorf("%d enrolments logged", n)
	}
	if st, err := store.GetMemberSyncStatus(context.Background(), e.db, e.tool.ID); err != nil || st.Status != "ok" || st.Created != 3 {
		t.Errorf("%+v %v", st, err)
	}

	// Worst cases: the local teacher with a row of this tool and key (a
	// plugin-era oddity), and a user consumer B also brought in.
	e.tdb.Exec(t, "INSERT INTO {local_ltiprovider_user} (userid, toolid, consumerkey) VALUES (4, ?, ?)", e.tool.ID, keyA)
	both := e.launch(e.tool, keyA, membersync.Member{UserID: "both", GivenName: "Both"}, false, "", "")
	e.tdb.Exec(t, "INSERT INTO {local_ltiprovider_user} (userid, toolid, consumerkey) VALUES (?, ?, ?)", both, toolB.ID, keyB)

	// Bob leaves the consumer's course.
	e.roster.set(ian, ann, dave)
	e.now = e.now.Add(time.Hour)
	logBefore := e.tdb.Count(t, "logstore_standard_log", "eventname = ?", `\core\event\user_enrolment_deleted`)
	r = e.run(membersync.Options{})
	if r.Unenrolled != 1 || r.Created != 0 || r.Enrolled != 0 {
		t.Fatalf("%+v", r)
	}
	if e.enrolledAs(e.user(keyA, "bob")) != nil {
		t.Error("bob still enrolled")
	}
	for name, uid := range map[string]int64{"student1 (local student)": 3, "teacher1 (local teacher)": 4,
		"carol (another consumer)": carol, "ann": e.user(keyA, "ann"), "ian": e.user(keyA, "teach-1"),
		"a user consumer B also brought in": both} {
		if e.enrolledAs(uid) == nil {
			t.Errorf("%s was unenrolled", name)
		}
	}
	if e.tdb.Count(t, "logstore_standard_log", "eventname = ?", `\core\event\user_enrolment_deleted`) != logBefore+1 {
		t.Error("no user_enrolment_deleted event")
	}
	if n := e.tdb.Count(t, "local_ltiprovider_memberlog", "toolid = ? AND action = 'unenrolled' AND userid = ?", e.tool.ID, e.user(keyA, "bob")); n != 1 {
		t.Errorf("unenrolment logged %d times", n)
	}
	// Bob comes back: enrolled again.
	e.roster.set(ian, ann, bob, dave)
	e.now = e.now.Add(time.Hour)
	if r = e.run(membersync.Options{}); r.Enrolled != 1 || r.Created != 0 {
		t.Fatalf("%+v", r)
	}
}

func TestEnrolNewOnly(t *testing.T) {
	e := setup(t, store.SyncEnrolNew)
	e.roster.set(ian, ann, bob)
	if r := e.run(membersync.Options{}); r.Created != 2 {
		t.Fatalf("%+v", r)
	}
	e.roster.set(ian, dave)
	e.now = e.now.Add(time.Hour)
	r := e.run(membersync.Options{})
	if r.Created != 1 || r.Unenrolled != 0 || e.enrolledAs(e.user(keyA, "bob")) == nil {
		t.Fatalf("%+v", r)
	}
}

func TestUnenrolMissingOnly(t *testing.T) {
	e := setup(t, store.SyncUnenrolMissing)
	bobID := e.launch(e.tool, keyA, bob, false, "", "")
	e.roster.set(ian, ann) // ann is new, bob left
	r := e.run(membersync.Options{})
	if r.Created != 0 || r.Enrolled != 0 || r.Unenrolled != 1 || e.user(keyA, "ann") != 0 || e.enrolledAs(bobID) != nil {
		t.Fatalf("%+v", r)
	}
	if e.enrolledAs(e.user(keyA, "teach-1")) == nil || e.enrolledAs(4) == nil || e.enrolledAs(3) == nil {
		t.Fatal("a current member or a local user was unenrolled")
	}
}

// A consumer that fails, or answers with nobody, unenrols nobody; the tool
// is tried again in 30 minutes rather than after syncperiod.
func TestNoUnenrolmentOnFailedOrEmptyRoster(t *testing.T) {
	e := setup(t, store.SyncEnrolAndUnenrol)
	bobID := e.launch(e.tool, keyA, bob, false, "", "")
	e.tool.SyncPeriod = 86400
	store.UpdateTool(context.Background(), e.db, e.tool)

	e.roster.status, e.roster.raw = 503, "down"
	r := e.run(membersync.Options{})
	if r.Status != "failed" || r.Unenrolled != 0 || e.enrolledAs(bobID) == nil || !strings.Contains(r.Err.Error(), "HTTP 503") {
		t.Fatalf("%+v", r)
	}
	last, _ := store.LastMemberSync(context.Background(), e.db, e.tool.ID)
	if next := last + 86400 - e.now.Unix(); next != 1800 {
		t.Fatalf("next try in %d s", next)
	}
	st, _ := store.GetMemberSyncStatus(context.Background(), e.db, e.tool.ID)
	if st.Status != "failed" || !strings.Contains(st.Error.String, "HTTP 503") {
		t.Fatalf("%+v", st)
	}

	e.roster.status, e.roster.raw = 0, ""
	e.roster.set() // nobody
	r = e.run(membersync.Options{Force: true})
	if r.Unenrolled != 0 || e.enrolledAs(bobID) == nil || !strings.Contains(strings.Join(r.Lines, "\n"), "listed no members") {
		t.Fatalf("%+v", r)
	}
}

func TestSyncPeriodAndDryRun(t *testing.T) {
	e := setup(t, store.SyncEnrolAndUnenrol)
	bobID := e.launch(e.tool, keyA, bob, false, "", "")
	// The plugin's last sync time of this tool is honoured.
	store.SetLastMemberSync(context.Background(), e.db, e.tool.ID, e.now.Unix()-60)
	e.roster.set(ian, ann)
	if r := e.run(membersync.Options{}); r.Status != "skipped" || e.roster.requests != 0 {
		t.Fatalf("%+v", r)
	}
	// A dry run reads the roster and changes nothing.
	before := e.tdb.Snapshot(t)
	r := e.run(membersync.Options{Force: true, DryRun: true})
	if r.Created != 1 || r.Unenrolled != 1 || e.roster.requests != 1 {
		t.Fatalf("%+v", r)
	}
	e.tdb.AssertUnchanged(t, before)
	if e.enrolledAs(bobID) == nil {
		t.Fatal("dry run unenrolled")
	}
	// Once syncperiod has passed it runs.
	e.now = e.now.Add(31 * time.Minute)
	if r := e.run(membersync.Options{}); r.Status != "ok" || r.Created != 1 || r.Unenrolled != 1 {
		t.Fatalf("%+v", r)
	}
}

// The tool's rules apply as in a launch: a full course refuses new members
// (listed, skipped) and the others go on; existing users' profiles follow
// the profile update policy.
func TestEnrolmentRulesAndProfilePolicy(t *testing.T) {
	e := setup(t, store.SyncEnrolAndUnenrol)
	e.tool.MaxEnrolled = 2 // ian and one more
	store.UpdateTool(context.Background(), e.db, e.tool)
	e.roster.set(ian, ann, bob)
	r := e.run(membersync.Options{})
	if r.Status != "partial" || r.Enrolled != 1 || r.Skipped != 1 || !strings.Contains(strings.Join(r.Lines, "\n"), "This course is full") {
		t.Fatalf("%+v", r)
	}
	if e.user(keyA, "bob") != 0 {
		t.Fatal("a refused member's user was kept")
	}
	// Profile policy: always (the default) updates, never does not.
	renamed := ian
	renamed.FamilyName = "Renamed"
	e.roster.set(renamed, ann)
	e.now = e.now.Add(time.Hour)
	e.run(membersync.Options{})
	if e.tdb.Rows(t, "SELECT lastname FROM {user} WHERE id = ?", e.user(keyA, "teach-1"))[0]["lastname"] != "Renamed" {
		t.Fatal("profile not updated")
	}
	settings.Set(context.Background(), e.db, "userprofileupdate", "0")
	renamed.FamilyName = "Again"
	e.roster.set(renamed, ann)
	e.now = e.now.Add(time.Hour)
	e.run(membersync.Options{})
	if e.tdb.Rows(t, "SELECT lastname FROM {user} WHERE id = ?", e.user(keyA, "teach-1"))[0]["lastname"] != "Renamed" {
		t.Fatal("profile updated against the policy")
	}
}

// A tool that binds its consumer keys reads rosters of those keys only.
func TestUnboundKeyIgnored(t *testing.T) {
	e := setup(t, store.SyncEnrolAndUnenrol)
	bobID := e.launch(e.tool, keyA, bob, false, "", "")
	if err := store.BindConsumerKey(context.Background(), e.db, e.tool.ID, keyB, e.now.Unix()); err != nil {
		t.Fatal(err)
	}
	e.roster.set(ian)
	r := e.run(membersync.Options{})
	if e.roster.requests != 0 || r.Unenrolled != 0 || e.enrolledAs(bobID) == nil ||
		!strings.Contains(strings.Join(r.Lines, "\n"), "consumer key consumer-A is not accepted") {
		t.Fatalf("%+v", r)
	}
}

type pictureQueue struct{ got []picture.Request }

func (p *pictureQueue) Queue(_ context.Context, r picture.Request) error {
	p.got = append(p.got, r)
	return nil
}

// Members' pictures are handed to the picture updater as a launch's would
// be (the plugin synced photos after members): only valid http(s) URLs,
// replacing a picture only for users the sync created.
func TestMemberPicturesQueued(t *testing.T) {
	e := setup(t, store.SyncEnrolNew)
	withPic, badPic := ann, bob
	withPic.Image, badPic.Image = "https://img.example.edu/ann.png?size=large", "javascript:alert(1)"
	e.roster.set(ian, withPic, badPic)
	pics := &pictureQueue{}
	s := e.syncer()
	s.Pictures = pics
	if _, err := s.Run(context.Background(), membersync.Options{ToolIDs: []int64{e.tool.ID}, Force: true}); err != nil {
		t.Fatal(err)
	}
	if len(pics.got) != 1 {
		t.Fatalf("pictures queued: %+v", pics.got)
	}
	if got := pics.got[0]; got.UserID != e.user(keyA, "ann") || got.URL != withPic.Image || !got.Replace {
		t.Fatalf("picture request %+v", got)
	}
}
