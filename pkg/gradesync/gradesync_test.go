package gradesync_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/gradesync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes/outcomestest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// The course total Moodle shows student1 is 85 over the 100 points they
// were graded on (Natural aggregation, per-user range), so 0.85 is sent,
// not 85/200.
func TestCourseTotalAsMoodleShowsIt(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, courseContext, nil)
	launch(t, db, tool, student, "link-1", c.URL, "src-course")
	res := run(t, newJob(db, clk), gradesync.Options{})
	if got := accepted(c, "src-course"); !reflect.DeepEqual(got, []string{"0.85"}) {
		t.Fatalf("consumer got %v (%+v)", got, res)
	}
	row := gradeRow(t, tdb, student)
	if row["state"] != "sent" || row["sentscore"] != "0.85" || row["score"] != "0.85" || row["attempts"] != "1" {
		t.Fatalf("%v", row)
	}
	if res.Plan.Queued != 1 || res.Delivery.Sent != 1 {
		t.Fatalf("%+v", res)
	}
	// The plugin's column tells when the tool was last looked at.
	if tdb.Rows(t, "SELECT lastsync FROM {local_ltiprovider} WHERE id = ?", tool.ID)[0]["lastsync"] == "0" {
		t.Fatal("lastsync not set")
	}
	// Nothing changed: the next run sends nothing.
	c.Reset()
	if res := run(t, newJob(db, clk), gradesync.Options{}); len(c.Log()) != 0 || res.Plan.Queued != 0 {
		t.Fatalf("resent: %v %+v", c.Log(), res)
	}
}

// Done when: a grade of 0 is sent, and 7.2 → 7.0 → 7.5 are all delivered
// (an activity graded out of 10).
func TestZeroAndEveryChangeDelivered(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tdb.Exec(t, "UPDATE {grade_items} SET grademax = 10 WHERE id = ?", assignItem)
	tool := addTool(t, db, assignContext, nil)
	launch(t, db, tool, student, "link-assign", c.URL, "src-assign")
	job := newJob(db, clk)
	for _, g := range []float64{0, 7.2, 7.0, 7.5} {
		grade(t, tdb, assignItem, student, f(g))
		run(t, job, gradesync.Options{})
		clk.Advance(5 * time.Minute)
	}
	if got := accepted(c, "src-assign"); !reflect.DeepEqual(got, []string{"0", "0.72", "0.7", "0.75"}) {
		t.Fatalf("consumer got %v", got)
	}
	if s, _ := c.Result("src-assign"); s != "0.75" {
		t.Fatalf("consumer holds %q", s)
	}
	row := gradeRow(t, tdb, student)
	if row["sentscore"] != "0.75" || row["state"] != "sent" {
		t.Fatalf("%v", row)
	}
}

// Done when: both completion modes.
func TestSendCompletionInsteadOfGrade(t *testing.T) {
	for _, tc := range []struct {
		name     string
		context  int64
		complete func(t *testing.T, tdb interface{})
	}{
		{"activity", assignContext, nil},
		{"course", courseContext, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, tdb := testenv.DB(t)
			clk := newClock()
			c := newConsumer(t, clk, secret)
			tdb.Exec(t, "UPDATE {course} SET enablecompletion = 1 WHERE id = ?", courseID)
			tdb.Exec(t, "UPDATE {course_modules} SET completion = 1 WHERE id = ?", assignCM)
			tool := addTool(t, db, tc.context, func(tool *store.Tool) { tool.SendCompletion = true })
			launch(t, db, tool, student, "l", c.URL, "src")
			run(t, newJob(db, clk), gradesync.Options{})
			// Not complete yet: 0 is sent (completion, not the grade of 85).
			if tc.context == assignContext {
				tdb.Exec(t, "INSERT INTO {course_modules_completion} (coursemoduleid, userid, completionstate, timemodified) VALUES (?, ?, 3, 1795754500)", assignCM, student)
			} else {
				tdb.Exec(t, "INSERT INTO {course_completions} (userid, course, timeenrolled, timestarted, timecompleted, reaggregate) VALUES (?, ?, 0, 1795754319, 1795754500, 0)", student, courseID)
			}
			clk.Advance(5 * time.Minute)
			run(t, newJob(db, clk), gradesync.Options{})
			// Completed (for the activity: completed with a failing grade,
			// which the plugin also counted as completed).
			if got := accepted(c, "src"); !reflect.DeepEqual(got, []string{"0", "1"}) {
				t.Fatalf("consumer got %v", got)
			}
		})
	}
}

