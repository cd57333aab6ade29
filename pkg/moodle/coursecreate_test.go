package moodle_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// The fixture's clock: the reference site was built around this time.
var fixedNow = time.Unix(1795758701, 0)

func testEnv(t *testing.T, q database.Querier) moodle.Env {
	t.Helper()
	ctx := context.Background()
	site, err := moodle.LoadSite(ctx, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := moodle.LoadLogStore(ctx, q, site)
	if err != nil {
		t.Fatal(err)
	}
	return moodle.Env{Site: site, Log: ls, IP: "198.51.100.7", Now: fixedNow}
}

func str(v any) string { return fmt.Sprint(v) }

// forced plays config.php.
type forced map[string]string

func (f forced) Forced(name string) (string, bool) { v, ok := f[name]; return v, ok }
func (f forced) ForcedNames() []string {
	var n []string
	for k := range f {
		n = append(n, k)
	}
	return n
}

// The expected rows are those Moodle 4.5.6's create_course() wrote on the
// reference site when given the course form's defaults (checked with a
// real Moodle; see docs/courses.md).
func TestCreateCourseLikeMoodle(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	env := testEnv(t, db)
	var id int64
	err := db.WithTx(ctx, func(tx *database.Tx) error {
		var err error
		id, err = moodle.CreateCourse(ctx, tx, env, moodle.NewCourse{Fullname: "Course Two", Shortname: "CT2", IDNumber: "ctx-2", Category: 2})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	now := strconv.FormatInt(fixedNow.Unix(), 10)
	london, _ := time.LoadLocation("Europe/London")
	n := fixedNow.In(london)
	start := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, london).Unix()
	c := tdb.Rows(t, "SELECT * FROM {course} WHERE id = ?", id)[0]
	want := map[string]any{"category": "2", "sortorder": "20001", "fullname": "Course Two", "shortname": "CT2",
		"idnumber": "ctx-2", "summary": "", "summaryformat": "1", "format": "topics", "showgrades": "1", "newsitems": "5",
		"startdate": strconv.FormatInt(start, 10), "enddate": strconv.FormatInt(start+31536000, 10), "relativedatesmode": "0",
		"marker": "0", "maxbytes": "0", "legacyfiles": "0", "showreports": "0", "visible": "1", "visibleold": "1",
		"downloadcontent": nil, "groupmode": "0", "groupmodeforce": "0", "defaultgroupingid": "0", "lang": "",
		"calendartype": "", "theme": "", "timecreated": now, "timemodified": now, "requested": "0", "enablecompletion": "1",
		"completionnotify": "0", "cacherev": now, "originalcourseid": nil, "showactivitydates": "1",
		"showcompletionconditions": "1", "pdfexportfont": nil}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("course.%s = %v, want %v", k, c[k], v)
		}
	}
	// The other courses of the category moved down one place; the count follows.
	for cid, so := range map[string]string{"2": "20004", "3": "20003", "4": "20002"} {
		if got := str(tdb.Rows(t, "SELECT sortorder FROM {course} WHERE id = ?", cid)[0]["sortorder"]); got != so {
			t.Errorf("course %s sortorder %s, want %s", cid, got, so)
		}
	}
	if got := str(tdb.Rows(t, "SELECT coursecount FROM {course_categories} WHERE id = 2")[0]["coursecount"]); got != "4" {
		t.Errorf("coursecount %s", got)
	}
	cctx := tdb.Rows(t, "SELECT * FROM {context} WHERE contextlevel = 50 AND instanceid = ?", id)[0]
	if cctx["path"] != "/1/11/"+str(cctx["id"]) || cctx["depth"] != "3" {
		t.Errorf("course context %v", cctx)
	}
	opts := tdb.Rows(t, "SELECT format, sectionid, name, value FROM {course_format_options} WHERE courseid = ? ORDER BY id", id)
	if len(opts) != 2 || opts[0]["name"] != "hiddensections" || opts[0]["value"] != "1" || opts[1]["name"] != "coursedisplay" || opts[1]["value"] != "0" {
		t.Errorf("format options %v", opts)
	}
	secs := tdb.Rows(t, "SELECT * FROM {course_sections} WHERE course = ? ORDER BY section", id)
	if len(secs) != 5 {
		t.Fatalf("%d sections, want 0..4", len(secs))
	}
	for i, s := range secs {
		if s["section"] != strconv.Itoa(i) || s["name"] != nil || s["summary"] != "" || s["summaryformat"] != "1" ||
			s["visible"] != "1" || s["availability"] != nil || s["component"] != nil || s["timemodified"] != now {
			t.Errorf("section %d: %v", i, s)
		}
	}
	// The Announcements forum sits in section 0.
	forum := tdb.Rows(t, "SELECT * FROM {forum} WHERE course = ?", id)
	if len(forum) != 1 || forum[0]["type"] != "news" || forum[0]["name"] != "Announcements" ||
		forum[0]["intro"] != "General news and announcements" || forum[0]["introformat"] != "1" ||
		forum[0]["forcesubscribe"] != "1" || forum[0]["maxattachments"] != "1" || forum[0]["trackingtype"] != "1" ||
		forum[0]["assessed"] != "0" || forum[0]["timemodified"] != now {
		t.Fatalf("news forum %v", forum)
	}
	cm := tdb.Rows(t, "SELECT cm.* FROM {course_modules} cm JOIN {modules} m ON m.id = cm.module AND m.name = 'forum' WHERE cm.course = ?", id)
	if len(cm) != 1 || cm[0]["instance"] != forum[0]["id"] || cm[0]["section"] != secs[0]["id"] || cm[0]["added"] != now ||
		cm[0]["visible"] != "1" || cm[0]["idnumber"] != nil || cm[0]["downloadcontent"] != "1" || secs[0]["sequence"] != cm[0]["id"] {
		t.Errorf("news forum module %v, section 0 %v", cm, secs[0])
	}
	if tdb.Count(t, "context", "contextlevel = 70 AND instanceid = ? AND path = ?", cm[0]["id"], str(cctx["path"])+"/"+
		str(tdb.Rows(t, "SELECT id FROM {context} WHERE contextlevel = 70 AND instanceid = ?", cm[0]["id"])[0]["id"])) != 1 {
		t.Error("news forum context")
	}
	enrols := tdb.Rows(t, "SELECT * FROM {enrol} WHERE courseid = ? ORDER BY sortorder", id)
	wantEnrol := []map[string]any{
		{"enrol": "manual", "status": "0", "sortorder": "0", "enrolperiod": "0", "expirynotify": "0", "expirythreshold": "86400",
			"notifyall": "0", "roleid": "5", "customint1": "1", "password": nil, "customint2": nil},
		{"enrol": "guest", "status": "1", "sortorder": "1", "enrolperiod": "0", "expirynotify": "0", "expirythreshold": "0",
			"notifyall": "0", "roleid": "0", "customint1": nil, "password": ""},
		{"enrol": "self", "status": "1", "sortorder": "2", "enrolperiod": "0", "expirynotify": "0", "expirythreshold": "86400",
			"notifyall": "0", "roleid": "5", "customint1": "0", "customint2": "0", "customint3": "0", "customint4": "1",
			"customint5": "0", "customint6": "1", "password": nil},
	}
	if len(enrols) != 3 {
		t.Fatalf("enrol instances %v", enrols)
	}
	for i, w := range wantEnrol {
		for k, v := range w {
			if enrols[i][k] != v {
				t.Errorf("enrol %s.%s = %v, want %v", w["enrol"], k, enrols[i][k], v)
			}
		}
		if enrols[i]["enrolstartdate"] != "0" || enrols[i]["enrolenddate"] != "0" || enrols[i]["timecreated"] != now {
			t.Errorf("enrol %v", enrols[i])
		}
	}
	logs := tdb.Rows(t, "SELECT eventname, objecttable, objectid, crud, edulevel, contextid, userid, courseid, other, origin, ip FROM {logstore_standard_log} ORDER BY id")
	wantLogs := [][3]string{
		{`\core\event\course_created`, "course", `{"shortname":"CT2","fullname":"Course Two"}`},
		{`\core\event\course_section_created`, "course_sections", `{"sectionnum":0}`},
		{`\core\event\course_section_created`, "course_sections", `{"sectionnum":1}`},
		{`\core\event\course_section_created`, "course_sections", `{"sectionnum":2}`},
		{`\core\event\course_section_created`, "course_sections", `{"sectionnum":3}`},
		{`\core\event\course_section_created`, "course_sections", `{"sectionnum":4}`},
		{`\core\event\enrol_instance_created`, "enrol", `{"enrol":"manual"}`},
		{`\core\event\enrol_instance_created`, "enrol", `{"enrol":"guest"}`},
		{`\core\event\enrol_instance_created`, "enrol", `{"enrol":"self"}`},
	}
	if len(logs) != len(wantLogs) {
		t.Fatalf("log %v", logs)
	}
	for i, w := range wantLogs {
		l := logs[i]
		if l["eventname"] != w[0] || l["objecttable"] != w[1] || l["other"] != w[2] || l["crud"] != "c" ||
			l["contextid"] != cctx["id"] || l["courseid"] != strconv.FormatInt(id, 10) || l["userid"] != "0" || l["ip"] != "198.51.100.7" {
			t.Errorf("log %d: %v", i, l)
		}
	}
	if logs[0]["edulevel"] != "1" || logs[1]["edulevel"] != "1" || logs[6]["edulevel"] != "0" {
		t.Errorf("edu levels %v %v %v", logs[0]["edulevel"], logs[1]["edulevel"], logs[6]["edulevel"])
	}
}

