package gradesync_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/gradesync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/netguard"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes/outcomestest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The fixture (sql/fixture, the reference site of ../shared/moodle):
// course PROV1 (id 3, context 13) with PROV-ASSIGN (cm 6, context 19,
// assign 2, grade item 4, max 100) and PROV-QUIZ (cm 9, grade item 5); the
// course total is grade item 3 (Natural, max 200). student1 (id 3) is
// enrolled and has 85 on PROV-ASSIGN, so a course total of 85 over the 100
// points they were graded on.
const (
	courseID      = 3
	courseContext = 13
	assignCM      = 6
	assignContext = 19
	assignItem    = 4
	quizItem      = 5
	courseItem    = 3
	student       = 3
	teacher       = 4
	key           = "consumer-A"
	secret        = "sidecarsecret1"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// clock is a settable clock shared by the job and the deliverer.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1795760000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newJob returns a grade job on db whose requests may reach loopback
// consumers, with no jitter so backoff is exact.
func newJob(db *database.DB, clk *clock) *gradesync.Job {
	return &gradesync.Job{
		DB:  db,
		Now: clk.Now,
		Deliverer: &gradesync.Deliverer{
			DB:     db,
			Client: &outcomes.Client{Guard: &netguard.Guard{Allow: loopback, Timeout: 5 * time.Second}, Now: clk.Now},
			Now:    clk.Now, Timeout: 5 * time.Second,
			Jitter: func(time.Duration) time.Duration { return 0 },
		},
	}
}

// newConsumer starts a fake consumer whose clock is clk.
func newConsumer(t *testing.T, clk *clock, secret string) *outcomestest.Consumer {
	c := outcomestest.New(key, secret)
	c.SetClock(clk.Now)
	t.Cleanup(c.Close)
	return c
}

func run(t *testing.T, j *gradesync.Job, o gradesync.Options) gradesync.Result {
	t.Helper()
	res, err := j.Run(context.Background(), o)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

// addTool creates a tool for a course or module context, as the plugin's
// edit form would, signed with secret.
func addTool(t *testing.T, db *database.DB, contextID int64, edit func(*store.Tool)) *store.Tool {
	t.Helper()
	tool := store.NewTool(courseID, contextID, 3, 5, 1795754326)
	tool.Secret = secret
	if edit != nil {
		edit(tool)
	}
	if err := store.InsertTool(context.Background(), db, tool); err != nil {
		t.Fatal(err)
	}
	return tool
}

// launch records what an LTI launch of user leaves for passback: an
// outcome row for the resource link.
func launch(t *testing.T, db *database.DB, tool *store.Tool, user int64, link, serviceURL, sourcedID string) {
	t.Helper()
	err := store.SaveOutcome(context.Background(), db, &store.Outcome{ToolID: tool.ID, UserID: user, ConsumerKey: key,
		ResourceLinkID: link, ServiceURL: serviceURL, SourcedID: sourcedID, TimeCreated: 1795754326, TimeModified: 1795754326})
	if err != nil {
		t.Fatal(err)
	}
}

// grade sets a user's grade for an activity item as Moodle's
// grade_update() leaves the rows (raw = final, the item's range), then
// regrades the course total the way Natural aggregation with "only graded
// items" does: the sum of the graded items, over the sum of their maxima.
// A nil grade removes the grade.
func grade(t testing.TB, tdb *testdb.DB, itemID, user int64, value *float64) {
	t.Helper()
	now := 1795754400
	var g any
	if value != nil {
		g = fmt.Sprintf("%.5f", *value)
	}
	tdb.Exec(t, `INSERT INTO {grade_grades} (itemid, userid, rawgrade, rawgrademax, rawgrademin, usermodified, finalgrade,
		timecreated, timemodified, aggregationstatus) SELECT id, ?, ?, grademax, grademin, 2, ?, ?, ?, 'used' FROM {grade_items} WHERE id = ?
		ON DUPLICATE KEY UPDATE rawgrade = VALUES(rawgrade), finalgrade = VALUES(finalgrade), timemodified = VALUES(timemodified),
		rawgrademax = VALUES(rawgrademax), rawgrademin = VALUES(rawgrademin)`, user, g, g, now, now, itemID)
	regradeCourse(t, tdb, user)
}

func regradeCourse(t testing.TB, tdb *testdb.DB, user int64) {
	t.Helper()
	tdb.Exec(t, `INSERT INTO {grade_grades} (itemid, userid, rawgrademax, rawgrademin, finalgrade, timemodified, aggregationstatus)
		SELECT ?, ?, COALESCE(SUM(gi.grademax), 0), 0, SUM(gg.finalgrade), 1795754400, 'unknown'
		  FROM {grade_grades} gg JOIN {grade_items} gi ON gi.id = gg.itemid
		 WHERE gi.courseid = ? AND gi.itemtype = 'mod' AND gg.userid = ? AND gg.finalgrade IS NOT NULL
		ON DUPLICATE KEY UPDATE finalgrade = VALUES(finalgrade), rawgrademax = IF(VALUES(rawgrademax) = 0, 100, VALUES(rawgrademax)),
		timemodified = VALUES(timemodified)`, courseItem, user, courseID, user)
}

func f(v float64) *float64 { return &v }

// enrol enrols a user in PROV1 with the manual instance (enrol 4) and the
// student role, as enrol_manual would.
func enrol(t testing.TB, tdb *testdb.DB, user int64) {
	t.Helper()
	tdb.Exec(t, "INSERT INTO {user_enrolments} (status, enrolid, userid, timestart, timeend, modifierid, timecreated, timemodified) VALUES (0, 4, ?, 0, 0, 2, 1795754319, 1795754319)", user)
	tdb.Exec(t, "INSERT INTO {role_assignments} (roleid, contextid, userid, timemodified, modifierid) VALUES (5, 13, ?, 1795754319, 2)", user)
}

// newUser adds a Moodle user like an LTI launch creates one.
func newUser(t testing.TB, tdb *testdb.DB, n int) int64 {
	t.Helper()
	res := tdb.Exec(t, `INSERT INTO {user} (auth, confirmed, mnethostid, username, firstname, lastname, email, timecreated, timemodified)
		VALUES ('nologin', 1, 1, ?, ?, 'LTI', ?, 1795754319, 1795754319)`,
		fmt.Sprintf("ltiprovider%032d", n), fmt.Sprintf("User%d", n), fmt.Sprintf("u%d@example.com", n))
	id, _ := res.LastInsertId()
	return id
}

func gradeRow(t *testing.T, tdb *testdb.DB, user int64) map[string]any {
	t.Helper()
	rows := tdb.Rows(t, "SELECT * FROM {local_ltiprovider_grade} WHERE userid = ? ORDER BY id", user)
	if len(rows) != 1 {
		t.Fatalf("%d grade rows for user %d", len(rows), user)
	}
	return rows[0]
}

// accepted returns the scores the consumer accepted for a sourcedid, in
// order ("delete" for a deletion).
func accepted(c *outcomestest.Consumer, sourcedID string) []string {
	var out []string
	for _, r := range c.Accepted() {
		if r.SourcedID != sourcedID {
			continue
		}
		if r.Operation == "deleteResult" {
			out = append(out, "delete")
		} else {
			out = append(out, r.Score)
		}
	}
	return out
}