func TestRequireCompletionWaits(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tdb.Exec(t, "UPDATE {course} SET enablecompletion = 1 WHERE id = ?", courseID)
	tdb.Exec(t, "UPDATE {course_modules} SET completion = 2 WHERE id = ?", assignCM)
	tool := addTool(t, db, assignContext, func(tool *store.Tool) { tool.RequireCompletion = true })
	launch(t, db, tool, student, "l", c.URL, "src")
	run(t, newJob(db, clk), gradesync.Options{})
	if len(c.Log()) != 0 || gradeRow(t, tdb, student)["hold"] != gradesync.HoldNotComplete {
		t.Fatalf("sent before completion: %v %v", c.Log(), gradeRow(t, tdb, student))
	}
	// Completed but failed on the pass grade: still not complete for
	// requirecompletion (as the plugin and enrol_lti).
	tdb.Exec(t, "INSERT INTO {course_modules_completion} (coursemoduleid, userid, completionstate, timemodified) VALUES (?, ?, 3, 1795754500)", assignCM, student)
	run(t, newJob(db, clk), gradesync.Options{})
	if len(c.Log()) != 0 {
		t.Fatalf("sent on a failed completion: %v", c.Log())
	}
	tdb.Exec(t, "UPDATE {course_modules_completion} SET completionstate = 2 WHERE coursemoduleid = ? AND userid = ?", assignCM, student)
	run(t, newJob(db, clk), gradesync.Options{})
	if got := accepted(c, "src"); !reflect.DeepEqual(got, []string{"0.85"}) {
		t.Fatalf("consumer got %v", got)
	}
	// Completion tracking switched off: held, with the reason, not sent.
	tdb.Exec(t, "UPDATE {course} SET enablecompletion = 0 WHERE id = ?", courseID)
	grade(t, tdb, assignItem, student, f(90))
	run(t, newJob(db, clk), gradesync.Options{})
	if row := gradeRow(t, tdb, student); row["hold"] != gradesync.HoldCompletionDisabled || row["sentscore"] != "0.85" {
		t.Fatalf("%v", row)
	}
}

// Done when: a consumer that is down and then back gets the grades once it
// is back, with nothing lost across a restart.
func TestConsumerDownThenBackAcrossRestart(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, courseContext, nil)
	users := []int64{student}
	for i := 0; i < 4; i++ {
		u := newUser(t, tdb, i)
		enrol(t, tdb, u)
		grade(t, tdb, assignItem, u, f(float64(10*i)))
		users = append(users, u)
	}
	for _, u := range users {
		launch(t, db, tool, u, "link", c.URL, fmt.Sprintf("src-%d", u))
	}
	c.SetFault(func(outcomestest.Request) *outcomestest.Fault { return &outcomestest.Fault{Drop: true} })
	res := run(t, newJob(db, clk), gradesync.Options{})
	if res.Delivery.Retried != 5 || len(c.Accepted()) != 0 {
		t.Fatalf("%+v", res)
	}
	for _, r := range tdb.Rows(t, "SELECT * FROM {local_ltiprovider_grade}") {
		if r["state"] != "pending" || r["attempts"] != "1" || !strings.Contains(fmt.Sprint(r["lasterror"]), "no answer from 127.0.0.1") {
			t.Fatalf("%v", r)
		}
	}
	// The service stops; the consumer comes back. A new process (its own
	// database pool, a fresh job) finds the queue and delivers it all,
	// once the retry is due.
	c.SetFault(nil)
	db2 := testenv.Open(t, tdb)
	clk.Advance(10 * time.Second)
	if res := run(t, newJob(db2, clk), gradesync.Options{}); res.Delivery.Sent != 0 {
		t.Fatalf("retried before due: %+v", res)
	}
	clk.Advance(10 * time.Minute)
	res = run(t, newJob(db2, clk), gradesync.Options{})
	if res.Delivery.Sent != 5 {
		t.Fatalf("%+v", res)
	}
	want := map[int64]string{student: "0.85", users[1]: "0", users[2]: "0.1", users[3]: "0.2", users[4]: "0.3"}
	for u, s := range want {
		if got := accepted(c, fmt.Sprintf("src-%d", u)); !reflect.DeepEqual(got, []string{s}) {
			t.Errorf("user %d: consumer got %v, want %s", u, got, s)
		}
	}
}

