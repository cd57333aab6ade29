package coursecopy

import (
	"context"
	"strconv"
	"strings"
)

// Question banks (Moodle 4.5): a context's question_categories hold
// question_bank_entries, whose question_versions point at question rows and
// their question type's tables. Quizzes use them through
// question_references (a slot → an entry) and question_set_references
// (a random slot → a category filter).
//
// Like Moodle's restore, the copy duplicates banks of the course and module
// contexts it copies into the new contexts, and keeps referring to shared
// banks (course category and system contexts). So a new course's teachers
// own and can edit its questions, and editing the template's questions
// later does not change the copies.

// qtypeTables are the tables of each core question type, besides
// question_answers and question_hints, keyed on the question id.
var qtypeTables = map[string][]child{
	"description": nil,
	"multichoice": {{table: "qtype_multichoice_options", parent: "questionid"}},
	"truefalse": {{table: "question_truefalse", parent: "question",
		refs: map[string]string{"trueanswer": "question_answers", "falseanswer": "question_answers"}}},
	"shortanswer": {{table: "qtype_shortanswer_options", parent: "questionid"}},
	"numerical": {
		{table: "question_numerical", parent: "question", refs: map[string]string{"answer": "question_answers"}},
		{table: "question_numerical_options", parent: "question"},
		{table: "question_numerical_units", parent: "question"},
	},
	"essay":         {{table: "qtype_essay_options", parent: "questionid"}},
	"match":         {{table: "qtype_match_options", parent: "questionid"}, {table: "qtype_match_subquestions", parent: "questionid"}},
	"randomsamatch": {{table: "qtype_randomsamatch_options", parent: "questionid"}},
	"ddwtos":        {{table: "question_ddwtos", parent: "questionid"}},
	"gapselect":     {{table: "question_gapselect", parent: "questionid"}},
	"ordering":      {{table: "qtype_ordering_options", parent: "questionid"}},
	"ddimageortext": {{table: "qtype_ddimageortext", parent: "questionid"}, {table: "qtype_ddimageortext_drops", parent: "questionid"},
		{table: "qtype_ddimageortext_drags", parent: "questionid"}},
	"ddmarker": {{table: "qtype_ddmarker", parent: "questionid"}, {table: "qtype_ddmarker_drops", parent: "questionid"},
		{table: "qtype_ddmarker_drags", parent: "questionid"}},
	"multianswer":      {{table: "question_multianswer", parent: "question"}},
	"calculated":       calculatedTables,
	"calculatedsimple": calculatedTables,
	"calculatedmulti":  calculatedTables,
}

var calculatedTables = []child{
	{table: "question_calculated", parent: "question", refs: map[string]string{"answer": "question_answers"}},
	{table: "question_calculated_options", parent: "question"},
	{table: "question_numerical_options", parent: "question"},
	{table: "question_numerical_units", parent: "question"},
}

