package moodle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// ErrModuleType: AddModule cannot create activities of this type.
var ErrModuleType = errors.New("moodle: activities of this type cannot be created by the service")

// NewModule is an activity to create, as a teacher's "Add an activity"
// form would with its defaults.
type NewModule struct {
	Course   int64
	Section  int64 // section number (created if missing)
	Type     string
	Name     string
	Intro    string // HTML
	IDNumber string
}

// CreatableModules are the types AddModule knows: the instance row their
// add-instance function writes with the form's defaults (the site's
// settings for the module), and what goes with it.
var CreatableModules = []string{"assign", "book", "forum", "label", "page", "quiz"}

// AddModule creates an activity by SQL the way add_moduleinfo() does with
// the module form's defaults: the instance row, the course module (visible,
// the course's group mode), its context, its place at the end of the
// section, the grade item of a graded module, the course_module_created
// event and the cacherev. It returns the course module id.
func AddModule(ctx context.Context, q database.Querier, env Env, m NewModule) (int64, error) {
	course, err := GetCourse(ctx, q, m.Course)
	if err != nil {
		return 0, err
	}
	var instance int64
	switch m.Type {
	case "page":
		pc, err := LoadPluginConfig(ctx, q, "page")
		if err != nil {
			return 0, err
		}
		display := pc.Int("display", displayOpen)
		instance, err = q.Insert(ctx, `INSERT INTO {page} (course, name, intro, introformat, content, contentformat,
			legacyfiles, legacyfileslast, display, displayoptions, revision, timemodified) VALUES (?, ?, ?, 1, '', 1, 0, NULL, ?, ?, 1, ?)`,
			m.Course, m.Name, m.Intro, display, pageDisplayOptions(pc, display), env.Unix())
	case "forum":
		instance, err = addForum(ctx, q, env, m)
	case "label":
		instance, err = q.Insert(ctx, "INSERT INTO {label} (course, name, intro, introformat, timemodified) VALUES (?, ?, ?, 1, ?)",
			m.Course, m.Name, m.Intro, env.Unix())
	case "book":
		pc, err := LoadPluginConfig(ctx, q, "book")
		if err != nil {
			return 0, err
		}
		instance, err = q.Insert(ctx, `INSERT INTO {book} (course, name, intro, introformat, numbering, navstyle, customtitles,
			revision, timecreated, timemodified) VALUES (?, ?, ?, 1, ?, 1, 0, 0, ?, ?)`,
			m.Course, m.Name, m.Intro, pc.Int("numbering", 1), env.Unix(), env.Unix())
	case "quiz":
		instance, err = addQuiz(ctx, q, env, m)
	case "assign":
		var loc *time.Location
		if loc, err = UserLocation(ctx, q, env.Site, env.UserID); err == nil {
			instance, err = addAssign(ctx, q, env, m, loc)
		}
	default:
		return 0, fmt.Errorf("%w: %q", ErrModuleType, m.Type)
	}
	if err != nil {
		return 0, fmt.Errorf("creating %s: %w", m.Type, err)
	}
	moduleID, err := ModuleID(ctx, q, m.Type)
	if err != nil {
		return 0, err
	}
	// prepare_new_moduleinfo_data(): the course's group mode and default
	// grouping, the section's visibility.
	var defaults struct {
		GroupMode  int64 `db:"groupmode"`
		GroupingID int64 `db:"defaultgroupingid"`
	}
	if err := q.Get(ctx, &defaults, "SELECT groupmode, defaultgroupingid FROM {course} WHERE id = ?", m.Course); err != nil {
		return 0, err
	}
	sectionID, err := EnsureSection(ctx, q, env, m.Course, m.Section)
	if err != nil {
		return 0, err
	}
	var visible int64
	if err := q.Get(ctx, &visible, "SELECT visible FROM {course_sections} WHERE id = ?", sectionID); err != nil {
		return 0, err
	}
	var idnumber any
	if m.IDNumber != "" {
		idnumber = m.IDNumber
	}
	// A label shows its text on the course page: its form sends
	// showdescription = 1; the others leave it off. lang '' is the form's
	// "do not force".
	showDescription := 0
	if m.Type == "label" {
		showDescription = 1
	}
	cmID, err := q.Insert(ctx, `INSERT INTO {course_modules} (course, module, instance, section, idnumber, added, visible,
		visibleoncoursepage, visibleold, groupmode, groupingid, showdescription, lang) VALUES (?, ?, ?, 0, ?, ?, ?, 1, ?, ?, ?, ?, '')`,
		m.Course, moduleID, instance, idnumber, env.Unix(), visible, visible, defaults.GroupMode, defaults.GroupingID, showDescription)
	if err == nil {
		err = applyCompletionDefaults(ctx, q, env, course, m.Type, moduleID, instance, cmID)
	}
	if err != nil {
		return 0, fmt.Errorf("creating the course module: %w", err)
	}
	cctx, err := ContextOf(ctx, q, ContextCourse, m.Course)
	if err != nil {
		return 0, err
	}
	mctx, err := CreateContext(ctx, q, ContextModule, cmID, cctx)
	if err != nil {
		return 0, err
	}
	if _, err := AddToSection(ctx, q, env, m.Course, cmID, m.Section, 0); err != nil {
		return 0, err
	}
	switch m.Type {
	case "quiz":
		var grade string
		if err := q.Get(ctx, &grade, "SELECT grade FROM {quiz} WHERE id = ?", instance); err != nil {
			return 0, err
		}
		if err := addGradeItem(ctx, q, env, course, m, instance, grade); err != nil {
			return 0, err
		}
	case "assign":
		if err := addAssignEvents(ctx, q, env, m.Course, instance); err != nil {
			return 0, err
		}
		var grade string
		if err := q.Get(ctx, &grade, "SELECT grade FROM {assign} WHERE id = ?", instance); err != nil {
			return 0, err
		}
		if err := addGradeItem(ctx, q, env, course, m, instance, grade); err != nil {
			return 0, err
		}
	}
	err = env.Log.Write(ctx, q, env.event(Event{Name: `\core\event\course_module_created`, Action: "created",
		Target: "course_module", ObjectTable: "course_modules", ObjectID: cmID, CRUD: "c", EduLevel: LevelTeaching,
		Context: mctx, CourseID: m.Course, Other: Fields{{"modulename", m.Type}, {"instanceid", instance}, {"name", m.Name}}}))
	if err != nil {
		return 0, err
	}
	if err := recordRecentActivity(ctx, q, env, m.Course, cmID); err != nil {
		return 0, err
	}
	return cmID, BumpCacheRev(ctx, q, env, m.Course)
}