// A replica that dies while sending leaves a claim; once it expires the
// row is delivered by another.
func TestExpiredClaimOfDeadReplicaRetried(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, courseContext, nil)
	launch(t, db, tool, student, "link", c.URL, "src")
	run(t, newJob(db, clk), gradesync.Options{ToolIDs: []int64{tool.ID}})
	// Make the row pending again and claim it as a replica that then dies.
	tdb.Exec(t, "UPDATE {local_ltiprovider_grade} SET state = 'pending', sentscore = NULL, senttarget = ''")
	row := gradeRow(t, tdb, student)
	var id, version int64
	fmt.Sscan(row["id"].(string), &id)
	fmt.Sscan(row["version"].(string), &version)
	ok, err := store.ClaimGrade(context.Background(), db, id, version, "dead-replica", clk.Now().Add(time.Minute).Unix(), clk.Now().Unix())
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	c.Reset()
	if res := run(t, newJob(db, clk), gradesync.Options{}); res.Delivery.Sent != 0 || len(c.Log()) != 0 {
		t.Fatalf("sent while claimed: %+v", res)
	}
	clk.Advance(2 * time.Minute)
	if res := run(t, newJob(db, clk), gradesync.Options{}); res.Delivery.Sent != 1 || len(c.Accepted()) != 1 {
		t.Fatalf("%+v %v", res, c.Log())
	}
}

// Done when: backoff on 429 and 503 (capped, exponential, Retry-After
// honoured).
func TestBackoffOn429And503(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, courseContext, nil)
	launch(t, db, tool, student, "link", c.URL, "src")
	job := newJob(db, clk)
	next := func() int64 {
		var n int64
		fmt.Sscan(gradeRow(t, tdb, student)["nextattempt"].(string), &n)
		return n - clk.Now().Unix()
	}
	// 429 with Retry-After: 600 is honoured although the backoff is 15 s.
	c.SetFault(func(outcomestest.Request) *outcomestest.Fault {
		return &outcomestest.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"600"}}}
	})
	run(t, job, gradesync.Options{})
	if d := next(); d != 600 {
		t.Fatalf("after 429: next attempt in %d s", d)
	}
	if row := gradeRow(t, tdb, student); row["lasterror"] != "HTTP 429" || row["state"] != "pending" {
		t.Fatalf("%v", row)
	}
	// 503 without Retry-After: the exponential backoff (no jitter here:
	// half of base·2^(n−1)), doubling per attempt up to the cap.
	c.SetFault(func(outcomestest.Request) *outcomestest.Fault {
		return &outcomestest.Fault{Status: http.StatusServiceUnavailable, Body: "maintenance"}
	})
	var waits []int64
	for i := 0; i < 10; i++ {
		clk.Advance(2 * time.Hour)
		run(t, job, gradesync.Options{})
		waits = append(waits, next())
	}
	// Attempts 2..11: 30 s·2^(n−1), capped at 1 h, halved without jitter.
	want := []int64{30, 60, 120, 240, 480, 960, 1800, 1800, 1800, 1800}
	if !reflect.DeepEqual(waits, want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	if row := gradeRow(t, tdb, student); row["attempts"] != "11" || row["lasterror"] != "HTTP 503: maintenance" {
		t.Fatalf("%v", row)
	}
	// Back up: delivered.
	c.SetFault(nil)
	clk.Advance(2 * time.Hour)
	run(t, job, gradesync.Options{})
	if got := accepted(c, "src"); !reflect.DeepEqual(got, []string{"0.85"}) {
		t.Fatalf("%v", got)
	}
}