func TestCreateCourseRefusesTakenNames(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	env := testEnv(t, db)
	before := tdb.Snapshot(t)
	for _, tc := range []struct {
		nc   moodle.NewCourse
		want error
	}{
		{moodle.NewCourse{Fullname: "x", Shortname: "TPL1", IDNumber: "new", Category: 2}, moodle.ErrShortnameTaken},
		{moodle.NewCourse{Fullname: "x", Shortname: "NEW", IDNumber: "PROV1", Category: 2}, moodle.ErrIDNumberTaken},
		{moodle.NewCourse{Fullname: "x", Shortname: "NEW", IDNumber: "new", Category: 999}, moodle.ErrNoCategory},
	} {
		err := db.WithTx(ctx, func(tx *database.Tx) error {
			_, err := moodle.CreateCourse(ctx, tx, env, tc.nc)
			return err
		})
		if !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.nc, err, tc.want)
		}
	}
	tdb.AssertUnchanged(t, before)
}

func TestCreateCourseBareAndDefaults(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	// A site that turned the self enrolment default off, uses weeks with 2
	// sections and adds default blocks from config.php.
	tdb.Exec(t, "UPDATE {config_plugins} SET value = '0' WHERE plugin = 'enrol_self' AND name = 'defaultenrol'")
	tdb.Exec(t, "UPDATE {config_plugins} SET value = 'weeks' WHERE plugin = 'moodlecourse' AND name = 'format'")
	tdb.Exec(t, "UPDATE {config_plugins} SET value = '2' WHERE plugin = 'moodlecourse' AND name = 'numsections'")
	env := testEnv(t, db)
	site, err := moodle.LoadSite(ctx, db, forced{"defaultblocks_override": "search_forums,nosuchblock:calendar_upcoming"})
	if err != nil {
		t.Fatal(err)
	}
	env.Site = site
	var full, bare int64
	err = db.WithTx(ctx, func(tx *database.Tx) error {
		var err error
		if full, err = moodle.CreateCourse(ctx, tx, env, moodle.NewCourse{Fullname: "W", Shortname: "W1", Category: 1}); err != nil {
			return err
		}
		bare, err = moodle.CreateCourse(ctx, tx, env, moodle.NewCourse{Fullname: "B", Shortname: "B1", Category: 1, Bare: true})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := tdb.Count(t, "course_sections", "course = ?", full); n != 3 {
		t.Errorf("weeks course has %d sections, want 0..2", n)
	}
	if n := tdb.Count(t, "course_format_options", "courseid = ? AND format = 'weeks' AND name = 'automaticenddate' AND value = '1'", full); n != 1 {
		t.Error("weeks format options")
	}
	blocks := tdb.Rows(t, "SELECT b.blockname, b.defaultregion, b.defaultweight, b.pagetypepattern, c.path FROM {block_instances} b "+
		"JOIN {context} c ON c.contextlevel = 80 AND c.instanceid = b.id WHERE b.parentcontextid = "+
		"(SELECT id FROM {context} WHERE contextlevel = 50 AND instanceid = ?) ORDER BY b.id", full)
	if len(blocks) != 2 || blocks[0]["blockname"] != "search_forums" || blocks[0]["defaultregion"] != "side-pre" ||
		blocks[1]["blockname"] != "calendar_upcoming" || blocks[1]["defaultregion"] != "side-post" || blocks[1]["defaultweight"] != "0" ||
		blocks[0]["pagetypepattern"] != "course-view-*" {
		t.Errorf("default blocks %v", blocks)
	}
	if n := tdb.Count(t, "enrol", "courseid = ? AND enrol = 'self'", full); n != 0 {
		t.Error("self enrolment added although its default is off")
	}
	// Category 1 was empty: its courses are numbered from its sortorder.
	if got := tdb.Rows(t, "SELECT id, sortorder FROM {course} WHERE category = 1 ORDER BY sortorder"); len(got) != 2 ||
		got[0]["sortorder"] != "10001" || got[1]["sortorder"] != "10002" || got[0]["id"] != strconv.FormatInt(bare, 10) {
		t.Errorf("sortorder %v", got)
	}
	if n := tdb.Count(t, "course_sections", "course = ?", bare); n != 1 {
		t.Errorf("bare course has %d sections, want section 0 only", n)
	}
	if n := tdb.Count(t, "forum", "course = ?", bare); n != 0 {
		t.Error("bare course got a forum")
	}
	if n := tdb.Count(t, "block_instances", "parentcontextid = (SELECT id FROM {context} WHERE contextlevel = 50 AND instanceid = ?)", bare); n != 0 {
		t.Error("bare course got blocks")
	}
}
