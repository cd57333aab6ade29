package coursecopy

import (
	"fmt"
	"sort"
)

// child is a table of a module (or of another child) whose rows belong to
// one module instance: copied with their parent column pointing at the
// parent's copy.
type child struct {
	table  string
	parent string // column holding the parent's id
	ptable string // table of the parent; "" is the module's own table
	// refs are other id columns and the table whose ids they hold. A
	// reference to a table copied later in the same module (or to the
	// same table: trees) is filled in once that table is copied.
	refs map[string]string
	// where narrows the rows (e.g. overrides for groups, not users).
	where    string
	userdata bool
}

// modSpec is what a copy must know about one module type, from its
// db/install.xml and backup/moodle2/backup_<mod>_stepslib.php.
type modSpec struct {
	refs     map[string]string // id columns of the instance row
	scales   []string          // instance columns holding -scaleid for scale grading
	children []child
	// files maps the module's file areas whose itemid is a row id to the
	// table of those ids; areas not listed keep their itemid (0).
	files     map[string]string
	userFiles map[string]string // file areas that are user data
	// notCopied names the user data this code never copies, for the report.
	notCopied string
	// after runs once the instance, its children, the course module and its
	// context are copied (quiz: the question references of its slots).
	after func(c *copier, m *modCopy) error
	// notAlone: the module cannot be duplicated on its own.
	notAlone string
}

// specs are the module types the copy knows. Every table of these modules
// is listed, as copied, copied as user data, or deliberately left out.
var specs = map[string]*modSpec{
	"label":    {},
	"page":     {},
	"url":      {},
	"resource": {},
	"folder":   {},
	"imscp":    {},
	"subsection": {
		notAlone: "a subsection is copied with its course, not on its own",
	},
	"book": {
		children: []child{{table: "book_chapters", parent: "bookid"}},
		files:    map[string]string{"chapter": "book_chapters"},
	},
	"choice": {
		children: []child{
			{table: "choice_options", parent: "choiceid"},
			{table: "choice_answers", parent: "choiceid", refs: map[string]string{"optionid": "choice_options"}, userdata: true},
		},
	},
	"forum": {
		scales: []string{"scale", "grade_forum"},
		children: []child{
			{table: "forum_discussions", parent: "forum", userdata: true,
				refs: map[string]string{"course": "course", "groupid": "groups", "firstpost": "forum_posts"}},
			{table: "forum_posts", parent: "discussion", ptable: "forum_discussions", userdata: true,
				refs: map[string]string{"parent": "forum_posts"}},
			{table: "forum_subscriptions", parent: "forum", userdata: true},
			{table: "forum_discussion_subs", parent: "forum", refs: map[string]string{"discussion": "forum_discussions"}, userdata: true},
			{table: "forum_track_prefs", parent: "forumid", userdata: true},
			{table: "forum_grades", parent: "forum", userdata: true},
		},
		userFiles: map[string]string{"post": "forum_posts", "attachment": "forum_posts"},
		notCopied: "forum read tracking, digests and the mail queue",
	},
	"assign": {
		refs:   map[string]string{"course": "course", "teamsubmissiongroupingid": "groupings"},
		scales: []string{"grade"},
		children: []child{
			{table: "assign_plugin_config", parent: "assignment"},
			{table: "assign_overrides", parent: "assignid", where: "groupid IS NOT NULL AND groupid <> 0",
				refs: map[string]string{"groupid": "groups"}},
			{table: "assign_overrides", parent: "assignid", where: "groupid IS NULL OR groupid = 0", userdata: true},
			{table: "assign_submission", parent: "assignment", refs: map[string]string{"groupid": "groups"}, userdata: true},
			{table: "assign_grades", parent: "assignment", userdata: true},
			{table: "assign_user_flags", parent: "assignment", userdata: true},
			{table: "assign_user_mapping", parent: "assignment", userdata: true},
			{table: "assignsubmission_onlinetext", parent: "assignment", refs: map[string]string{"submission": "assign_submission"}, userdata: true},
			{table: "assignsubmission_file", parent: "assignment", refs: map[string]string{"submission": "assign_submission"}, userdata: true},
			{table: "assignfeedback_comments", parent: "assignment", refs: map[string]string{"grade": "assign_grades"}, userdata: true},
			{table: "assignfeedback_file", parent: "assignment", refs: map[string]string{"grade": "assign_grades"}, userdata: true},
		},
		userFiles: map[string]string{},
		notCopied: "annotated PDF feedback and advanced grading of submissions",
	},
	"quiz": {
		children: []child{
			{table: "quiz_sections", parent: "quizid"},
			{table: "quiz_grade_items", parent: "quizid"},
			{table: "quiz_slots", parent: "quizid", refs: map[string]string{"quizgradeitemid": "quiz_grade_items"}},
			{table: "quiz_feedback", parent: "quizid"},
			{table: "quiz_overrides", parent: "quiz", where: "groupid IS NOT NULL AND groupid <> 0", refs: map[string]string{"groupid": "groups"}},
			{table: "quiz_overrides", parent: "quiz", where: "groupid IS NULL OR groupid = 0", userdata: true},
			{table: "quizaccess_seb_quizsettings", parent: "quizid", refs: map[string]string{"cmid": "course_modules"}},
		},
		files:     map[string]string{"feedback": "quiz_feedback"},
		notCopied: "quiz attempts and grades",
		after:     copyQuizQuestionRefs,
	},
	"glossary": {
		scales: []string{"scale"},
		children: []child{
			{table: "glossary_categories", parent: "glossaryid"},
			{table: "glossary_entries", parent: "glossaryid", refs: map[string]string{"sourceglossaryid": "glossary"}, userdata: true},
			{table: "glossary_alias", parent: "entryid", ptable: "glossary_entries", userdata: true},
			{table: "glossary_entries_categories", parent: "entryid", ptable: "glossary_entries",
				refs: map[string]string{"categoryid": "glossary_categories"}, userdata: true},
		},
		userFiles: map[string]string{"entry": "glossary_entries", "attachment": "glossary_entries"},
	},
	"feedback": {
		children: []child{
			{table: "feedback_item", parent: "feedback", refs: map[string]string{"dependitem": "feedback_item", "template": "feedback_template"}},
			{table: "feedback_completed", parent: "feedback", userdata: true},
			{table: "feedback_value", parent: "completed", ptable: "feedback_completed",
				refs: map[string]string{"item": "feedback_item", "course_id": "course"}, userdata: true},
		},
		files: map[string]string{"item": "feedback_item"},
	},
	"data": {
		scales: []string{"scale"},
		children: []child{
			{table: "data_fields", parent: "dataid"},
			{table: "data_records", parent: "dataid", refs: map[string]string{"groupid": "groups"}, userdata: true},
			{table: "data_content", parent: "recordid", ptable: "data_records", refs: map[string]string{"fieldid": "data_fields"}, userdata: true},
		},
		userFiles: map[string]string{"content": "data_content"},
	},
	"h5pactivity": {scales: []string{"grade"}, notCopied: "H5P attempts"},
	// External tools keep using their site-wide tool type (a tool type
	// configured in the source course only makes the module skipped).
	"lti":    {scales: []string{"grade"}, children: []child{{table: "lti_submission", parent: "ltiid", userdata: true}}},
	"survey": {notCopied: "survey answers"},
	"chat":   {notCopied: "chat messages"},
	"wiki":   {notCopied: "wiki pages (pages are the wiki's user data; the copy starts empty, as Moodle's import does)"},
}