func TestJitterBounds(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, courseContext, nil)
	launch(t, db, tool, student, "link", c.URL, "src")
	job := newJob(db, clk)
	job.Deliverer.Jitter = nil // real randomness
	c.SetFault(func(outcomestest.Request) *outcomestest.Fault { return &outcomestest.Fault{Status: 502} })
	run(t, job, gradesync.Options{})
	var n int64
	fmt.Sscan(gradeRow(t, tdb, student)["nextattempt"].(string), &n)
	if d := n - clk.Now().Unix(); d < 15 || d > 30 {
		t.Fatalf("first retry in %d s, want 15–30", d)
	}
}

// Done when: a terminal failure is recorded, with the consumer's message,
// and not retried until the grade changes or a resend is asked.
func TestTerminalFailureRecorded(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, courseContext, nil)
	launch(t, db, tool, student, "link", c.URL, "src")
	c.SetFault(func(outcomestest.Request) *outcomestest.Fault {
		return &outcomestest.Fault{Refuse: "User is not gradable in this course"}
	})
	res := run(t, newJob(db, clk), gradesync.Options{})
	row := gradeRow(t, tdb, student)
	if res.Delivery.Failed != 1 || row["state"] != "failed" || row["lasterror"] != "the consumer answered failure: User is not gradable in this course" {
		t.Fatalf("%+v %v", res, row)
	}
	clk.Advance(time.Hour)
	c.Reset()
	run(t, newJob(db, clk), gradesync.Options{})
	if len(c.Log()) != 0 {
		t.Fatal("a refused value was sent again")
	}
	// The grade changes: tried again (and accepted now).
	c.SetFault(nil)
	grade(t, tdb, assignItem, student, f(90))
	run(t, newJob(db, clk), gradesync.Options{})
	if got := accepted(c, "src"); !reflect.DeepEqual(got, []string{"0.9"}) {
		t.Fatalf("%v", got)
	}
}

func TestWrongSecretAndMaxAttempts(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, courseContext, func(tool *store.Tool) { tool.Secret = "changed-by-admin" })
	launch(t, db, tool, student, "link", c.URL, "src")
	run(t, newJob(db, clk), gradesync.Options{})
	if row := gradeRow(t, tdb, student); row["state"] != "failed" || !strings.Contains(row["lasterror"].(string), "Message signature not valid") {
		t.Fatalf("%v", row)
	}
	// Retries run out: failed, with the last error.
	tdb.Exec(t, "UPDATE {local_ltiprovider} SET secret = ?", secret)
	tdb.Exec(t, "UPDATE {local_ltiprovider_grade} SET resend = 1")
	c.SetFault(func(outcomestest.Request) *outcomestest.Fault { return &outcomestest.Fault{Status: 500} })
	job := newJob(db, clk)
	job.Deliverer.MaxAttempts = 3
	for i := 0; i < 4; i++ {
		run(t, job, gradesync.Options{})
		clk.Advance(2 * time.Hour)
	}
	if row := gradeRow(t, tdb, student); row["state"] != "failed" || row["lasterror"] != "gave up after 3 attempts: HTTP 500" {
		t.Fatalf("%v", row)
	}
	if n := len(c.Log()); n != 4 { // 1 refused + 3 attempts
		t.Fatalf("%d requests", n)
	}
}

