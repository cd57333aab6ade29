package coursecopy

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
)

// This file is the test's own, independent description of what belongs to
// a course and which columns hold ids of what: the copy is checked against
// it, not against the copier's specs.

// owned lists, table by table, the ids of the rows that belong to a course.
type owned map[string][]int64

func (o owned) has(table string, id int64) bool {
	for _, x := range o[table] {
		if x == id {
			return true
		}
	}
	return false
}

func idsOf(t *testing.T, tdb *testdb.DB, query string, args ...any) []int64 {
	t.Helper()
	var out []int64
	for _, r := range tdb.Rows(t, query, args...) {
		for _, v := range r {
			n, _ := strconv.ParseInt(fmt.Sprint(v), 10, 64)
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func list(ids []int64) string {
	if len(ids) == 0 {
		return "(0)"
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return "(" + strings.Join(s, ",") + ")"
}

// childTables: table → (parent column, parent table); rows whose parent
// belongs to the course belong to it too. userdata marks user data.
var childTables = []struct {
	table, col, parent string
	userdata           bool
}{
	{"book_chapters", "bookid", "book", false},
	{"choice_options", "choiceid", "choice", false},
	{"glossary_categories", "glossaryid", "glossary", false},
	{"feedback_item", "feedback", "feedback", false},
	{"quiz_sections", "quizid", "quiz", false},
	{"quiz_slots", "quizid", "quiz", false},
	{"quiz_feedback", "quizid", "quiz", false},
	{"quiz_grade_items", "quizid", "quiz", false},
	{"assign_plugin_config", "assignment", "assign", false},
	{"choice_answers", "choiceid", "choice", true},
	{"forum_discussions", "forum", "forum", true},
	{"forum_posts", "discussion", "forum_discussions", true},
	{"assign_submission", "assignment", "assign", true},
	{"assignsubmission_onlinetext", "assignment", "assign", true},
}

var questionTables = []struct{ table, col string }{
	{"question_answers", "question"}, {"question_hints", "questionid"}, {"qtype_multichoice_options", "questionid"},
	{"question_truefalse", "question"}, {"qtype_shortanswer_options", "questionid"}, {"question_numerical", "question"},
	{"question_numerical_options", "question"}, {"question_numerical_units", "question"}, {"qtype_essay_options", "questionid"},
	{"qtype_match_options", "questionid"}, {"qtype_match_subquestions", "questionid"},
}

// ownedBy walks everything that belongs to a course.
func ownedBy(t *testing.T, tdb *testdb.DB, course int64, userdata bool) owned {
	t.Helper()
	o := owned{"course": {course}}
	o["course_sections"] = idsOf(t, tdb, "SELECT id FROM {course_sections} WHERE course = ?", course)
	o["course_format_options"] = idsOf(t, tdb, "SELECT id FROM {course_format_options} WHERE courseid = ?", course)
	o["course_modules"] = idsOf(t, tdb, "SELECT id FROM {course_modules} WHERE course = ?", course)
	for _, r := range tdb.Rows(t, "SELECT DISTINCT m.name FROM {course_modules} cm JOIN {modules} m ON m.id = cm.module WHERE cm.course = ?", course) {
		mod := r["name"].(string)
		o[mod] = idsOf(t, tdb, "SELECT cm.instance FROM {course_modules} cm JOIN {modules} m ON m.id = cm.module WHERE cm.course = ? AND m.name = ?", course, mod)
	}
	for _, ch := range childTables {
		if ch.userdata && !userdata {
			continue
		}
		o[ch.table] = idsOf(t, tdb, "SELECT id FROM {"+ch.table+"} WHERE "+ch.col+" IN "+list(o[ch.parent]))
	}
	cctx := idsOf(t, tdb, "SELECT id FROM {context} WHERE contextlevel = 50 AND instanceid = ?", course)
	cmctx := idsOf(t, tdb, "SELECT id FROM {context} WHERE contextlevel = 70 AND instanceid IN "+list(o["course_modules"]))
	o["block_instances"] = idsOf(t, tdb, "SELECT id FROM {block_instances} WHERE parentcontextid IN "+list(append(cctx, cmctx...)))
	bctx := idsOf(t, tdb, "SELECT id FROM {context} WHERE contextlevel = 80 AND instanceid IN "+list(o["block_instances"]))
	ctxs := append(append(append([]int64{}, cctx...), cmctx...), bctx...)
	o["context"] = ctxs
	o["block_positions"] = idsOf(t, tdb, "SELECT id FROM {block_positions} WHERE blockinstanceid IN "+list(o["block_instances"]))
	o["files"] = idsOf(t, tdb, "SELECT id FROM {files} WHERE contextid IN "+list(ctxs))
	o["tag_instance"] = idsOf(t, tdb, "SELECT id FROM {tag_instance} WHERE contextid IN "+list(ctxs))
	for _, tbl := range []string{"role_capabilities", "filter_active", "filter_config", "grade_letters"} {
		o[tbl] = idsOf(t, tdb, "SELECT id FROM {"+tbl+"} WHERE contextid IN "+list(ctxs))
	}
	o["question_categories"] = idsOf(t, tdb, "SELECT id FROM {question_categories} WHERE contextid IN "+list(ctxs))
	o["question_bank_entries"] = idsOf(t, tdb, "SELECT id FROM {question_bank_entries} WHERE questioncategoryid IN "+list(o["question_categories"]))
	o["question_versions"] = idsOf(t, tdb, "SELECT id FROM {question_versions} WHERE questionbankentryid IN "+list(o["question_bank_entries"]))
	o["question"] = idsOf(t, tdb, "SELECT questionid FROM {question_versions} WHERE id IN "+list(o["question_versions"]))
	for _, qt := range questionTables {
		o[qt.table] = idsOf(t, tdb, "SELECT id FROM {"+qt.table+"} WHERE "+qt.col+" IN "+list(o["question"]))
	}
	o["question_references"] = idsOf(t, tdb, "SELECT id FROM {question_references} WHERE usingcontextid IN "+list(ctxs))
	o["question_set_references"] = idsOf(t, tdb, "SELECT id FROM {question_set_references} WHERE usingcontextid IN "+list(ctxs))
	for _, tbl := range []string{"grade_categories", "grade_items", "grade_settings", "groups", "groupings", "scale", "event"} {
		o[tbl] = idsOf(t, tdb, "SELECT id FROM {"+tbl+"} WHERE courseid = ?", course)
	}
	o["groupings_groups"] = idsOf(t, tdb, "SELECT id FROM {groupings_groups} WHERE groupingid IN "+list(o["groupings"]))
	for _, tbl := range []string{"course_completion_criteria", "course_completion_aggr_methd", "course_completion_defaults"} {
		o[tbl] = idsOf(t, tdb, "SELECT id FROM {"+tbl+"} WHERE course = ?", course)
	}
	if userdata {
		o["role_assignments"] = idsOf(t, tdb, "SELECT id FROM {role_assignments} WHERE contextid IN "+list(ctxs))
		o["groups_members"] = idsOf(t, tdb, "SELECT id FROM {groups_members} WHERE groupid IN "+list(o["groups"]))
		o["grade_grades"] = idsOf(t, tdb, "SELECT id FROM {grade_grades} WHERE itemid IN "+list(o["grade_items"]))
		o["course_modules_completion"] = idsOf(t, tdb, "SELECT id FROM {course_modules_completion} WHERE coursemoduleid IN "+list(o["course_modules"]))
		o["course_modules_viewed"] = idsOf(t, tdb, "SELECT id FROM {course_modules_viewed} WHERE coursemoduleid IN "+list(o["course_modules"]))
	}
	return o
}

// refs are the id columns of each table and the table they point at.
// Columns whose target depends on the row are in polyRef.
var refs = map[string]map[string]string{
	"course_sections":              {"course": "course"},
	"course_format_options":        {"courseid": "course", "sectionid": "course_sections"},
	"course_modules":               {"course": "course", "section": "course_sections", "groupingid": "groupings"},
	"book_chapters":                {"bookid": "book"},
	"choice_options":               {"choiceid": "choice"},
	"glossary_categories":          {"glossaryid": "glossary"},
	"feedback_item":                {"feedback": "feedback", "dependitem": "feedback_item"},
	"quiz_sections":                {"quizid": "quiz"},
	"quiz_slots":                   {"quizid": "quiz", "quizgradeitemid": "quiz_grade_items"},
	"quiz_feedback":                {"quizid": "quiz"},
	"quiz_grade_items":             {"quizid": "quiz"},
	"assign_plugin_config":         {"assignment": "assign"},
	"choice_answers":               {"choiceid": "choice", "optionid": "choice_options"},
	"forum_discussions":            {"course": "course", "forum": "forum", "groupid": "groups", "firstpost": "forum_posts"},
	"forum_posts":                  {"discussion": "forum_discussions", "parent": "forum_posts"},
	"assign_submission":            {"assignment": "assign", "groupid": "groups"},
	"assignsubmission_onlinetext":  {"assignment": "assign", "submission": "assign_submission"},
	"block_instances":              {"parentcontextid": "context"},
	"block_positions":              {"blockinstanceid": "block_instances", "contextid": "context"},
	"files":                        {"contextid": "context"},
	"tag_instance":                 {"contextid": "context"},
	"role_capabilities":            {"contextid": "context"},
	"filter_active":                {"contextid": "context"},
	"filter_config":                {"contextid": "context"},
	"grade_letters":                {"contextid": "context"},
	"question_categories":          {"contextid": "context", "parent": "question_categories"},
	"question_bank_entries":        {"questioncategoryid": "question_categories"},
	"question_versions":            {"questionbankentryid": "question_bank_entries", "questionid": "question"},
	"question":                     {"parent": "question"},
	"question_answers":             {"question": "question"},
	"question_hints":               {"questionid": "question"},
	"qtype_multichoice_options":    {"questionid": "question"},
	"question_truefalse":           {"question": "question", "trueanswer": "question_answers", "falseanswer": "question_answers"},
	"qtype_shortanswer_options":    {"questionid": "question"},
	"question_numerical":           {"question": "question", "answer": "question_answers"},
	"question_numerical_options":   {"question": "question"},
	"question_numerical_units":     {"question": "question"},
	"qtype_essay_options":          {"questionid": "question"},
	"qtype_match_options":          {"questionid": "question"},
	"qtype_match_subquestions":     {"questionid": "question"},
	"question_references":          {"usingcontextid": "context", "itemid": "quiz_slots", "questionbankentryid": "question_bank_entries"},
	"question_set_references":      {"usingcontextid": "context", "itemid": "quiz_slots", "questionscontextid": "context"},
	"grade_categories":             {"courseid": "course", "parent": "grade_categories"},
	"grade_items":                  {"courseid": "course", "categoryid": "grade_categories", "scaleid": "scale"},
	"grade_settings":               {"courseid": "course"},
	"groups":                       {"courseid": "course"},
	"groupings":                    {"courseid": "course"},
	"groupings_groups":             {"groupingid": "groupings", "groupid": "groups"},
	"scale":                        {"courseid": "course"},
	"event":                        {"courseid": "course", "groupid": "groups"},
	"course_completion_criteria":   {"course": "course", "moduleinstance": "course_modules"},
	"course_completion_aggr_methd": {"course": "course"},
	"course_completion_defaults":   {"course": "course"},
	"role_assignments":             {"contextid": "context"},
	"groups_members":               {"groupid": "groups"},
	"grade_grades":                 {"itemid": "grade_items"},
	"course_modules_completion":    {"coursemoduleid": "course_modules"},
	"course_modules_viewed":        {"coursemoduleid": "course_modules"},
	"forum":                        {"course": "course"},
	"quiz":                         {"course": "course"},
	"assign":                       {"course": "course"},
}

// modTables are the module instance tables: their course column points at
// the course.
var modTables = map[string]bool{"forum": true, "page": true, "assign": true, "url": true, "label": true, "book": true,
	"choice": true, "folder": true, "resource": true, "glossary": true, "feedback": true, "quiz": true, "subsection": true}

var fileAreaTables = map[string]string{
	"course/section": "course_sections", "mod_book/chapter": "book_chapters", "question/answer": "question_answers",
	"question/answerfeedback": "question_answers", "question/hint": "question_hints", "qtype_match/subquestion": "qtype_match_subquestions",
	"mod_quiz/feedback": "quiz_feedback", "group/description": "groups", "group/icon": "groups",
}

// polyRef returns the table a row's polymorphic id column points at, or
// "" when the column holds no id in this row.
func polyRef(table, col string, r map[string]any, modname func(module string) string) string {
	s := func(c string) string { return fmt.Sprint(r[c]) }
	switch table + "." + col {
	case "course_modules.instance":
		return modname(s("module"))
	case "course_sections.itemid":
		if s("component") == "mod_subsection" {
			return "subsection"
		}
	case "context.instanceid":
		return map[string]string{"50": "course", "70": "course_modules", "80": "block_instances"}[s("contextlevel")]
	case "files.itemid":
		if t, ok := fileAreaTables[s("component")+"/"+s("filearea")]; ok {
			return t
		}
		if s("component") == "question" || strings.HasPrefix(s("component"), "qtype_") {
			return "question"
		}
	case "tag_instance.itemid":
		return map[string]string{"core/course": "course", "core/course_modules": "course_modules",
			"mod_book/book_chapters": "book_chapters", "core_question/question": "question"}[s("component")+"/"+s("itemtype")]
	case "grade_items.iteminstance":
		switch s("itemtype") {
		case "course", "category":
			return "grade_categories"
		case "mod":
			return s("itemmodule")
		}
	case "event.instance":
		if s("modulename") != "" && s("modulename") != "<nil>" {
			return s("modulename")
		}
	}
	return ""
}

// scaleColumns hold a grade: positive for points, -scaleid for a scale.
var scaleColumns = map[string]bool{"forum.scale": true, "forum.grade_forum": true, "glossary.scale": true, "assign.grade": true}

// regenerated are columns a copy sets afresh rather than copies.
var regenerated = map[string]bool{"id": true, "timecreated": true, "timemodified": true, "added": true, "timeadded": true,
	"pathnamehash": true, "timecopied": true, "modifierid": true, "usermodified": true, "needsupdate": true}

// jsonIDs finds the ids in an availability tree: cm, grade, group, grouping.
var jsonIDs = regexp.MustCompile(`"type":"(completion|grade|group|grouping)","(?:cm|id)":(\d+)`)

// checkCopy compares the copy of every source row with its source, using the
// copier's map only to pair rows: every source row has a copy owned by the
// destination, every id column of the copy points at the copy of what the
// source pointed at (or at the same site-wide row), every other column is
// equal, and no copied row points at anything of the source course.
func checkCopy(t *testing.T, tdb *testdb.DB, c *copier, src, dst owned, except map[string]bool) {
	t.Helper()
	mods := map[string]string{}
	for _, r := range tdb.Rows(t, "SELECT id, name FROM {modules}") {
		mods[fmt.Sprint(r["id"])] = fmt.Sprint(r["name"])
	}
	modname := func(id string) string { return mods[id] }
	mapped := func(table string, old int64) (int64, bool) {
		n, ok := c.ids[table][old]
		return n, ok
	}
	var tables []string
	for tbl := range src {
		tables = append(tables, tbl)
	}
	sort.Strings(tables)
	for _, tbl := range tables {
		if except[tbl] {
			continue
		}
		if len(src[tbl]) != len(dst[tbl]) {
			t.Errorf("%s: %d rows in the source, %d in the copy", tbl, len(src[tbl]), len(dst[tbl]))
		}
		for _, old := range src[tbl] {
			nw, ok := mapped(tbl, old)
			if !ok {
				t.Errorf("%s %d was not copied", tbl, old)
				continue
			}
			if !dst.has(tbl, nw) {
				t.Errorf("%s %d was copied as %d, which does not belong to the new course", tbl, old, nw)
				continue
			}
			sr := tdb.Rows(t, "SELECT * FROM {"+tbl+"} WHERE id = ?", old)[0]
			dr := tdb.Rows(t, "SELECT * FROM {"+tbl+"} WHERE id = ?", nw)[0]
			for col, sv := range sr {
				dv := dr[col]
				target := refs[tbl][col]
				if col == "course" && modTables[tbl] {
					target = "course"
				}
				if p := polyRef(tbl, col, sr, modname); p != "" {
					target = p
				}
				switch {
				case regenerated[col]:
				case target != "":
					so, _ := strconv.ParseInt(fmt.Sprint(sv), 10, 64)
					do, _ := strconv.ParseInt(fmt.Sprint(dv), 10, 64)
					if sv == nil || so <= 0 {
						if fmt.Sprint(sv) != fmt.Sprint(dv) {
							t.Errorf("%s %d.%s: %v, want %v (no reference)", tbl, nw, col, dv, sv)
						}
						continue
					}
					want, isMapped := mapped(target, so)
					if !isMapped {
						if src.has(target, so) {
							t.Errorf("%s %d.%s = %d: %s %d of the source was not copied", tbl, nw, col, do, target, so)
						} else if do != so {
							t.Errorf("%s %d.%s = %d, want the site-wide %s %d unchanged", tbl, nw, col, do, target, so)
						}
						continue
					}
					if do != want {
						t.Errorf("%s %d.%s = %d, want %d (copy of %s %d)", tbl, nw, col, do, want, target, so)
					}
				case scaleColumns[tbl+"."+col]:
					so, _ := strconv.ParseInt(fmt.Sprint(sv), 10, 64)
					do, _ := strconv.ParseInt(fmt.Sprint(dv), 10, 64)
					if want, ok := mapped("scale", -so); so < 0 && ok && do != -want {
						t.Errorf("%s %d.%s = %d, want -%d (the copied scale)", tbl, nw, col, do, want)
					} else if (so >= 0 || !ok) && do != so {
						t.Errorf("%s %d.%s = %d, want %d", tbl, nw, col, do, so)
					}
				case col == "availability" || col == "filtercondition" || col == "calculation" || col == "path" ||
					(tbl == "course_sections" && col == "sequence"):
					checkEmbedded(t, tbl, nw, col, fmt.Sprint(sv), fmt.Sprint(dv), c, dst)
				case tbl == "course_modules" && col == "idnumber", tbl == "course" && col == "originalcourseid":
				case tbl == "context" && col == "depth":
				default:
					if fmt.Sprint(sv) != fmt.Sprint(dv) {
						t.Errorf("%s %d.%s = %.80v, want %.80v as in the source", tbl, nw, col, dv, sv)
					}
				}
			}
		}
	}
	// The file records point at the same content, with a hash of their new path.
	for _, f := range tdb.Rows(t, "SELECT * FROM {files} WHERE id IN "+list(dst["files"])) {
		sum := sha1.Sum([]byte(fmt.Sprintf("/%v/%v/%v/%v%v%v", f["contextid"], f["component"], f["filearea"], f["itemid"], f["filepath"], f["filename"])))
		if hex.EncodeToString(sum[:]) != f["pathnamehash"] {
			t.Errorf("file %v: pathnamehash not recomputed", f["id"])
		}
	}
	// No row of the copy points at the source course's rows.
	for tbl, ids := range dst {
		for _, id := range ids {
			r := tdb.Rows(t, "SELECT * FROM {"+tbl+"} WHERE id = ?", id)[0]
			for col, v := range r {
				target := refs[tbl][col]
				if col == "course" && modTables[tbl] {
					target = "course"
				}
				if p := polyRef(tbl, col, r, modname); p != "" {
					target = p
				}
				n, _ := strconv.ParseInt(fmt.Sprint(v), 10, 64)
				if target != "" && n > 0 && src.has(target, n) {
					t.Errorf("%s %d.%s = %d points at the source's %s", tbl, id, col, n, target)
				}
			}
		}
	}
}

// checkEmbedded checks ids inside texts: availability trees, sequences,
// calculations and paths must name only rows of the copy.
func checkEmbedded(t *testing.T, tbl string, id int64, col, sv, dv string, c *copier, dst owned) {
	t.Helper()
	if sv == "<nil>" || sv == "" {
		if dv != sv {
			t.Errorf("%s %d.%s = %q, want %q", tbl, id, col, dv, sv)
		}
		return
	}
	switch col {
	case "availability":
		for _, m := range jsonIDs.FindAllStringSubmatch(dv, -1) {
			target := map[string]string{"completion": "course_modules", "grade": "grade_items", "group": "groups", "grouping": "groupings"}[m[1]]
			n, _ := strconv.ParseInt(m[2], 10, 64)
			if !dst.has(target, n) {
				t.Errorf("%s %d availability names %s %d, not of the copy: %s", tbl, id, target, n, dv)
			}
		}
		if strings.Count(sv, `"type"`) != strings.Count(dv, `"type"`) {
			t.Errorf("%s %d availability lost conditions: %s → %s", tbl, id, sv, dv)
		}
	case "sequence":
		sp, dp := strings.Split(sv, ","), strings.Split(dv, ",")
		if len(sp) != len(dp) {
			t.Errorf("section %d sequence %q from %q", id, dv, sv)
			return
		}
		for i := range sp {
			o, _ := strconv.ParseInt(sp[i], 10, 64)
			n, _ := strconv.ParseInt(dp[i], 10, 64)
			if c.ids["course_modules"][o] != n {
				t.Errorf("section %d sequence %q from %q: position %d", id, dv, sv, i)
			}
		}
	case "calculation":
		for _, m := range regexp.MustCompile(`##gi(\d+)##`).FindAllStringSubmatch(dv, -1) {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			if !dst.has("grade_items", n) {
				t.Errorf("grade item %d calculation names item %d, not of the copy", id, n)
			}
		}
	case "filtercondition":
		for _, m := range regexp.MustCompile(`"values":\[(\d+)`).FindAllStringSubmatch(dv, -1) {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			if !dst.has("question_categories", n) {
				t.Errorf("random question %d filter names category %d, not of the copy", id, n)
			}
		}
	case "path":
		for _, p := range strings.Split(strings.Trim(dv, "/"), "/") {
			n, _ := strconv.ParseInt(p, 10, 64)
			if tbl == "grade_categories" && !dst.has("grade_categories", n) {
				t.Errorf("grade category %d path %s names %d", id, dv, n)
			}
		}
		if tbl == "context" && !strings.HasSuffix(dv, "/"+strconv.FormatInt(id, 10)) {
			t.Errorf("context %d path %s", id, dv)
		}
	}
}