// sortedSpecNames lists the supported module types, for documentation and
// answers.
func sortedSpecNames() []string {
	names := make([]string, 0, len(specs))
	for n := range specs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SupportedModules lists the module types the copy carries explicitly; any
// other type is copied when its instance is a single row with no other
// table of its own (see docs/courses.md), and skipped otherwise.
func SupportedModules() []string { return sortedSpecNames() }

// fileRule says how the itemid of a file area maps to the copy.
type fileRule struct {
	table    string // table whose ids the itemid holds; "" keeps the itemid
	userdata bool
	skip     bool // never copied
}

// staticFileRules are the file areas outside modules, keyed component/area.
var staticFileRules = map[string]fileRule{
	"course/section":                                     {table: "course_sections"},
	"course/summary":                                     {},
	"course/overviewfiles":                               {},
	"course/legacy":                                      {},
	"group/description":                                  {table: "groups"},
	"group/icon":                                         {table: "groups"},
	"grouping/description":                               {table: "groupings"},
	"customfield_textarea/value":                         {table: "customfield_data"},
	"grading/description":                                {table: "grading_definitions"},
	"question/questiontext":                              {table: "question"},
	"question/generalfeedback":                           {table: "question"},
	"question/correctfeedback":                           {table: "question"},
	"question/partiallycorrectfeedback":                  {table: "question"},
	"question/incorrectfeedback":                         {table: "question"},
	"question/answer":                                    {table: "question_answers"},
	"question/answerfeedback":                            {table: "question_answers"},
	"question/hint":                                      {table: "question_hints"},
	"qtype_calculatedmulti/correctfeedback":              {table: "question"},
	"qtype_calculatedmulti/partiallycorrectfeedback":     {table: "question"},
	"qtype_calculatedmulti/incorrectfeedback":            {table: "question"},
	"qtype_ddimageortext/bgimage":                        {table: "question"},
	"qtype_ddimageortext/dragimage":                      {table: "qtype_ddimageortext_drags"},
	"qtype_ddmarker/bgimage":                             {table: "question"},
	"qtype_essay/graderinfo":                             {table: "question"},
	"qtype_match/subquestion":                            {table: "qtype_match_subquestions"},
	"assignsubmission_file/submission_files":             {table: "assign_submission", userdata: true},
	"assignsubmission_onlinetext/submissions_onlinetext": {table: "assign_submission", userdata: true},
	"assignfeedback_file/feedback_files":                 {table: "assign_grades", userdata: true},
	"assignfeedback_comments/feedback":                   {table: "assign_grades", userdata: true},
}

// fileRuleFor finds the rule of a component's file area. ok is false for
// an area the copy does not know, whose files are copied only when their
// itemid is 0 (not a row id).
func fileRuleFor(component, area string) (fileRule, bool) {
	if component == "backup" || component == "contentbank" || component == "user" {
		return fileRule{skip: true}, true // backups and content bank items are not course content
	}
	if r, ok := staticFileRules[component+"/"+area]; ok {
		return r, true
	}
	if len(component) > 4 && component[:4] == "mod_" {
		if s := specs[component[4:]]; s != nil {
			if t, ok := s.files[area]; ok {
				return fileRule{table: t}, true
			}
			if t, ok := s.userFiles[area]; ok {
				return fileRule{table: t, userdata: true}, true
			}
		}
	}
	return fileRule{}, false
}

// tagTables maps the tagged item types to the table of their ids.
var tagTables = map[string]fileRule{
	"core/course":                   {table: "course"},
	"core/course_modules":           {table: "course_modules"},
	"mod_book/book_chapters":        {table: "book_chapters"},
	"core_question/question":        {table: "question"},
	"mod_glossary/glossary_entries": {table: "glossary_entries", userdata: true},
	"mod_forum/forum_posts":         {table: "forum_posts", userdata: true},
	"mod_data/data_records":         {table: "data_records", userdata: true},
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func sortStrings(s []string) { sort.Strings(s) }