// Done when: two concurrent runs never send twice. Two deliverers with
// their own database pools drain one queue at the same time; each grade
// reaches the consumer exactly once.
func TestConcurrentRunsNeverSendTwice(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	c.Latency = 5 * time.Millisecond
	tool := addTool(t, db, courseContext, nil)
	const n = 40
	for i := 0; i < n; i++ {
		u := newUser(t, tdb, i)
		enrol(t, tdb, u)
		grade(t, tdb, assignItem, u, f(float64(i)))
		launch(t, db, tool, u, "link", c.URL, fmt.Sprintf("src-%d", u))
	}
	// Plan once, then race two deliverers (as two replicas would if the
	// job lock were missing).
	planner := newJob(db, clk)
	planner.Deliverer = nil
	run(t, planner, gradesync.Options{})
	var wg sync.WaitGroup
	results := make([]gradesync.DeliveryResult, 2)
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			j := newJob(testenv.Open(t, tdb), clk)
			r, err := j.Deliverer.Run(context.Background(), store.DueFilter{})
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		}(i)
	}
	wg.Wait()
	if results[0].Sent+results[1].Sent != n {
		t.Fatalf("%+v", results)
	}
	per := map[string]int{}
	for _, r := range c.Log() {
		per[r.SourcedID]++
	}
	if len(per) != n {
		t.Fatalf("%d distinct sourcedids", len(per))
	}
	for s, k := range per {
		if k != 1 {
			t.Errorf("%s sent %d times", s, k)
		}
	}
	t.Logf("deliverer A sent %d, B sent %d", results[0].Sent, results[1].Sent)
}

// A removed grade is deleted at the consumer (deleteResult), so it shows
// what Moodle shows; a user unenrolled (whose grades Moodle deletes) is
// left alone.
func TestRemovedGradeDeleted(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, assignContext, nil)
	launch(t, db, tool, student, "l", c.URL, "src")
	run(t, newJob(db, clk), gradesync.Options{})
	grade(t, tdb, assignItem, student, nil)
	run(t, newJob(db, clk), gradesync.Options{})
	if got := accepted(c, "src"); !reflect.DeepEqual(got, []string{"0.85", "delete"}) {
		t.Fatalf("%v", got)
	}
	if _, ok := c.Result("src"); ok {
		t.Fatal("consumer still has a grade")
	}
	row := gradeRow(t, tdb, student)
	if row["state"] != "waiting" || row["sentscore"] != nil || row["score"] != nil {
		t.Fatalf("%v", row)
	}
	run(t, newJob(db, clk), gradesync.Options{})
	if row := gradeRow(t, tdb, student); row["hold"] != gradesync.HoldNoGrade || row["version"] != "2" {
		t.Fatalf("%v", row)
	}
	// Graded again, then unenrolled (grades gone): no deletion.
	grade(t, tdb, assignItem, student, f(50))
	run(t, newJob(db, clk), gradesync.Options{})
	tdb.Exec(t, "DELETE FROM {user_enrolments} WHERE userid = ?", student)
	tdb.Exec(t, "DELETE FROM {grade_grades} WHERE userid = ?", student)
	c.Reset()
	run(t, newJob(db, clk), gradesync.Options{})
	if len(c.Log()) != 0 || gradeRow(t, tdb, student)["hold"] != gradesync.HoldNotEnrolled {
		t.Fatalf("%v %v", c.Log(), gradeRow(t, tdb, student))
	}
}