// addQuiz writes a quiz with the site's quiz defaults (Site administration
// > Plugins > Activity modules > Quiz), its first section and its one
// overall feedback band, as quiz_add_instance() does with the form's
// defaults.
func addQuiz(ctx context.Context, q database.Querier, env Env, m NewModule) (int64, error) {
	pc, err := LoadPluginConfig(ctx, q, "quiz")
	if err != nil {
		return 0, err
	}
	grade := pc.Int("maximumgrade", 10)
	now := env.Unix()
	id, err := q.Insert(ctx, `INSERT INTO {quiz} (course, name, intro, introformat, timeopen, timeclose, timelimit,
		overduehandling, graceperiod, preferredbehaviour, canredoquestions, attempts, attemptonlast, grademethod,
		decimalpoints, questiondecimalpoints, reviewattempt, reviewcorrectness, reviewmaxmarks, reviewmarks,
		reviewspecificfeedback, reviewgeneralfeedback, reviewrightanswer, reviewoverallfeedback, questionsperpage,
		navmethod, shuffleanswers, sumgrades, grade, timecreated, timemodified, password, subnet, browsersecurity,
		delay1, delay2, showuserpicture, showblocks, completionattemptsexhausted, completionminattempts, allowofflineattempts)
		VALUES (?, ?, ?, 1, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, 0, 0, 0)`,
		m.Course, m.Name, m.Intro, pc.Int("timelimit", 0), pc.String("overduehandling", "autosubmit"),
		pc.Int("graceperiod", 86400), pc.String("preferredbehaviour", "deferredfeedback"), pc.Int("canredoquestions", 0),
		pc.Int("attempts", 0), pc.Int("attemptonlast", 0), pc.Int("grademethod", 1), pc.Int("decimalpoints", 2),
		pc.Int("questiondecimalpoints", -1), pc.Int("reviewattempt", 69904), pc.Int("reviewcorrectness", 69904),
		pc.Int("reviewmaxmarks", 69904), pc.Int("reviewmarks", 69904), pc.Int("reviewspecificfeedback", 69904),
		pc.Int("reviewgeneralfeedback", 69904), pc.Int("reviewrightanswer", 69904), pc.Int("reviewoverallfeedback", 4368),
		pc.Int("questionsperpage", 1), pc.String("navmethod", "free"), pc.Int("shuffleanswers", 1), grade, now, now,
		pc.String("subnet", ""), pc.String("browsersecurity", "-"), pc.Int("delay1", 0), pc.Int("delay2", 0),
		pc.Int("showuserpicture", 0), pc.Int("showblocks", 0))
	if err != nil {
		return 0, err
	}
	if _, err := q.Exec(ctx, "INSERT INTO {quiz_sections} (quizid, firstslot, heading, shufflequestions) VALUES (?, 1, '', 0)", id); err != nil {
		return 0, err
	}
	_, err = q.Exec(ctx, "INSERT INTO {quiz_feedback} (quizid, feedbacktext, feedbacktextformat, mingrade, maxgrade) VALUES (?, '', 1, 0, ?)",
		id, grade+1)
	return id, err
}

