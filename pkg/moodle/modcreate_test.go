package moodle_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// testdata/modedit/<type>.json holds every row a real Moodle 4.5.6 wrote on
// the reference site when the administrator (user 2) saved modedit.php
// for a new activity in section 1 of PROV1 with the form's defaults, the
// name, description and idnumber below (and, for a page, the content the
// form requires), on 2026-11-27, the day of the fixture's clock, so that an
// assignment's default dates (midnight + the site's offsets) agree.
// AddModule must write the same rows.
//
// Compared: every column but ids, times, the client's address and the
// references between the new rows (checked on their own below). Not
// compared, because the form's page wrote them and AddModule leaves them to
// Moodle: the section_viewed event of the redirect after saving; the
// gradebook's regrade (Moodle makes it on the next view of grades: the
// grade_item_updated events, action-2 history rows, grade_grades, and
// natural weights); a forum's grading_areas row (made when a grading
// method is first chosen); a page's content (a launch has none).
var (
	skipColumns = map[string]bool{"id": true, "timecreated": true, "timemodified": true, "added": true, "ip": true, "origin": true,
		"instance": true, "instanceid": true, "contextid": true, "contextinstanceid": true, "objectid": true, "path": true,
		"section": true, "cmid": true, "iteminstance": true, "oldid": true, "quizid": true, "categoryid": true}
	skipTables = map[string]bool{"grade_grades": true, "grade_grades_history": true, "grading_areas": true}
)

func skipRow(table string, row map[string]any) bool {
	switch table {
	case "logstore_standard_log":
		name := fmt.Sprint(row["eventname"])
		return strings.HasSuffix(name, `\section_viewed`) || strings.HasSuffix(name, `\grade_item_updated`)
	case "grade_items_history":
		return fmt.Sprint(row["action"]) != "1"
	}
	return false
}

func skipValue(table, column string) bool {
	return skipColumns[column] || (table == "page" && column == "content") ||
		(table == "grade_items" && (column == "needsupdate" || column == "aggregationcoef2")) ||
		// assign::update_gradebook() first inserts the item with the course
		// module's id as its idnumber, then modedit.php sets the real one;
		// the service writes the real one at once.
		(table == "grade_items_history" && column == "idnumber")
}

func TestAddModuleLikeMoodlesForm(t *testing.T) {
	for _, typ := range moodle.CreatableModules {
		t.Run(typ, func(t *testing.T) { checkAddModule(t, typ, typ) })
	}
	// forum-completion: course PROV1 tracks completion, has a default
	// grouping and a hidden section 1, and the site's default completion
	// for forums is automatic (view, two discussions).
	t.Run("forum-completion", func(t *testing.T) {
		checkAddModule(t, "forum-completion", "forum",
			"UPDATE {course} SET enablecompletion = 1 WHERE id = 3",
			`INSERT INTO {groupings} (id, courseid, name, idnumber, description, descriptionformat, timecreated, timemodified)
				VALUES (1, 3, 'G-all', '', '', 1, 1795700000, 1795700000)`,
			"UPDATE {course} SET defaultgroupingid = 1 WHERE id = 3",
			"UPDATE {course_sections} SET visible = 0 WHERE course = 3 AND section = 1",
			`INSERT INTO {course_completion_defaults} (course, module, completion, completionview, completionusegrade,
				completionpassgrade, completionexpected, customrules)
				VALUES (1, 9, 2, 1, 0, 0, 0, '{"completiondiscussions":"2","completiondiscussionsenabled":"1"}')`)
	})
}

// checkAddModule compares AddModule's rows with testdata/modedit/<name>.json
// after running setup on the fixture.
func checkAddModule(t *testing.T, name, typ string, setup ...string) {
	raw, err := os.ReadFile("testdata/modedit/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	db, tdb := testenv.DB(t)
	for _, q := range setup {
		tdb.Exec(t, q)
	}
	ctx := context.Background()
	before := counters(t, tdb)
	env := testEnv(t, db)
	env.UserID = 2
	title, intro := "New "+typ, "<p>About "+typ+"</p>"
	if typ == "page" {
		title, intro = "Reading", "<p>Read this</p>"
	}
	var cmID int64
	err = db.WithTx(ctx, func(tx *database.Tx) error {
		cmID, err = moodle.AddModule(ctx, tx, env, moodle.NewModule{Course: 3, Section: 1, Type: typ, Name: title, Intro: intro, IDNumber: "link-" + typ})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := newRows(t, tdb, before)
	tables := map[string]bool{}
	for name := range want {
		tables[name] = true
	}
	for name := range got {
		tables[name] = true
	}
	var names []string
	for name := range tables {
		if !skipTables[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, table := range names {
		w, g := keep(table, want[table]), keep(table, got[table])
		if len(w) != len(g) {
			t.Errorf("%s: Moodle wrote %d rows, AddModule %d", table, len(w), len(g))
			continue
		}
		for i := range w {
			for col, wv := range w[i] {
				if skipValue(table, col) {
					continue
				}
				if gv, ok := g[i][col]; !ok || !same(wv, gv) {
					t.Errorf("%s[%d].%s = %v, Moodle wrote %v", table, i, col, gv, wv)
				}
			}
		}
	}
	// The references between the new rows.
	cm := got["course_modules"][0]
	instance := got[typ][0]
	mctx := got["context"][0]
	if fmt.Sprint(cm["id"]) != fmt.Sprint(cmID) || fmt.Sprint(cm["instance"]) != fmt.Sprint(instance["id"]) ||
		fmt.Sprint(mctx["instanceid"]) != fmt.Sprint(cmID) || fmt.Sprint(mctx["path"]) != "/1/11/13/"+fmt.Sprint(mctx["id"]) {
		t.Errorf("references: cm %v, instance %v, context %v", cm, instance["id"], mctx)
	}
	if ra := got["block_recent_activity"]; len(ra) != 1 || fmt.Sprint(ra[0]["cmid"]) != fmt.Sprint(cmID) {
		t.Errorf("recent activity: %v", ra)
	}
}

// counters are the AUTO_INCREMENT counters of every table.
func counters(t *testing.T, tdb *testdb.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, r := range tdb.Rows(t, "SELECT table_name AS t, auto_increment AS a FROM information_schema.tables WHERE table_schema = DATABASE() AND auto_increment IS NOT NULL") {
		var n int64
		fmt.Sscan(fmt.Sprint(r["a"]), &n)
		out[strings.TrimPrefix(fmt.Sprint(r["t"]), tdb.Prefix)] = n
	}
	return out
}

// newRows returns the rows added since before, by table without prefix.
func newRows(t *testing.T, tdb *testdb.DB, before map[string]int64) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for table, n := range counters(t, tdb) {
		if n != before[table] {
			out[table] = tdb.Rows(t, "SELECT * FROM {"+table+"} WHERE id >= ? ORDER BY id", before[table])
		}
	}
	return out
}

func keep(table string, rows []map[string]any) []map[string]any {
	var out []map[string]any
	for _, r := range rows {
		if !skipRow(table, r) {
			out = append(out, r)
		}
	}
	return out
}

// same compares a value Moodle wrote (JSON: string or null) with one read
// back (string, []byte or nil).
func same(want, got any) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	if b, ok := got.([]byte); ok {
		got = string(b)
	}
	return fmt.Sprint(want) == fmt.Sprint(got)
}