func TestHiddenAndRegradingHeld(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	course := addTool(t, db, courseContext, nil)
	activity := addTool(t, db, assignContext, nil)
	launch(t, db, course, student, "lc", c.URL, "src-course")
	launch(t, db, activity, student, "la", c.URL, "src-assign")
	// The assignment's grade is hidden from the student: neither it nor the
	// course total containing it is sent.
	tdb.Exec(t, "UPDATE {grade_grades} SET hidden = 1 WHERE itemid = ? AND userid = ?", assignItem, student)
	run(t, newJob(db, clk), gradesync.Options{})
	if len(c.Log()) != 0 {
		t.Fatalf("hidden grade sent: %v", c.Log())
	}
	// Hidden until a date in the past: shown, sent.
	tdb.Exec(t, "UPDATE {grade_grades} SET hidden = ? WHERE itemid = ? AND userid = ?", clk.Now().Unix()-60, assignItem, student)
	run(t, newJob(db, clk), gradesync.Options{})
	if len(c.Accepted()) != 2 {
		t.Fatalf("%v", c.Log())
	}
	// Moodle marked the course for regrading: the total is stale, held.
	tdb.Exec(t, "UPDATE {grade_items} SET needsupdate = 1 WHERE id = ?", courseItem)
	tdb.Exec(t, "UPDATE {grade_grades} SET finalgrade = 60 WHERE itemid = ? AND userid = ?", courseItem, student)
	c.Reset()
	run(t, newJob(db, clk), gradesync.Options{})
	if len(c.Log()) != 0 {
		t.Fatalf("stale total sent: %v", c.Log())
	}
	rows := tdb.Rows(t, "SELECT hold FROM {local_ltiprovider_grade} WHERE toolid = ?", course.ID)
	if rows[0]["hold"] != gradesync.HoldRegrading {
		t.Fatalf("%v", rows)
	}
	// Regraded: sent on the next run.
	tdb.Exec(t, "UPDATE {grade_items} SET needsupdate = 0 WHERE id = ?", courseItem)
	run(t, newJob(db, clk), gradesync.Options{})
	if got := accepted(c, "src-course"); !reflect.DeepEqual(got, []string{"0.6"}) {
		t.Fatalf("%v", got)
	}
}

func TestOutOfRangeReportedNotSent(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, assignContext, nil)
	launch(t, db, tool, student, "l", c.URL, "src")
	// Extra credit with $CFG->unlimitedgrades: 110 of 100.
	tdb.Exec(t, "UPDATE {grade_grades} SET finalgrade = 110 WHERE itemid = ? AND userid = ?", assignItem, student)
	run(t, newJob(db, clk), gradesync.Options{})
	row := gradeRow(t, tdb, student)
	if len(c.Log()) != 0 || row["state"] != "failed" || row["score"] != "1.1" ||
		row["lasterror"] != "not sent: score 1.1 is outside 0–1 (grade 110.00000 of 0.00000–100.00000)" {
		t.Fatalf("%v %v", c.Log(), row)
	}
}

// Plugin-era users keep getting grades without relaunching: their
// local_ltiprovider_user row is a target (signed with the tool's current
// secret) until they have an outcome row.
func TestLegacyUserRows(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, courseContext, nil)
	for i := 0; i < 2; i++ { // the plugin could leave duplicates
		tdb.Exec(t, `INSERT INTO {local_ltiprovider_user} (userid, toolid, serviceurl, sourceid, consumerkey, consumersecret, lastgrade, lastsync, lastaccess)
			VALUES (?, ?, ?, 'legacy-src', ?, 'old-secret', 85, 1600000000, 1600000000)`, student, tool.ID, c.URL, key)
	}
	run(t, newJob(db, clk), gradesync.Options{})
	if got := accepted(c, "legacy-src"); !reflect.DeepEqual(got, []string{"0.85"}) {
		t.Fatalf("%v", got)
	}
	// The tool has no secret of its own (a plugin-era row): the one the
	// plugin stored with the user signs.
	tdb.Exec(t, "UPDATE {local_ltiprovider} SET secret = NULL WHERE id = ?", tool.ID)
	c2 := newConsumer(t, clk, "old-secret")
	tdb.Exec(t, "UPDATE {local_ltiprovider_user} SET serviceurl = ?", c2.URL)
	run(t, newJob(db, clk), gradesync.Options{})
	if got := accepted(c2, "legacy-src"); !reflect.DeepEqual(got, []string{"0.85"}) {
		t.Fatalf("%v", c2.Log())
	}
	// Once the user launches, the outcome row replaces the legacy one.
	tdb.Exec(t, "UPDATE {local_ltiprovider} SET secret = ? WHERE id = ?", secret, tool.ID)
	launch(t, db, tool, student, "link", c.URL, "new-src")
	run(t, newJob(db, clk), gradesync.Options{})
	if got := accepted(c, "new-src"); !reflect.DeepEqual(got, []string{"0.85"}) {
		t.Fatalf("%v", got)
	}
	targets, _ := store.GradeTargetsOfTool(context.Background(), db, tool.ID)
	if len(targets) != 1 || targets[0].OutcomeID == 0 {
		t.Fatalf("%+v", targets)
	}
}