// addGradeItem writes a new activity's grade item as its
// <module>_grade_item_update() does through grade_update(): a point grade
// out of grade, in the course's top grade category, last; the course
// total is flagged for a regrade.
func addGradeItem(ctx context.Context, q database.Querier, env Env, course *Course, m NewModule, instance int64, grade string) error {
	cat, err := CourseGradeCategory(ctx, q, env, course.ID)
	if err != nil {
		return err
	}
	var sortorder int64
	if err := q.Get(ctx, &sortorder, "SELECT COALESCE(MAX(sortorder), 0) + 1 FROM {grade_items} WHERE courseid = ?", course.ID); err != nil {
		return err
	}
	var idnumber any
	if m.IDNumber != "" {
		idnumber = m.IDNumber
	}
	// grade_item::insert(): the new item and the course total need a
	// regrade, which Moodle makes on the next view of grades.
	itemID, err := q.Insert(ctx, `INSERT INTO {grade_items} (courseid, categoryid, itemname, itemtype, itemmodule, iteminstance, itemnumber,
		idnumber, gradetype, grademax, grademin, sortorder, needsupdate, timecreated, timemodified)
		VALUES (?, ?, ?, 'mod', ?, ?, 0, ?, 1, ?, 0, ?, 1, ?, ?)`,
		course.ID, cat, m.Name, m.Type, instance, idnumber, grade, sortorder, env.Unix(), env.Unix())
	if err != nil {
		return err
	}
	if err := gradeItemHistory(ctx, q, env, itemID); err != nil {
		return err
	}
	cctx, err := ContextOf(ctx, q, ContextCourse, course.ID)
	if err != nil {
		return err
	}
	err = env.Log.Write(ctx, q, env.event(Event{Name: `\core\event\grade_item_created`, Action: "created",
		Target: "grade_item", ObjectTable: "grade_items", ObjectID: itemID, CRUD: "c", EduLevel: LevelOther,
		Context: cctx, CourseID: course.ID, Other: Fields{{"itemname", m.Name}, {"itemtype", "mod"}, {"itemmodule", m.Type}}}))
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, "UPDATE {grade_items} SET needsupdate = 1 WHERE courseid = ? AND itemtype = 'course'", course.ID)
	return err
}

// gradeItemHistory is grade_object::insert()'s history row (action 1,
// insert) of a grade item, unless $CFG->disablegradehistory.
func gradeItemHistory(ctx context.Context, q database.Querier, env Env, itemID int64) error {
	if env.Site.Bool("disablegradehistory") {
		return nil
	}
	_, err := q.Exec(ctx, `INSERT INTO {grade_items_history} (action, oldid, source, timemodified, loggeduser, courseid,
		categoryid, itemname, itemtype, itemmodule, iteminstance, itemnumber, iteminfo, idnumber, calculation, gradetype,
		grademax, grademin, scaleid, outcomeid, gradepass, multfactor, plusfactor, aggregationcoef, aggregationcoef2,
		sortorder, hidden, locked, locktime, needsupdate, display, decimals, weightoverride)
		SELECT 1, id, NULL, ?, ?, courseid, categoryid, itemname, itemtype, itemmodule, iteminstance, itemnumber, iteminfo,
		idnumber, calculation, gradetype, grademax, grademin, scaleid, outcomeid, gradepass, multfactor, plusfactor,
		aggregationcoef, aggregationcoef2, sortorder, hidden, locked, locktime, needsupdate, display, decimals, weightoverride
		FROM {grade_items} WHERE id = ?`, env.Unix(), nullUser(env.UserID), itemID)
	return err
}