// SupportedQuestionTypes lists the question types the copy carries.
func SupportedQuestionTypes() []string {
	var out []string
	for k := range qtypeTables {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

// copyModuleBank copies the question bank of a module context (a quiz's own
// questions) and, when one module goes to another course, the categories of
// the source course's bank its questions come from.
func (c *copier) copyModuleBank(ctx context.Context, m *modCopy) error {
	if err := c.copyBank(ctx, m.oldCtx.ID, m.newCtx.ID, nil); err != nil {
		return err
	}
	if c.whole || c.src == c.dst || m.modname != "quiz" {
		return nil
	}
	used, err := c.usedCategories(ctx, m.oldCtx.ID, c.srcCtx.ID)
	if err != nil || len(used) == 0 {
		return err
	}
	return c.copyBank(ctx, c.srcCtx.ID, c.dstCtx.ID, used)
}

// usedCategories returns the categories of bank bankCtx that a module
// context's question references use, with their parents and (for random
// questions, which may include subcategories) their descendants.
func (c *copier) usedCategories(ctx context.Context, usingCtx, bankCtx int64) (map[int64]bool, error) {
	cats, err := c.s.selectRows(ctx, "question_categories", "contextid = ?", bankCtx)
	if err != nil {
		return nil, err
	}
	parent := map[int64]int64{}
	for _, cat := range cats {
		parent[cat.int("id")] = cat.int("parent")
	}
	used := map[int64]bool{}
	var ids []int64
	err = c.q.Select(ctx, &ids, `SELECT DISTINCT e.questioncategoryid FROM {question_references} r
		JOIN {question_bank_entries} e ON e.id = r.questionbankentryid WHERE r.usingcontextid = ?`, usingCtx)
	if err != nil {
		return nil, err
	}
	sets, err := c.s.selectRows(ctx, "question_set_references", "usingcontextid = ? AND questionscontextid = ?", usingCtx, bankCtx)
	if err != nil {
		return nil, err
	}
	var setCats []int64
	for _, s := range sets {
		setCats = append(setCats, filterCategories(s.str("filtercondition"))...)
	}
	for _, id := range append(ids, setCats...) {
		if _, ok := parent[id]; !ok {
			continue // another bank
		}
		for p := id; p != 0 && !used[p]; p = parent[p] {
			used[p] = true
		}
	}
	// Descendants of the random questions' categories.
	for changed := true; changed; {
		changed = false
		for id, p := range parent {
			if !used[id] && p != 0 && used[p] && containsInt(setCats, p) {
				used[id] = true
				setCats = append(setCats, id)
				changed = true
			}
		}
	}
	return used, nil
}

// copyBank copies the question categories of context oldCtx (all, or those
// in only) into newCtx, with their questions. A category newCtx already has
// (same stamp, or the top category) is reused, and so are its questions
// with the same stamp: copying activities from one course again and again
// does not multiply its questions, as Moodle's restore does not.
func (c *copier) copyBank(ctx context.Context, oldCtx, newCtx int64, only map[int64]bool) error {
	cats, err := c.s.selectRows(ctx, "question_categories", "contextid = ?", oldCtx)
	if err != nil || len(cats) == 0 {
		return err
	}
	c.put("bankcontext", oldCtx, newCtx)
	existing, err := c.s.selectRows(ctx, "question_categories", "contextid = ?", newCtx)
	if err != nil {
		return err
	}
	byStamp, top := map[string]int64{}, int64(0)
	for _, e := range existing {
		byStamp[e.str("stamp")] = e.int("id")
		if e.int("parent") == 0 {
			top = e.int("id")
		}
	}
	var created []row
	var selected []int64
	reused := map[int64]bool{}
	for _, cat := range cats {
		id := cat.int("id")
		if only != nil && !only[id] {
			continue
		}
		selected = append(selected, id)
		if n, ok := byStamp[cat.str("stamp")]; ok || (cat.int("parent") == 0 && top != 0) {
			if !ok {
				n = top
			}
			c.put("question_categories", id, n)
			reused[id] = true
			continue
		}
		if _, err := c.copyRow(ctx, "question_categories", cat, row{"contextid": newCtx}); err != nil {
			return err
		}
		created = append(created, cat)
	}
	for _, cat := range created {
		p := cat.int("parent")
		np, ok := c.get("question_categories", p)
		if p != 0 && !ok {
			np = top
		}
		nid, _ := c.get("question_categories", cat.int("id"))
		if err := c.s.update(ctx, "question_categories", nid, row{"parent": np}); err != nil {
			return err
		}
	}
	return c.copyQuestions(ctx, selected, reused)
}

// copyQuestions copies the bank entries of the given (already mapped)
// categories with their versions and questions.
func (c *copier) copyQuestions(ctx context.Context, catIDs []int64, reused map[int64]bool) error {
	if len(catIDs) == 0 {
		return nil
	}
	marks, args := in(catIDs)
	entries, err := c.s.selectRows(ctx, "question_bank_entries", "questioncategoryid IN "+marks, args...)
	if err != nil || len(entries) == 0 {
		return err
	}
	entryIDs := make([]int64, len(entries))
	for i, e := range entries {
		entryIDs[i] = e.int("id")
	}
	marks, args = in(entryIDs)
	versions, err := c.s.selectRows(ctx, "question_versions", "questionbankentryid IN "+marks, args...)
	if err != nil {
		return err
	}
	byEntry := map[int64][]row{}
	var qids []int64
	for _, v := range versions {
		byEntry[v.int("questionbankentryid")] = append(byEntry[v.int("questionbankentryid")], v)
		qids = append(qids, v.int("questionid"))
	}
	questions, err := c.questionsWithChildren(ctx, qids)
	if err != nil {
		return err
	}
	// Questions already in reused categories, by stamp.
	dstByStamp := map[string][2]int64{} // stamp → (question id, entry id)
	for old := range reused {
		nc, _ := c.get("question_categories", old)
		var found []struct {
			Stamp string `db:"stamp"`
			QID   int64  `db:"qid"`
			EID   int64  `db:"eid"`
		}
		err := c.q.Select(ctx, &found, `SELECT q.stamp, q.id AS qid, e.id AS eid FROM {question_bank_entries} e
			JOIN {question_versions} v ON v.questionbankentryid = e.id JOIN {question} q ON q.id = v.questionid
			WHERE e.questioncategoryid = ?`, nc)
		if err != nil {
			return err
		}
		for _, f := range found {
			dstByStamp[f.Stamp] = [2]int64{f.QID, f.EID}
		}
	}
	var toCopy []row
	for _, e := range entries {
		vs := byEntry[e.int("id")]
		if reused[e.int("questioncategoryid")] {
			matched := false
			for _, v := range vs {
				if d, ok := dstByStamp[questions[v.int("questionid")].str("stamp")]; ok {
					c.put("question", v.int("questionid"), d[0])
					c.put("question_bank_entries", e.int("id"), d[1])
					matched = true
				}
			}
			if matched {
				continue
			}
		}
		if why := c.unsupportedQuestion(vs, questions); why != "" {
			c.rep.warn("question bank entry %d was not copied (%s); quizzes copied keep using the original", e.int("id"), why)
			continue
		}
		if _, err := c.copyRow(ctx, "question_bank_entries", e, row{
			"questioncategoryid": c.ref("question_categories", e.int("questioncategoryid"))}); err != nil {
			return err
		}
		for _, v := range vs {
			toCopy = append(toCopy, questions[v.int("questionid")])
			toCopy = append(toCopy, childrenOf(questions, v.int("questionid"))...)
		}
	}
	if err := c.copyQuestionRows(ctx, toCopy); err != nil {
		return err
	}
	for _, e := range entries {
		ne, ok := c.get("question_bank_entries", e.int("id"))
		if !ok {
			continue
		}
		for _, v := range byEntry[e.int("id")] {
			nq, ok := c.get("question", v.int("questionid"))
			if !ok {
				continue
			}
			var exists int
			if err := c.q.Get(ctx, &exists, "SELECT COUNT(1) FROM {question_versions} WHERE questionid = ?", nq); err != nil {
				return err
			}
			if exists > 0 {
				continue // a reused question
			}
			if _, err := c.copyRow(ctx, "question_versions", v, row{"questionbankentryid": ne, "questionid": nq}); err != nil {
				return err
			}
		}
	}
	return nil
}

// questionsWithChildren reads questions and, recursively, the questions
// whose parent they are (the parts of a Cloze question).
func (c *copier) questionsWithChildren(ctx context.Context, ids []int64) (map[int64]row, error) {
	out := map[int64]row{}
	for len(ids) > 0 {
		marks, args := in(ids)
		rows, err := c.s.selectRows(ctx, "question", "id IN "+marks+" OR (parent IN "+marks+" AND parent <> 0)", append(args, args...)...)
		if err != nil {
			return nil, err
		}
		ids = nil
		for _, r := range rows {
			if _, seen := out[r.int("id")]; !seen {
				out[r.int("id")] = r
				ids = append(ids, r.int("id"))
			}
		}
	}
	return out, nil
}

func childrenOf(questions map[int64]row, parent int64) []row {
	var out []row
	for _, q := range questions {
		if q.int("parent") == parent && q.int("id") != parent {
			out = append(out, q)
			out = append(out, childrenOf(questions, q.int("id"))...)
		}
	}
	sortRows(out)
	return out
}

// unsupportedQuestion says why an entry's questions cannot be copied, or "".
func (c *copier) unsupportedQuestion(versions []row, questions map[int64]row) string {
	for _, v := range versions {
		q := questions[v.int("questionid")]
		if q == nil {
			return "its question is missing"
		}
		for _, p := range append([]row{q}, childrenOf(questions, q.int("id"))...) {
			if _, ok := qtypeTables[p.str("qtype")]; !ok {
				return "question type " + p.str("qtype") + " is not supported by the copy"
			}
		}
	}
	return ""
}

// copyQuestionRows copies question rows with their answers, hints and
// question type tables, then fixes the references between them.
func (c *copier) copyQuestionRows(ctx context.Context, questions []row) error {
	var copied []row
	for _, q := range questions {
		if _, done := c.get("question", q.int("id")); done {
			continue
		}
		if _, err := c.copyRow(ctx, "question", q, nil); err != nil {
			return err
		}
		copied = append(copied, q)
	}
	for _, q := range copied {
		nq, _ := c.get("question", q.int("id"))
		if p := q.int("parent"); p != 0 {
			if err := c.s.update(ctx, "question", nq, row{"parent": c.ref("question", p)}); err != nil {
				return err
			}
		}
		tables := append([]child{{table: "question_answers", parent: "question"}, {table: "question_hints", parent: "questionid"}},
			qtypeTables[q.str("qtype")]...)
		for _, t := range tables {
			rows, err := c.s.selectRows(ctx, t.table, "`"+t.parent+"` = ?", q.int("id"))
			if err != nil {
				return err
			}
			for _, r := range rows {
				set := row{t.parent: nq}
				for col, target := range t.refs {
					if !r.isNull(col) {
						set[col] = c.ref(target, r.int(col))
					}
				}
				if _, err := c.copyRow(ctx, t.table, r, set); err != nil {
					return err
				}
			}
		}
		if err := c.copyDatasets(ctx, q.int("id"), nq); err != nil {
			return err
		}
	}
	// Cloze questions list their parts' ids.
	for _, q := range copied {
		if q.str("qtype") != "multianswer" {
			continue
		}
		nq, _ := c.get("question", q.int("id"))
		rows, err := c.s.selectRows(ctx, "question_multianswer", "question = ?", nq)
		if err != nil {
			return err
		}
		for _, r := range rows {
			parts := strings.Split(r.str("sequence"), ",")
			for i, p := range parts {
				if id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil {
					parts[i] = strconv.FormatInt(c.ref("question", id), 10)
				}
			}
			if err := c.s.update(ctx, "question_multianswer", r.int("id"), row{"sequence": strings.Join(parts, ",")}); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyDatasets copies the datasets of a calculated question: its private
// dataset definitions with their items, and the category-wide ones of its
// category once.
func (c *copier) copyDatasets(ctx context.Context, oldQ, newQ int64) error {
	sets, err := c.s.selectRows(ctx, "question_datasets", "question = ?", oldQ)
	if err != nil {
		return err
	}
	for _, s := range sets {
		oldDef := s.int("datasetdefinition")
		newDef, done := c.get("question_dataset_definitions", oldDef)
		if !done {
			defs, err := c.s.selectRows(ctx, "question_dataset_definitions", "id = ?", oldDef)
			if err != nil {
				return err
			}
			if len(defs) == 0 {
				continue
			}
			d := defs[0]
			if cat := d.int("category"); cat != 0 {
				if _, mapped := c.get("question_categories", cat); !mapped {
					newDef = oldDef // a shared definition of a bank that is not copied
					goto link
				}
			}
			if newDef, err = c.copyRow(ctx, "question_dataset_definitions", d, row{"category": c.ref("question_categories", d.int("category"))}); err != nil {
				return err
			}
			if err := c.copyByColumn(ctx, "question_dataset_items", "definition", oldDef, row{"definition": newDef}); err != nil {
				return err
			}
		}
	link:
		if _, err := c.copyRow(ctx, "question_datasets", s, row{"question": newQ, "datasetdefinition": newDef}); err != nil {
			return err
		}
	}
	return nil
}

// copyQuizQuestionRefs copies the question references of a quiz's slots:
// fixed questions point at the copied bank entry (or the original, when its
// bank is shared), random slots at the copied category.
func copyQuizQuestionRefs(c *copier, m *modCopy) error {
	ctx := context.Background()
	if !m.hasCtx {
		return nil
	}
	refs, err := c.s.selectRows(context.Background(), "question_references",
		"usingcontextid = ? AND component = 'mod_quiz' AND questionarea = 'slot'", m.oldCtx.ID)
	if err != nil {
		return err
	}
	for _, r := range refs {
		slot, ok := c.get("quiz_slots", r.int("itemid"))
		if !ok {
			continue
		}
		entry := r.int("questionbankentryid")
		if n, ok := c.get("question_bank_entries", entry); ok {
			entry = n
		}
		if _, err := c.copyRow(ctx, "question_references", r, row{"usingcontextid": m.newCtx.ID, "itemid": slot,
			"questionbankentryid": entry}); err != nil {
			return err
		}
	}
	sets, err := c.s.selectRows(ctx, "question_set_references",
		"usingcontextid = ? AND component = 'mod_quiz' AND questionarea = 'slot'", m.oldCtx.ID)
	if err != nil {
		return err
	}
	for _, r := range sets {
		slot, ok := c.get("quiz_slots", r.int("itemid"))
		if !ok {
			continue
		}
		qctx := r.int("questionscontextid")
		filter := r.str("filtercondition")
		if n, ok := c.get("bankcontext", qctx); ok {
			qctx = n
			filter = c.remapFilter(filter)
		}
		if _, err := c.copyRow(ctx, "question_set_references", r, row{"usingcontextid": m.newCtx.ID, "itemid": slot,
			"questionscontextid": qctx, "filtercondition": filter}); err != nil {
			return err
		}
	}
	return nil
}

// filterCategories returns the category ids of a random slot's filter.
func filterCategories(filter string) []int64 {
	v, err := decodeJSON(filter)
	if err != nil {
		return nil
	}
	var out []int64
	obj, _ := v.(jobject)
	if f, ok := obj.get("filter"); ok {
		if fo, ok := f.(jobject); ok {
			if cat, ok := fo.get("category"); ok {
				if co, ok := cat.(jobject); ok {
					if vals, ok := co.get("values"); ok {
						if arr, ok := vals.([]any); ok {
							for _, x := range arr {
								if id, ok := jsonInt(x); ok {
									out = append(out, id)
								} else if s, ok := x.(string); ok {
									out = append(out, toInt(s))
								}
							}
						}
					}
				}
			}
		}
	}
	if id, ok := obj.get("questioncategoryid"); ok {
		if n, ok := jsonInt(id); ok {
			out = append(out, n)
		}
	}
	return out
}

// remapFilter rewrites the category ids of a random slot's filter
// (filter.category.values, and the older questioncategoryid and "cat").
func (c *copier) remapFilter(filter string) string {
	v, err := decodeJSON(filter)
	if err != nil {
		return filter
	}
	obj, ok := v.(jobject)
	if !ok {
		return filter
	}
	mapCat := func(x any) any {
		if id, ok := jsonInt(x); ok {
			return jsonNum(c.ref("question_categories", id))
		}
		if s, ok := x.(string); ok {
			return strconv.FormatInt(c.ref("question_categories", toInt(s)), 10)
		}
		return x
	}
	if f, ok := obj.get("filter"); ok {
		if fo, ok := f.(jobject); ok {
			if cat, ok := fo.get("category"); ok {
				if co, ok := cat.(jobject); ok {
					if vals, ok := co.get("values"); ok {
						if arr, ok := vals.([]any); ok {
							for i := range arr {
								arr[i] = mapCat(arr[i])
							}
						}
					}
				}
			}
		}
	}
	if id, ok := obj.get("questioncategoryid"); ok {
		obj.set("questioncategoryid", mapCat(id))
	}
	if cat, ok := obj.get("cat"); ok {
		if s, ok := cat.(string); ok {
			parts := strings.Split(s, ",")
			if len(parts) == 2 {
				nc := c.ref("question_categories", toInt(parts[0]))
				nctx, _ := c.get("bankcontext", toInt(parts[1]))
				if nctx == 0 {
					nctx = toInt(parts[1])
				}
				obj.set("cat", strconv.FormatInt(nc, 10)+","+strconv.FormatInt(nctx, 10))
			}
		}
	}
	return encodePHPJSON(obj)
}

// copyCourseBank copies the course context's whole question bank.
func (c *copier) copyCourseBank(ctx context.Context) error {
	return c.copyBank(ctx, c.srcCtx.ID, c.dstCtx.ID, nil)
}

func containsInt(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
