package coursecopy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// invalidations records the cache entries a copy made stale.
type invalidations []string

func (i *invalidations) Invalidate(definition string, keys ...string) {
	*i = append(*i, definition+" "+strings.Join(keys, ","))
}

// copyTPL1 copies the rich template course into a new bare course.
func copyTPL1(t *testing.T, db *database.DB, opt Options, caches ...moodle.CacheInvalidator) (*copier, int64) {
	t.Helper()
	ctx := context.Background()
	env := testEnv(t, db)
	if len(caches) > 0 {
		env.Caches = caches[0]
	}
	var c *copier
	var dst int64
	err := db.WithTx(ctx, func(tx *database.Tx) error {
		dst = newBareCourse(t, ctx, tx, env, "COPY1")
		var err error
		c, err = copyCourse(ctx, tx, env, 2, dst, opt)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, dst
}

// TestCopyCourseTableByTable is the "Done when" check: the template course
// is copied and the copy is compared with the source table by table.
func TestCopyCourseTableByTable(t *testing.T) {
	db, tdb := richDB(t)
	src := ownedBy(t, tdb, 2, false)
	c, dst := copyTPL1(t, db, Options{})
	if len(c.rep.Skipped) != 0 || len(c.rep.Warnings) != 0 {
		t.Errorf("report %+v", c.rep)
	}
	copied := ownedBy(t, tdb, dst, false)
	// The fixture's template has content of every kind the copy handles.
	for _, tbl := range []string{"course_modules", "book_chapters", "choice_options", "quiz_slots", "question", "question_set_references",
		"files", "tag_instance", "grade_categories", "block_instances", "block_positions", "role_capabilities", "filter_config",
		"course_completion_criteria", "event", "groupings_groups", "scale", "subsection", "qtype_match_subquestions"} {
		if len(src[tbl]) == 0 {
			t.Fatalf("the template has no %s: the test would prove nothing", tbl)
		}
	}
	checkCopy(t, tdb, c, src, copied, map[string]bool{"course": true})

	// The course took the template's settings, kept its own names.
	s := tdb.Rows(t, "SELECT * FROM {course} WHERE id = 2")[0]
	d := tdb.Rows(t, "SELECT * FROM {course} WHERE id = ?", dst)[0]
	for _, col := range []string{"format", "summary", "startdate", "enddate", "enablecompletion", "newsitems", "showgrades", "lang"} {
		if s[col] != d[col] {
			t.Errorf("course.%s = %v, want the template's %v", col, d[col], s[col])
		}
	}
	if d["shortname"] != "COPY1" || d["originalcourseid"] != "2" || d["category"] != "2" {
		t.Errorf("course %v", d)
	}
	if rev, _ := strconv.ParseInt(fmt.Sprint(d["cacherev"]), 10, 64); rev <= fixedNow.Unix() {
		t.Errorf("cacherev %v not bumped past the creation's", d["cacherev"])
	}
	// No user data without asking.
	for _, tbl := range []string{"forum_discussions", "choice_answers", "assign_submission"} {
		if n := tdb.Count(t, tbl, "1 = 1"); n != 1 {
			t.Errorf("%s has %d rows, want only the template's", tbl, n)
		}
	}
	if n := tdb.Count(t, "user_enrolments", "enrolid IN (SELECT id FROM {enrol} WHERE courseid = ?)", dst); n != 0 {
		t.Errorf("%d enrolments copied without user data", n)
	}
	if n := tdb.Count(t, "grade_grades", "itemid IN (SELECT id FROM {grade_items} WHERE courseid = ?)", dst); n != 0 {
		t.Errorf("%d grades copied without user data", n)
	}
	if n := tdb.Count(t, "logstore_standard_log", "eventname = ? AND courseid = ? AND other LIKE ?", `\core\event\course_restored`,
		dst, `%"originalcourseid":2%`); n != 1 {
		t.Errorf("course_restored logged %d times", n)
	}
}

func TestCopyCourseWithUserData(t *testing.T) {
	db, tdb := richDB(t)
	src := ownedBy(t, tdb, 2, true)
	var stale invalidations
	c, dst := copyTPL1(t, db, Options{UserData: true}, &stale)
	if fmt.Sprint(stale) != "[core/user_group_groupings 3]" {
		t.Errorf("invalidations %v", stale)
	}
	copied := ownedBy(t, tdb, dst, true)
	for _, tbl := range []string{"role_assignments", "groups_members", "grade_grades", "course_modules_viewed", "forum_posts",
		"choice_answers", "assign_submission", "assignsubmission_onlinetext"} {
		if len(src[tbl]) == 0 {
			t.Fatalf("the template has no %s", tbl)
		}
	}
	checkCopy(t, tdb, c, src, copied, map[string]bool{"course": true})
	// student1 is enrolled in the copy through its manual instance, and
	// their session is told to reload their roles.
	ue := tdb.Rows(t, "SELECT e.enrol FROM {user_enrolments} ue JOIN {enrol} e ON e.id = ue.enrolid WHERE e.courseid = ? AND ue.userid = 3", dst)
	if len(ue) != 1 || ue[0]["enrol"] != "manual" {
		t.Errorf("enrolments %v", ue)
	}
	if n := tdb.Count(t, "cache_flags", "flagtype = 'accesslib/dirtyusers' AND name = '3'"); n != 1 {
		t.Errorf("dirty flag rows %d", n)
	}
	// The forum discussion's first post is the copied post.
	r := tdb.Rows(t, "SELECT d.firstpost, p.id FROM {forum_discussions} d JOIN {forum_posts} p ON p.discussion = d.id WHERE d.course = ?", dst)
	if len(r) != 1 || r[0]["firstpost"] != r[0]["id"] {
		t.Errorf("discussion %v", r)
	}
	if len(c.rep.Warnings) == 0 || fmt.Sprint(c.rep.Warnings) == "" {
		t.Error("no warning about quiz attempts, which are not copied")
	}
}