func nullUser(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// recordRecentActivity is block_recent_activity's observer of
// course_module_created, where that block is installed: the row its
// "Recent activity" block lists.
func recordRecentActivity(ctx context.Context, q database.Querier, env Env, courseID, cmID int64) error {
	// Installed blocks have a row in {block}; their tables exist then.
	var n int
	if err := q.Get(ctx, &n, "SELECT COUNT(*) FROM {block} WHERE name = 'recent_activity'"); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	_, err := q.Exec(ctx, "INSERT INTO {block_recent_activity} (courseid, cmid, timecreated, userid, action, modname) VALUES (?, ?, ?, ?, 0, NULL)",
		courseID, cmID, env.Unix(), env.UserID)
	return err
}

// resourcelib's display modes that change a page's displayoptions.
const (
	displayOpen  = 5
	displayPopup = 6
)

// pageDisplayOptions is page_add_instance()'s serialised displayoptions
// with the form's defaults: the checkboxes' values arrive as strings, the
// popup size (only for popups) as integers.
func pageDisplayOptions(pc PluginConfig, display int64) string {
	var b strings.Builder
	n := 2
	if display == displayPopup {
		n = 4
	}
	fmt.Fprintf(&b, "a:%d:{", n)
	if display == displayPopup {
		fmt.Fprintf(&b, `s:10:"popupwidth";i:%d;s:11:"popupheight";i:%d;`, pc.Int("popupwidth", 620), pc.Int("popupheight", 450))
	}
	for _, kv := range []struct {
		key string
		def int64
	}{{"printintro", 0}, {"printlastmodified", 1}} {
		v := strconv.FormatInt(pc.Int(kv.key, kv.def), 10)
		fmt.Fprintf(&b, `s:%d:"%s";s:%d:"%s";`, len(kv.key), kv.key, len(v), v)
	}
	b.WriteString("}")
	return b.String()
}

// Forum subscription modes and read tracking (mod/forum/lib.php).
const (
	forumTrackingOptional = 1
	forumTrackingForced   = 2
)

// addForum writes a general forum with the forum form's defaults, which
// come from the site's forum settings ($CFG->forum_*) and the default
// point grade for ratings, as forum_add_instance() stores them.
func addForum(ctx context.Context, q database.Querier, env Env, m NewModule) (int64, error) {
	site := env.Site
	// With auto subscription (forumInitialSubscribe) forum_add_instance()
	// also subscribes everyone enrolled by then; here only those enrolled
	// later are, by Moodle's own enrolment observer.
	subscription := site.Int("forum_subscription", 0)
	tracking := site.Int("forum_trackingtype", forumTrackingOptional)
	if !site.Bool("forum_allowforcedreadtracking") && tracking == forumTrackingForced {
		tracking = forumTrackingOptional
	}
	var rssType, rssArticles int64
	if site.Bool("enablerssfeeds") && site.Bool("forum_enablerssfeeds") {
		rssType, rssArticles = site.Int("forum_rsstype", 0), site.Int("forum_rssarticles", 0)
	}
	return q.Insert(ctx, `INSERT INTO {forum} (course, type, name, intro, introformat, maxbytes, maxattachments,
		forcesubscribe, trackingtype, rsstype, rssarticles, scale, timemodified) VALUES (?, 'general', ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Course, m.Name, m.Intro, site.Int("forum_maxbytes", 512000), site.Int("forum_maxattachments", 9), subscription,
		tracking, rssType, rssArticles, site.Int("gradepointdefault", 100), env.Unix())
}

// CourseGradeCategory returns a course's top grade category, creating it and
// the course total item as grade_category::insert_course_category() and
// grade_item::fetch_course_item() do on first use, with the site's default
// aggregation settings ($CFG->grade_aggregation, …).
func CourseGradeCategory(ctx context.Context, q database.Querier, env Env, courseID int64) (int64, error) {
	var id int64
	err := q.Get(ctx, &id, "SELECT id FROM {grade_categories} WHERE courseid = ? AND parent IS NULL", courseID)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, database.ErrNotFound) {
		return 0, err
	}
	setting := func(name string, def int64) int64 {
		v, ok := env.config("grade_" + name)
		if !ok || v == "-1" {
			return def
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return def
		}
		return n
	}
	id, err = q.Insert(ctx, `INSERT INTO {grade_categories} (courseid, parent, depth, path, fullname, aggregation, keephigh,
		droplow, aggregateonlygraded, aggregateoutcomes, timecreated, timemodified, hidden) VALUES (?, NULL, 1, NULL, '?', ?, ?, ?, ?, ?, ?, ?, 0)`,
		courseID, setting("aggregation", 13), setting("keephigh", 0), setting("droplow", 0), setting("aggregateonlygraded", 1),
		setting("aggregateoutcomes", 0), env.Unix(), env.Unix())
	if err != nil {
		return 0, fmt.Errorf("course grade category: %w", err)
	}
	if _, err := q.Exec(ctx, "UPDATE {grade_categories} SET path = ? WHERE id = ?", "/"+strconv.FormatInt(id, 10)+"/", id); err != nil {
		return 0, err
	}
	_, err = q.Exec(ctx, `INSERT INTO {grade_items} (courseid, categoryid, itemname, itemtype, itemmodule, iteminstance,
		itemnumber, gradetype, grademax, grademin, sortorder, needsupdate, timecreated, timemodified)
		VALUES (?, NULL, NULL, 'course', NULL, ?, NULL, 1, 100, 0, 1, 1, ?, ?)`, courseID, id, env.Unix(), env.Unix())
	if err != nil {
		return 0, fmt.Errorf("course total grade item: %w", err)
	}
	return id, nil
}

// applyCompletionDefaults is what the module form takes from
// \core_completion\manager::get_default_completion() (the course's default
// activity completion for the module, else the site's) and add_moduleinfo()
// keeps when completion tracking is on for the course: the course module's
// completion settings, and the module's own rules (customrules) on its
// instance row.
func applyCompletionDefaults(ctx context.Context, q database.Querier, env Env, course *Course, modname string, moduleID, instance, cmID int64) error {
	if !env.configBool("enablecompletion") || !course.EnableCompletion {
		return nil
	}
	var d struct {
		Completion  int64   `db:"completion"`
		View        int64   `db:"view"`
		Expected    int64   `db:"expected"`
		UseGrade    int64   `db:"usegrade"`
		PassGrade   int64   `db:"passgrade"`
		CustomRules *string `db:"customrules"`
	}
	row := func(courseID int64) error {
		return q.Get(ctx, &d, `SELECT completion, completionview AS view, completionexpected AS expected,
			completionusegrade AS usegrade, completionpassgrade AS passgrade, customrules
			FROM {course_completion_defaults} WHERE course = ? AND module = ?`, courseID, moduleID)
	}
	err := row(course.ID)
	if errors.Is(err, database.ErrNotFound) && course.ID != SiteCourseID {
		err = row(SiteCourseID)
	}
	if errors.Is(err, database.ErrNotFound) {
		return nil // COMPLETION_TRACKING_NONE, as inserted
	}
	if err != nil {
		return err
	}
	var gradeItem any
	if d.UseGrade != 0 {
		gradeItem = 0
	}
	if _, err := q.Exec(ctx, `UPDATE {course_modules} SET completion = ?, completionview = ?, completionexpected = ?,
		completionpassgrade = ?, completiongradeitemnumber = ? WHERE id = ?`,
		d.Completion, d.View, d.Expected, d.PassGrade, gradeItem, cmID); err != nil {
		return err
	}
	// The modules' own rules count only with automatic completion; their
	// forms clear them otherwise.
	if d.Completion != completionAutomatic {
		return nil
	}
	rules := map[string]any{}
	if d.CustomRules != nil && *d.CustomRules != "" {
		// get_default_completion() ignores what it cannot decode.
		_ = json.Unmarshal([]byte(*d.CustomRules), &rules)
	}
	if modname == "forum" {
		// The forum form ticks "posts" when adding a forum, at 1 unless
		// the defaults say how many.
		if v, ok := rules["completionposts"]; !ok || fmt.Sprint(v) == "0" || fmt.Sprint(v) == "" {
			rules["completionposts"] = 1
		}
	}
	for name, value := range rules {
		if name == "id" || !completionRule.MatchString(name) {
			continue
		}
		var n int
		if err := q.Get(ctx, &n, `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
			AND table_name = ? AND column_name = ?`, strings.Trim(q.Table(modname), "`"), name); err != nil {
			return err
		}
		if n == 1 {
			if _, err := q.Exec(ctx, fmt.Sprintf("UPDATE {%s} SET `%s` = ? WHERE id = ?", modname, name), fmt.Sprint(value), instance); err != nil {
				return err
			}
		}
	}
	return nil
}

// completionAutomatic is COMPLETION_TRACKING_AUTOMATIC.
const completionAutomatic = 2

// completionRule is a module's completion rule column (completionsubmit,
// completionposts, …).
var completionRule = regexp.MustCompile(`^completion[a-z]+$`)
