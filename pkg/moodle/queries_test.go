package moodle_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// PlaceOf reads in one query what GetContext, GetCourseModule, ContextOf
// and GetCourse read one by one.
func TestPlaceOf(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	same := func(contextID int64) {
		t.Helper()
		p, err := moodle.PlaceOf(ctx, db, contextID)
		if err != nil {
			t.Fatal(err)
		}
		want, err := moodle.GetContext(ctx, db, contextID)
		if err != nil || p.Context != want {
			t.Fatalf("context %d: %+v, want %+v (%v)", contextID, p.Context, want, err)
		}
		courseID := want.InstanceID
		switch want.Level {
		case moodle.ContextCourse:
			if p.Module != nil {
				t.Errorf("context %d: a module %+v", contextID, p.Module)
			}
		case moodle.ContextModule:
			cm, err := moodle.GetCourseModule(ctx, db, want.InstanceID)
			if errors.Is(err, database.ErrNotFound) {
				if p.Module != nil || p.Course != nil || p.CourseContext != nil {
					t.Errorf("context %d of a missing module: %+v", contextID, p)
				}
				return
			}
			if err != nil || p.Module == nil || *p.Module != *cm {
				t.Fatalf("context %d: module %+v, want %+v (%v)", contextID, p.Module, cm, err)
			}
			courseID = cm.Course
		default:
			if p.Module != nil || p.Course != nil || p.CourseContext != nil {
				t.Errorf("context %d (level %d): %+v", contextID, want.Level, p)
			}
			return
		}
		cc, err := moodle.ContextOf(ctx, db, moodle.ContextCourse, courseID)
		if err != nil || p.CourseContext == nil || *p.CourseContext != cc {
			t.Errorf("context %d: course context %+v, want %+v (%v)", contextID, p.CourseContext, cc, err)
		}
		c, err := moodle.GetCourse(ctx, db, courseID)
		if err != nil || p.Course == nil || *p.Course != *c {
			t.Errorf("context %d: course %+v, want %+v (%v)", contextID, p.Course, c, err)
		}
	}
	for _, id := range []int64{1, 2, 11, 12, 13, 14, 19, 22, 24, 26, 5} {
		same(id)
	}
	// A module being deleted has no module; a course that is gone, no
	// course.
	tdb.Exec(t, "UPDATE {course_modules} SET deletioninprogress = 1 WHERE id = 6")
	same(19)
	tdb.Exec(t, "DELETE FROM {course} WHERE id = 4")
	p, err := moodle.PlaceOf(ctx, db, 24)
	if err != nil || p.Course != nil || p.CourseContext == nil {
		t.Errorf("course gone: %+v %v", p, err)
	}
	p, err = moodle.PlaceOf(ctx, db, 26)
	if err != nil || p.Module == nil || p.Course != nil {
		t.Errorf("module of a course that is gone: %+v %v", p, err)
	}
	if _, err := moodle.PlaceOf(ctx, db, 99999); !errors.Is(err, database.ErrNotFound) {
		t.Errorf("missing context: %v", err)
	}
}

// ManualEnrolment reads what ManualInstance and GetUserEnrolment read.
func TestManualEnrolment(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	for _, c := range []struct{ course, user int64 }{{3, 3}, {3, 4}, {3, 2}, {2, 3}, {4, 3}, {99, 3}} {
		inst, ue, err := moodle.ManualEnrolment(ctx, db, c.course, c.user)
		wantInst, werr := moodle.ManualInstance(ctx, db, c.course)
		if errors.Is(werr, database.ErrNotFound) {
			if !errors.Is(err, database.ErrNotFound) {
				t.Errorf("course %d without a manual instance: %v", c.course, err)
			}
			continue
		}
		if err != nil || *inst != *wantInst {
			t.Fatalf("course %d: %+v, want %+v (%v)", c.course, inst, wantInst, err)
		}
		wantUE, uerr := moodle.GetUserEnrolment(ctx, db, wantInst.ID, c.user)
		switch {
		case errors.Is(uerr, database.ErrNotFound):
			if ue != nil {
				t.Errorf("course %d, user %d: enrolment %+v, want none", c.course, c.user, ue)
			}
		case ue == nil || *ue != *wantUE:
			t.Errorf("course %d, user %d: enrolment %+v, want %+v", c.course, c.user, ue, wantUE)
		}
	}
	if n := tdb.Count(t, "user_enrolments", "enrolid IN (SELECT id FROM {enrol} WHERE courseid = 3 AND enrol = 'manual')"); n == 0 {
		t.Fatal("the fixture has no manual enrolments in course 3")
	}
}