// Force a resend: for one user, a list, or all.
func TestResendAndForce(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, courseContext, nil)
	other := newUser(t, tdb, 1)
	enrol(t, tdb, other)
	grade(t, tdb, assignItem, other, f(40))
	launch(t, db, tool, student, "l", c.URL, "src-a")
	launch(t, db, tool, other, "l", c.URL, "src-b")
	run(t, newJob(db, clk), gradesync.Options{})
	c.Reset()
	n, err := store.ResendGrades(context.Background(), db, tool.ID, []int64{other}, clk.Now().Unix())
	if err != nil || n != 1 {
		t.Fatal(n, err)
	}
	run(t, newJob(db, clk), gradesync.Options{})
	if log := c.Log(); len(log) != 1 || log[0].SourcedID != "src-b" || log[0].Score != "0.4" {
		t.Fatalf("%+v", log)
	}
	c.Reset()
	store.ResendGrades(context.Background(), db, tool.ID, nil, clk.Now().Unix())
	run(t, newJob(db, clk), gradesync.Options{})
	if len(c.Accepted()) != 2 {
		t.Fatalf("%+v", c.Log())
	}
	// --force for one user, without flags.
	c.Reset()
	run(t, newJob(db, clk), gradesync.Options{Force: true, UserIDs: []int64{student}})
	if log := c.Log(); len(log) != 1 || log[0].SourcedID != "src-a" {
		t.Fatalf("%+v", log)
	}
	// --dry-run decides and touches nothing.
	before := tdb.Snapshot(t)
	c.Reset()
	res, err := newJob(db, clk).Run(context.Background(), gradesync.Options{Force: true, DryRun: true})
	if err != nil || len(c.Log()) != 0 || res.Plan.Queued != 2 || len(res.Plan.Planned) != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	tdb.AssertUnchanged(t, before)
}

func TestDisabledToolWaits(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	tool := addTool(t, db, courseContext, nil)
	launch(t, db, tool, student, "l", c.URL, "src")
	c.SetFault(func(outcomestest.Request) *outcomestest.Fault { return &outcomestest.Fault{Status: 503} })
	run(t, newJob(db, clk), gradesync.Options{})
	c.SetFault(nil)
	tdb.Exec(t, "UPDATE {local_ltiprovider} SET disabled = 1 WHERE id = ?", tool.ID)
	clk.Advance(time.Hour)
	run(t, newJob(db, clk), gradesync.Options{})
	if len(c.Accepted()) != 0 {
		t.Fatal("sent for a disabled tool")
	}
	if _, err := newJob(db, clk).Run(context.Background(), gradesync.Options{ToolIDs: []int64{tool.ID}}); err == nil {
		t.Fatal("--tool of a disabled tool accepted")
	}
	tdb.Exec(t, "UPDATE {local_ltiprovider} SET disabled = 0 WHERE id = ?", tool.ID)
	run(t, newJob(db, clk), gradesync.Options{})
	if len(c.Accepted()) != 1 {
		t.Fatal("not sent once enabled")
	}
}

// A run stopped mid-delivery (the service shutting down) gives its claims
// back: the grade is pending again, the attempt not counted.
func TestStoppedRunReleasesClaims(t *testing.T) {
	db, tdb := testenv.DB(t)
	clk := newClock()
	c := newConsumer(t, clk, secret)
	c.Latency = 3 * time.Second
	tool := addTool(t, db, courseContext, nil)
	launch(t, db, tool, student, "l", c.URL, "src")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	res, err := newJob(db, clk).Run(ctx, gradesync.Options{})
	if err != nil || res.Delivery.Released != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	if row := gradeRow(t, tdb, student); row["state"] != "pending" || row["attempts"] != "0" || row["claimedby"] != "" {
		t.Fatalf("%v", row)
	}
}
