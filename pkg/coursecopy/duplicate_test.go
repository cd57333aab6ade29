package coursecopy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
)

// Course modules of the rich template (testdata/tpl1-rich.sql).
const (
	tplQuiz   = 19
	tplBook   = 13
	tplLocked = 21 // page with availability on the essay, the quiz grade and a group
	tplSub    = 22 // subsection
	prov1     = 3
)

func copyModule(t *testing.T, db *database.DB, cm, dst int64, idnumber string) (int64, *Report) {
	t.Helper()
	ctx := context.Background()
	env := testEnv(t, db)
	var id int64
	var rep *Report
	err := db.WithTx(ctx, func(tx *database.Tx) error {
		var err error
		id, rep, err = CopyModule(ctx, tx, env, cm, dst, idnumber, Options{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id, rep
}

func one(t *testing.T, tdb *testdb.DB, query string, args ...any) map[string]any {
	t.Helper()
	rows := tdb.Rows(t, query, args...)
	if len(rows) != 1 {
		t.Fatalf("%s: %d rows", query, len(rows))
	}
	return rows[0]
}

func TestCopyQuizToAnotherCourse(t *testing.T) {
	db, tdb := richDB(t)
	cm, rep := copyModule(t, db, tplQuiz, prov1, "rl-1")
	r := one(t, tdb, "SELECT cm.*, s.section AS secnum, s.sequence FROM {course_modules} cm JOIN {course_sections} s ON s.id = cm.section WHERE cm.id = ?", cm)
	if r["course"] != "3" || r["idnumber"] != "rl-1" || r["secnum"] != "1" || !strings.HasSuffix(fmt.Sprint(r["sequence"]), fmt.Sprint(cm)) {
		t.Errorf("placement %v", r)
	}
	if len(rep.Skipped) != 0 {
		t.Errorf("report %+v", rep)
	}
	quiz := one(t, tdb, "SELECT q.* FROM {quiz} q JOIN {course_modules} cm ON cm.instance = q.id WHERE cm.id = ?", cm)
	if quiz["course"] != "3" || quiz["name"] != "Template quiz" || quiz["sumgrades"] != "8.00000" {
		t.Errorf("quiz %v", quiz)
	}
	qctx := one(t, tdb, "SELECT id FROM {context} WHERE contextlevel = 70 AND instanceid = ?", cm)["id"]
	pctx := one(t, tdb, "SELECT id FROM {context} WHERE contextlevel = 50 AND instanceid = 3")["id"]
	// The quiz's own bank came with it; the template course's categories it
	// uses went into PROV1's bank.
	if n := tdb.Count(t, "question_categories", "contextid = ?", qctx); n != 2 {
		t.Errorf("quiz bank has %d categories", n)
	}
	cats := tdb.Rows(t, "SELECT name FROM {question_categories} WHERE contextid = ? ORDER BY id", pctx)
	if len(cats) != 3 || cats[1]["name"] != "TPL bank" || cats[2]["name"] != "TPL sub" {
		t.Errorf("PROV1 bank %v", cats)
	}
	// Every slot refers to an entry of the copied banks.
	refs := tdb.Rows(t, `SELECT qc.contextid FROM {question_references} r JOIN {question_bank_entries} e ON e.id = r.questionbankentryid
		JOIN {question_categories} qc ON qc.id = e.questioncategoryid WHERE r.usingcontextid = ?`, qctx)
	if len(refs) != 8 {
		t.Fatalf("%d fixed slots", len(refs))
	}
	for _, ref := range refs {
		if ref["contextid"] != qctx && ref["contextid"] != pctx {
			t.Errorf("slot uses a question of context %v", ref["contextid"])
		}
	}
	set := one(t, tdb, "SELECT * FROM {question_set_references} WHERE usingcontextid = ?", qctx)
	sub := one(t, tdb, "SELECT id FROM {question_categories} WHERE contextid = ? AND name = 'TPL sub'", pctx)["id"]
	if set["questionscontextid"] != pctx || !strings.Contains(fmt.Sprint(set["filtercondition"]), fmt.Sprintf(`"values":[%v]`, sub)) {
		t.Errorf("random slot %v", set)
	}
	// Its grade item joined PROV1's gradebook, last, and forces a regrade.
	gi := one(t, tdb, "SELECT * FROM {grade_items} WHERE courseid = 3 AND itemmodule = 'quiz' AND iteminstance = ?", quiz["id"])
	if gi["categoryid"] != "2" || gi["sortorder"] != "4" || gi["needsupdate"] != "1" || gi["idnumber"] != "TPL-QUIZ" {
		t.Errorf("grade item %v", gi)
	}
	if n := tdb.Count(t, "logstore_standard_log", "eventname = ? AND objectid = ? AND courseid = 3", `\core\event\course_module_created`, cm); n != 1 {
		t.Errorf("course_module_created logged %d times", n)
	}

	// A second copy reuses the questions already copied into PROV1.
	questions := tdb.Count(t, "question", "1 = 1")
	cm2, _ := copyModule(t, db, tplQuiz, prov1, "rl-2")
	if n := tdb.Count(t, "question_categories", "contextid = ?", pctx); n != 3 {
		t.Errorf("PROV1 bank has %d categories after a second copy", n)
	}
	if n := tdb.Count(t, "question", "1 = 1"); n != questions+1 {
		t.Errorf("%d questions added by the second copy, want only the quiz's own one", n-questions)
	}
	qctx2 := one(t, tdb, "SELECT id FROM {context} WHERE contextlevel = 70 AND instanceid = ?", cm2)["id"]
	if a, b := tdb.Rows(t, "SELECT questionbankentryid FROM {question_references} WHERE usingcontextid = ? ORDER BY itemid", qctx),
		tdb.Rows(t, "SELECT questionbankentryid FROM {question_references} WHERE usingcontextid = ? ORDER BY itemid", qctx2); fmt.Sprint(a[:7]) != fmt.Sprint(b[:7]) {
		t.Errorf("the second copy uses other entries: %v / %v", a, b)
	}
}

func TestCopyModuleReferencesLeftBehind(t *testing.T) {
	db, tdb := richDB(t)
	cm, rep := copyModule(t, db, tplLocked, prov1, "")
	av := fmt.Sprint(one(t, tdb, "SELECT availability FROM {course_modules} WHERE id = ?", cm)["availability"])
	want := `{"op":"&","c":[{"type":"completion","cm":0,"e":1},{"type":"grade","id":0,"min":50},{"type":"group","id":0},{"type":"date","d":">=","t":1700000000}],"showc":[true,true,false,true]}`
	if av != want {
		t.Errorf("availability\n%s\nwant\n%s", av, want)
	}
	if len(rep.Warnings) != 3 {
		t.Errorf("warnings %v", rep.Warnings)
	}
	// Its file, tag, role override and filter setting came along.
	ctxid := one(t, tdb, "SELECT id FROM {context} WHERE contextlevel = 70 AND instanceid = ?", cm)["id"]
	for tbl, n := range map[string]int{"files": 2, "tag_instance": 1, "role_capabilities": 1, "filter_config": 1, "block_instances": 1} {
		col := "contextid"
		if tbl == "block_instances" {
			col = "parentcontextid"
		}
		if got := tdb.Count(t, tbl, col+" = ?", ctxid); got != n {
			t.Errorf("%s: %d rows, want %d", tbl, got, n)
		}
	}
	// PROV1 has no section 3 module with that number? It has: the page goes there.
	if s := one(t, tdb, "SELECT s.section FROM {course_sections} s JOIN {course_modules} cm ON cm.section = s.id WHERE cm.id = ?", cm); s["section"] != "3" {
		t.Errorf("section %v", s)
	}
}

func TestCopyModuleInSameCourse(t *testing.T) {
	db, tdb := richDB(t)
	cm, rep := copyModule(t, db, tplLocked, 2, "")
	// Right after the original; references inside the course stay.
	seq := fmt.Sprint(one(t, tdb, "SELECT sequence FROM {course_sections} WHERE id = 4")["sequence"])
	if seq != fmt.Sprintf("15,16,21,%d,22", cm) {
		t.Errorf("sequence %s", seq)
	}
	src := fmt.Sprint(one(t, tdb, "SELECT availability FROM {course_modules} WHERE id = ?", tplLocked)["availability"])
	if got := fmt.Sprint(one(t, tdb, "SELECT availability FROM {course_modules} WHERE id = ?", cm)["availability"]); got != src || len(rep.Warnings) != 0 {
		t.Errorf("availability %s, warnings %v", got, rep.Warnings)
	}
	// idnumbers are unique in a course: the copy's is emptied.
	if idn := one(t, tdb, "SELECT idnumber FROM {course_modules} WHERE id = ?", cm)["idnumber"]; idn != "" {
		t.Errorf("idnumber %v", idn)
	}
}

func TestCopyModuleRefusals(t *testing.T) {
	db, tdb := richDB(t)
	ctx := context.Background()
	env := testEnv(t, db)
	// A module type the copy has no description of: copied when it is a
	// single row, skipped when it has tables of its own.
	tdb.Exec(t, "CREATE TABLE {widget} (id BIGINT AUTO_INCREMENT PRIMARY KEY, course BIGINT NOT NULL, name VARCHAR(255) NOT NULL, colour VARCHAR(10))")
	tdb.Exec(t, "CREATE TABLE {gadget} (id BIGINT AUTO_INCREMENT PRIMARY KEY, course BIGINT NOT NULL, name VARCHAR(255) NOT NULL)")
	tdb.Exec(t, "CREATE TABLE {gadget_parts} (id BIGINT AUTO_INCREMENT PRIMARY KEY, gadgetid BIGINT NOT NULL)")
	for i, mod := range []string{"widget", "gadget"} {
		tdb.Exec(t, "INSERT INTO {modules} (name, cron, lastcron, search, visible) VALUES (?, 0, 0, '', 1)", mod)
		tdb.Exec(t, "INSERT INTO {"+mod+"} (course, name) VALUES (2, ?)", mod+" one")
		tdb.Exec(t, "INSERT INTO {course_modules} (id, course, module, instance, section, added) VALUES (?, 2, (SELECT id FROM {modules} WHERE name = ?), 1, 4, 0)", 900+i, mod)
		tdb.Exec(t, "INSERT INTO {context} (contextlevel, instanceid, path, depth) VALUES (70, ?, '', 4)", 900+i)
	}
	tdb.Exec(t, "UPDATE {widget} SET colour = 'teal'")
	cm, _ := copyModule(t, db, 900, prov1, "w")
	if r := one(t, tdb, "SELECT w.* FROM {widget} w JOIN {course_modules} cm ON cm.instance = w.id WHERE cm.id = ?", cm); r["course"] != "3" || r["colour"] != "teal" {
		t.Errorf("widget %v", r)
	}
	before := tdb.Snapshot(t)
	for _, tc := range []struct {
		cm   int64
		want string
	}{
		{901, "gadget_parts"},
		{tplSub, "subsection"},
	} {
		err := db.WithTx(ctx, func(tx *database.Tx) error {
			_, _, err := CopyModule(ctx, tx, env, tc.cm, prov1, "x", Options{})
			return err
		})
		if !errors.Is(err, ErrNotCopyable) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("cm %d: %v", tc.cm, err)
		}
	}
	err := db.WithTx(ctx, func(tx *database.Tx) error {
		_, _, err := CopyModule(ctx, tx, env, 99999, prov1, "x", Options{})
		return err
	})
	if !errors.Is(err, database.ErrNotFound) {
		t.Errorf("missing module: %v", err)
	}
	tdb.AssertUnchanged(t, before)
}

func TestCopyBookToAnotherCourse(t *testing.T) {
	db, tdb := richDB(t)
	cm, _ := copyModule(t, db, tplBook, prov1, "")
	book := one(t, tdb, "SELECT instance FROM {course_modules} WHERE id = ?", cm)["instance"]
	chapters := tdb.Rows(t, "SELECT id, title, subchapter FROM {book_chapters} WHERE bookid = ? ORDER BY id", book)
	if len(chapters) != 2 || chapters[1]["subchapter"] != "1" {
		t.Fatalf("chapters %v", chapters)
	}
	f := one(t, tdb, "SELECT f.* FROM {files} f JOIN {context} c ON c.id = f.contextid WHERE c.contextlevel = 70 AND c.instanceid = ? AND f.filename = 'fig.png'", cm)
	orig := one(t, tdb, "SELECT contenthash FROM {files} WHERE filename = 'fig.png' AND itemid <> ? ORDER BY id LIMIT 1", f["itemid"])
	if f["itemid"] != chapters[0]["id"] || f["contenthash"] != orig["contenthash"] {
		t.Errorf("chapter file %v", f)
	}
	if n := tdb.Count(t, "tag_instance", "component = 'mod_book' AND itemtype = 'book_chapters' AND itemid = ?", chapters[0]["id"]); n != 1 {
		t.Errorf("chapter tag %d", n)
	}
}