// The system context is read once per database.
func TestSystemContextRemembered(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	sys, err := moodle.SystemContext(ctx, db)
	if err != nil || sys.ID != 1 || sys.Level != moodle.ContextSystem || sys.Path != "/1" {
		t.Fatalf("%+v %v", sys, err)
	}
	// Moodle never changes it; were it read again, this would show.
	tdb.Exec(t, "UPDATE {context} SET path = '/changed' WHERE id = 1")
	err = db.WithTx(ctx, func(tx *database.Tx) error {
		again, err := moodle.SystemContext(ctx, tx)
		if err == nil && again != sys {
			t.Errorf("read again: %+v", again)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Log-store settings are reused for the TTL, then read again.
func TestLogStoreCache(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	site, err := moodle.LoadSite(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &moodle.LogStoreCache{TTL: time.Hour}
	ls, err := c.Get(ctx, db, site)
	if err != nil || !ls.Enabled {
		t.Fatalf("%+v %v", ls, err)
	}
	tdb.Exec(t, "UPDATE {config_plugins} SET value = '' WHERE plugin = 'tool_log' AND name = 'enabled_stores'")
	if ls, _ := c.Get(ctx, db, site); !ls.Enabled {
		t.Error("read again within the TTL")
	}
	c.TTL = time.Millisecond
	time.Sleep(2 * time.Millisecond)
	if ls, _ := c.Get(ctx, db, site); ls.Enabled {
		t.Error("not read again after the TTL")
	}
}

// SetCacheFlag keeps one row per flag: inserted when new, updated after,
// also when nothing changes (the same second, the same value).
func TestSetCacheFlag(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	now := time.Unix(1795760000, 0)
	flags := func() []map[string]any {
		return tdb.Rows(t, "SELECT value, expiry, timemodified FROM {cache_flags} WHERE flagtype = 'ltip/test' AND name = '7'")
	}
	for i := 0; i < 2; i++ {
		if err := moodle.SetCacheFlag(ctx, db, "ltip/test", "7", "1", now.Unix()+60, now); err != nil {
			t.Fatal(err)
		}
		if rows := flags(); len(rows) != 1 || rows[0]["value"] != "1" || rows[0]["expiry"] != "1795760060" {
			t.Fatalf("after set %d: %v", i+1, rows)
		}
	}
	later := now.Add(time.Minute)
	if err := moodle.SetCacheFlag(ctx, db, "ltip/test", "7", "2", 0, later); err != nil {
		t.Fatal(err)
	}
	// An expiry in the past means a day from now.
	if rows := flags(); len(rows) != 1 || rows[0]["value"] != "2" || rows[0]["expiry"] != "1795846460" || rows[0]["timemodified"] != "1795760060" {
		t.Fatalf("updated: %v", rows)
	}
	if n := tdb.Count(t, "cache_flags", "flagtype = 'ltip/test'"); n != 1 {
		t.Errorf("%d rows", n)
	}
	// A new preference: the row and the userpreferenceschanged flag.
	site, _ := moodle.LoadSite(ctx, db, nil)
	if err := moodle.AddUserPreference(ctx, db, site, 3, "ltip_pref", "x", now); err != nil {
		t.Fatal(err)
	}
	if tdb.Count(t, "user_preferences", "userid = 3 AND name = 'ltip_pref' AND value = 'x'") != 1 ||
		tdb.Count(t, "cache_flags", "flagtype = 'userpreferenceschanged' AND name = '3'") != 1 {
		t.Error("AddUserPreference")
	}
	if err := moodle.AddUserPreference(ctx, db, site, 3, "ltip_pref", "y", now); !errors.Is(err, database.ErrDuplicate) {
		t.Errorf("a second AddUserPreference: %v", err)
	}
}

// Events written in a transaction go in one INSERT before the commit, in
// their order; a rolled-back transaction writes none; outside a
// transaction each goes at once.
func TestEventsBatchedPerTransaction(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	site, _ := moodle.LoadSite(ctx, db, nil)
	ls, err := moodle.LoadLogStore(ctx, db, site)
	if err != nil || !ls.Enabled {
		t.Fatalf("%+v %v", ls, err)
	}
	sys, _ := moodle.SystemContext(ctx, db)
	ev := func(i int) moodle.Event {
		return moodle.Event{Name: fmt.Sprintf(`\core\event\ltip_test_%03d`, i), Component: "core", Action: "tested", Target: "test",
			CRUD: "r", Context: sys, TimeCreated: 1795760000, Other: moodle.Fields{{Key: "n", Value: i}}}
	}
	count := func() int {
		return tdb.Count(t, "logstore_standard_log", "eventname LIKE ?", `\\core\\event\\ltip_test_%`)
	}
	err = db.WithTx(ctx, func(tx *database.Tx) error {
		for i := 0; i < 3; i++ {
			if err := ls.Write(ctx, tx, ev(i)); err != nil {
				return err
			}
		}
		var n int
		if err := tx.Get(ctx, &n, "SELECT COUNT(*) FROM {logstore_standard_log} WHERE eventname LIKE ?", `\\core\\event\\ltip_test_%`); err != nil || n != 0 {
			t.Errorf("%d events written before the commit (%v)", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rows := tdb.Rows(t, "SELECT eventname, other FROM {logstore_standard_log} WHERE eventname LIKE ? ORDER BY id", `\\core\\event\\ltip_test_%`)
	if len(rows) != 3 || rows[0]["eventname"] != `\core\event\ltip_test_000` || rows[2]["eventname"] != `\core\event\ltip_test_002` || rows[1]["other"] != `{"n":1}` {
		t.Fatalf("after the commit: %v", rows)
	}
	// Rolled back: none.
	_ = db.WithTx(ctx, func(tx *database.Tx) error {
		_ = ls.Write(ctx, tx, ev(3))
		return errors.New("changed my mind")
	})
	if count() != 3 {
		t.Errorf("a rolled-back transaction wrote events")
	}
	// More than one statement's worth, in order.
	if err := db.WithTx(ctx, func(tx *database.Tx) error {
		for i := 10; i < 260; i++ {
			if err := ls.Write(ctx, tx, ev(i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rows = tdb.Rows(t, "SELECT eventname FROM {logstore_standard_log} WHERE eventname LIKE ? ORDER BY id", `\\core\\event\\ltip_test_%`)
	for i, r := range rows[3:] {
		if want := fmt.Sprintf(`\core\event\ltip_test_%03d`, i+10); r["eventname"] != want {
			t.Fatalf("event %d: %v, want %s", i, r["eventname"], want)
		}
	}
	if len(rows) != 253 {
		t.Errorf("%d events", len(rows))
	}
	// Outside a transaction: at once.
	if err := ls.Write(ctx, db, ev(999)); err != nil || count() != 254 {
		t.Errorf("outside a transaction: %d %v", count(), err)
	}
}
