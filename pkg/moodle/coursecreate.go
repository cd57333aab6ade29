package moodle

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Errors of CreateCourse, the checks create_course() makes.
var (
	ErrShortnameTaken = errors.New("moodle: a course with this short name already exists")
	ErrIDNumberTaken  = errors.New("moodle: a course with this ID number already exists")
	ErrNoCategory     = errors.New("moodle: the course category does not exist")
)

// NewCourse is what the service asks of CreateCourse. Everything else comes
// from the site's course defaults (Site administration > Courses > Course
// default settings, the moodlecourse plugin settings), as the "Add a new
// course" form would fill it in.
type NewCourse struct {
	Fullname  string
	Shortname string
	IDNumber  string
	Category  int64
	// Bare leaves out the content a template copy replaces right after:
	// the sections beyond 0, the announcements forum and the default
	// blocks. Moodle's restore of a template into the course removes those
	// too, so the end result is the same.
	Bare bool
}

// Course formats whose options CreateCourse knows; any other default
// format falls back to topics, Moodle's own default.
var formatOptionDefaults = map[string]func(mc PluginConfig) [][2]string{
	"topics": func(mc PluginConfig) [][2]string {
		return [][2]string{{"hiddensections", mc.String("hiddensections", "1")}, {"coursedisplay", mc.String("coursedisplay", "0")}}
	},
	"weeks": func(mc PluginConfig) [][2]string {
		return [][2]string{{"hiddensections", mc.String("hiddensections", "1")}, {"coursedisplay", mc.String("coursedisplay", "0")},
			{"automaticenddate", "1"}}
	},
	"social": func(PluginConfig) [][2]string { return [][2]string{{"numdiscussions", "10"}} },
}

// maxCoursesInCategory is MAX_COURSES_IN_CATEGORY, the size of a category's
// sortorder range unless $CFG->maxcoursesincategory says otherwise.
const maxCoursesInCategory = 10000

// CreateCourse creates a course by SQL the way create_course() leaves it when
// called with the course form's defaults: the course row, its context, the
// format options, the sortorder in its category and the category's course
// count, the announcements forum (format topics or weeks with news items),
// the default blocks, sections 0..numsections, the default enrolment
// instances of the enabled core enrolment plugins (manual, guest, self),
// the cacherev, and the events course_created, course_section_created and
// enrol_instance_created. It returns the new course id.
func CreateCourse(ctx context.Context, q database.Querier, env Env, nc NewCourse) (int64, error) {
	now := env.Unix()
	var cat struct {
		ID        int64 `db:"id"`
		Visible   bool  `db:"visible"`
		SortOrder int64 `db:"sortorder"`
	}
	// Locking the category row makes concurrent creations in one category
	// take turns over its sortorder range, as they would anyway on rows.
	err := q.Get(ctx, &cat, "SELECT id, visible, sortorder FROM {course_categories} WHERE id = ? FOR UPDATE", nc.Category)
	if errors.Is(err, database.ErrNotFound) {
		return 0, ErrNoCategory
	}
	if err != nil {
		return 0, fmt.Errorf("course category %d: %w", nc.Category, err)
	}
	if err := checkCourseNames(ctx, q, nc.Shortname, nc.IDNumber); err != nil {
		return 0, err
	}
	mc, err := LoadPluginConfig(ctx, q, "moodlecourse")
	if err != nil {
		return 0, err
	}
	format := mc.String("format", "topics")
	if _, known := formatOptionDefaults[format]; !known {
		format = "topics"
	}
	numsections := mc.Int("numsections", 4)
	startdate := env.midnight(1)
	enddate := int64(0)
	if mc.Bool("courseenddateenabled", true) {
		if format == "weeks" {
			enddate = env.addDays(startdate, 7*int(numsections))
		} else {
			duration := mc.Int("courseduration", 365*86400)
			if duration == 0 {
				duration = 365 * 86400
			}
			enddate = startdate + duration
		}
	}
	completion := env.configBool("enablecompletion")
	enablecompletion, showconditions := int64(0), any(nil)
	if completion {
		enablecompletion = mc.Int("enablecompletion", 1)
		if enablecompletion != 0 {
			showconditions = mc.Int("showcompletionconditions", 1)
		}
	}
	var downloadcontent any
	if env.configBool("downloadcoursecontentallowed") {
		downloadcontent = mc.Int("downloadcontent", 2) // DOWNLOAD_COURSE_CONTENT_SITE_DEFAULT
	}
	visible := mc.Int("visible", 1)
	courseID, err := q.Insert(ctx, `INSERT INTO {course} (category, sortorder, fullname, shortname, idnumber, summary, summaryformat,
		format, showgrades, newsitems, startdate, enddate, relativedatesmode, maxbytes, showreports, visible, visibleold,
		downloadcontent, groupmode, groupmodeforce, lang, timecreated, timemodified, enablecompletion, showactivitydates,
		showcompletionconditions) VALUES (?, 0, ?, ?, ?, '', 1, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		cat.ID, nc.Fullname, nc.Shortname, nc.IDNumber, format, mc.Int("showgrades", 1), mc.Int("newsitems", 5),
		startdate, enddate, mc.Int("maxbytes", 0), mc.Int("showreports", 0), visible, visible, downloadcontent,
		mc.Int("groupmode", 0), mc.Int("groupmodeforce", 0), mc.String("lang", ""), now, now, enablecompletion,
		mc.Int("showactivitydates", 1), showconditions)
	if err != nil {
		return 0, fmt.Errorf("inserting course: %w", err)
	}
	catctx, err := ContextOf(ctx, q, ContextCoursecat, cat.ID)
	if err != nil {
		return 0, err
	}
	cctx, err := CreateContext(ctx, q, ContextCourse, courseID, catctx)
	if err != nil {
		return 0, err
	}
	for _, opt := range formatOptionDefaults[format](mc) {
		if _, err := q.Exec(ctx, "INSERT INTO {course_format_options} (courseid, format, sectionid, name, value) VALUES (?, ?, 0, ?, ?)",
			courseID, format, opt[0], opt[1]); err != nil {
			return 0, fmt.Errorf("course format option %s: %w", opt[0], err)
		}
	}
	if err := FixCourseSortorder(ctx, q, env, cat.ID); err != nil {
		return 0, err
	}
	err = env.Log.Write(ctx, q, env.event(Event{Name: `\core\event\course_created`, Action: "created", Target: "course",
		ObjectTable: "course", ObjectID: courseID, CRUD: "c", EduLevel: LevelTeaching, Context: cctx, CourseID: courseID,
		Other: Fields{{"shortname", nc.Shortname}, {"fullname", nc.Fullname}}}))
	if err != nil {
		return 0, err
	}
	if !nc.Bare {
		// mod_forum's course_created observer.
		if (format == "topics" || format == "weeks") && mc.Int("newsitems", 5) > 0 {
			if _, err := CreateNewsForum(ctx, q, env, courseID, "news"); err != nil {
				return 0, err
			}
		} else if format == "social" {
			if _, err := CreateNewsForum(ctx, q, env, courseID, "social"); err != nil {
				return 0, err
			}
		}
		if err := addDefaultBlocks(ctx, q, env, courseID, cctx, format); err != nil {
			return 0, err
		}
	}
	last := numsections
	if nc.Bare {
		last = 0
	}
	for n := int64(0); n <= last; n++ {
		if _, err := EnsureSection(ctx, q, env, courseID, n); err != nil {
			return 0, err
		}
	}
	if err := addDefaultEnrolInstances(ctx, q, env, courseID, cctx); err != nil {
		return 0, err
	}
	return courseID, BumpCacheRev(ctx, q, env, courseID)
}

// checkCourseNames refuses a short name or a non-empty ID number another
// course has, as create_course() does.
func checkCourseNames(ctx context.Context, q database.Querier, shortname, idnumber string) error {
	var n int
	if err := q.Get(ctx, &n, "SELECT COUNT(1) FROM {course} WHERE shortname = ?", shortname); err != nil {
		return err
	}
	if n > 0 {
		return ErrShortnameTaken
	}
	if idnumber == "" {
		return nil
	}
	if err := q.Get(ctx, &n, "SELECT COUNT(1) FROM {course} WHERE idnumber = ?", idnumber); err != nil {
		return err
	}
	if n > 0 {
		return ErrIDNumberTaken
	}
	return nil
}

// FixCourseSortorder does for one category what fix_course_sortorder() does
// after create_course(): courses keep their order inside the category's
// sortorder range (a new course, inserted with sortorder 0, comes first) and
// the category's coursecount is the number of its courses.
func FixCourseSortorder(ctx context.Context, q database.Querier, env Env, categoryID int64) error {
	var cat struct {
		SortOrder   int64 `db:"sortorder"`
		CourseCount int64 `db:"coursecount"`
	}
	if err := q.Get(ctx, &cat, "SELECT sortorder, coursecount FROM {course_categories} WHERE id = ?", categoryID); err != nil {
		return fmt.Errorf("course category %d: %w", categoryID, err)
	}
	max := maxCoursesInCategory
	if v, ok := env.config("maxcoursesincategory"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
			max = n
		}
	}
	var courses []struct {
		ID        int64 `db:"id"`
		SortOrder int64 `db:"sortorder"`
	}
	if err := q.Select(ctx, &courses, "SELECT id, sortorder FROM {course} WHERE category = ?", categoryID); err != nil {
		return err
	}
	// Courses outside the range are brought into it (modulo the range size),
	// then the whole range is renumbered 1..n in (sortorder, id DESC) order.
	for i, c := range courses {
		if c.SortOrder < cat.SortOrder || c.SortOrder > cat.SortOrder+int64(max) {
			courses[i].SortOrder = c.SortOrder%int64(max) + cat.SortOrder
		}
	}
	order := make([]int, len(courses))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ca, cb := courses[order[a]], courses[order[b]]
		if ca.SortOrder != cb.SortOrder {
			return ca.SortOrder < cb.SortOrder
		}
		return ca.ID > cb.ID
	})
	for pos, i := range order {
		want := cat.SortOrder + int64(pos) + 1
		if _, err := q.Exec(ctx, "UPDATE {course} SET sortorder = ? WHERE id = ? AND sortorder <> ?", want, courses[i].ID, want); err != nil {
			return fmt.Errorf("course sortorder: %w", err)
		}
	}
	if int64(len(courses)) != cat.CourseCount {
		if _, err := q.Exec(ctx, "UPDATE {course_categories} SET coursecount = ? WHERE id = ?", len(courses), categoryID); err != nil {
			return fmt.Errorf("category course count: %w", err)
		}
	}
	return nil
}

// BumpCacheRev runs increment_revision_number() on the course's cacherev,
// which invalidates Moodle's cached course structure (core/coursemodinfo) on
// every PHP node: rebuild_course_cache($courseid, true) does no more.
func BumpCacheRev(ctx context.Context, q database.Querier, env Env, courseID int64) error {
	now := env.Unix()
	_, err := q.Exec(ctx, `UPDATE {course} SET cacherev = (CASE WHEN cacherev IS NULL THEN ? WHEN cacherev < ? THEN ?
		WHEN cacherev > ? + 3600 THEN ? ELSE cacherev + 1 END) WHERE id = ?`, now, now, now, now, now, courseID)
	if err != nil {
		return fmt.Errorf("course %d cacherev: %w", courseID, err)
	}
	return nil
}

// Section is a course_sections row.
type Section struct {
	ID       int64  `db:"id"`
	Course   int64  `db:"course"`
	Section  int64  `db:"section"`
	Sequence string `db:"sequence"`
}

// EnsureSection returns the id of section number n of a course, creating it
// (and any missing section before it) the way course_create_section() does.
func EnsureSection(ctx context.Context, q database.Querier, env Env, courseID, n int64) (int64, error) {
	var id int64
	err := q.Get(ctx, &id, "SELECT id FROM {course_sections} WHERE course = ? AND section = ?", courseID, n)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, database.ErrNotFound) {
		return 0, err
	}
	id, err = q.Insert(ctx, `INSERT INTO {course_sections} (course, section, name, summary, summaryformat, sequence, visible,
		availability, component, itemid, timemodified) VALUES (?, ?, NULL, '', 1, '', 1, NULL, NULL, NULL, ?)`, courseID, n, env.Unix())
	if err != nil {
		return 0, fmt.Errorf("creating section %d of course %d: %w", n, courseID, err)
	}
	cctx, err := ContextOf(ctx, q, ContextCourse, courseID)
	if err != nil {
		return 0, err
	}
	err = env.Log.Write(ctx, q, env.event(Event{Name: `\core\event\course_section_created`, Action: "created",
		Target: "course_section", ObjectTable: "course_sections", ObjectID: id, CRUD: "c", EduLevel: LevelTeaching,
		Context: cctx, CourseID: courseID, Other: Fields{{"sectionnum", n}}}))
	return id, err
}

// AddToSection appends a course module to the sequence of section number n
// (created if missing) and points the module at it, as
// course_add_cm_to_section() does; with after > 0 the module goes right
// after that one instead. It returns the section id.
func AddToSection(ctx context.Context, q database.Querier, env Env, courseID, cmID, n, after int64) (int64, error) {
	sectionID, err := EnsureSection(ctx, q, env, courseID, n)
	if err != nil {
		return 0, err
	}
	var seq string
	if err := q.Get(ctx, &seq, "SELECT COALESCE(sequence, '') FROM {course_sections} WHERE id = ? FOR UPDATE", sectionID); err != nil {
		return 0, err
	}
	ids := strings.Split(strings.TrimSpace(seq), ",")
	if seq == "" {
		ids = nil
	}
	me := strconv.FormatInt(cmID, 10)
	placed := false
	if after > 0 {
		a := strconv.FormatInt(after, 10)
		for i, s := range ids {
			if s == a {
				ids = append(ids[:i+1], append([]string{me}, ids[i+1:]...)...)
				placed = true
				break
			}
		}
	}
	if !placed {
		ids = append(ids, me)
	}
	if _, err := q.Exec(ctx, "UPDATE {course_sections} SET sequence = ? WHERE id = ?", strings.Join(ids, ","), sectionID); err != nil {
		return 0, err
	}
	if _, err := q.Exec(ctx, "UPDATE {course_modules} SET section = ? WHERE id = ?", sectionID, cmID); err != nil {
		return 0, err
	}
	return sectionID, nil
}

// CreateNewsForum creates the course's special forum ("news" for
// Announcements, "social" for the social format) the way
// forum_get_course_forum() does, unless the course has one; it returns the
// course module id. Its name and description are Moodle's strings in the
// current language (the site's packs, else English).
func CreateNewsForum(ctx context.Context, q database.Querier, env Env, courseID int64, kind string) (int64, error) {
	var existing int64
	err := q.Get(ctx, &existing, `SELECT cm.id FROM {forum} f JOIN {modules} m ON m.name = 'forum'
		JOIN {course_modules} cm ON cm.instance = f.id AND cm.module = m.id WHERE f.course = ? AND f.type = ? ORDER BY f.id LIMIT 1`,
		courseID, kind)
	if err == nil {
		return existing, nil
	}
	if !errors.Is(err, database.ErrNotFound) {
		return 0, err
	}
	nameID, introID, name, intro := "namenews", "intronews", "Announcements", "General news and announcements"
	forcesubscribe, maxattachments := env.configInt("forum_announcementsubscription", 1), env.configInt("forum_announcementmaxattachments", 1)
	if kind == "social" {
		nameID, introID, name, intro = "namesocial", "introsocial", "Social forum", "An open forum for chatting about anything you want to"
		forcesubscribe, maxattachments = 0, 1
	}
	if name, err = env.GetString(ctx, q, 0, "forum", nameID, name, ""); err != nil {
		return 0, err
	}
	if intro, err = env.GetString(ctx, q, 0, "forum", introID, intro, ""); err != nil {
		return 0, err
	}
	forumID, err := q.Insert(ctx, `INSERT INTO {forum} (course, type, name, intro, introformat, assessed, forcesubscribe,
		maxattachments, timemodified) VALUES (?, ?, ?, ?, 1, 0, ?, ?, ?)`, courseID, kind, name, intro, forcesubscribe,
		maxattachments, env.Unix())
	if err != nil {
		return 0, fmt.Errorf("creating the %s forum: %w", kind, err)
	}
	moduleID, err := ModuleID(ctx, q, "forum")
	if err != nil {
		return 0, err
	}
	cmID, err := q.Insert(ctx, "INSERT INTO {course_modules} (course, module, instance, section, added) VALUES (?, ?, ?, 0, ?)",
		courseID, moduleID, forumID, env.Unix())
	if err != nil {
		return 0, fmt.Errorf("creating the %s forum module: %w", kind, err)
	}
	if _, err := AddToSection(ctx, q, env, courseID, cmID, 0, 0); err != nil {
		return 0, err
	}
	// Moodle creates the module's context on first use; creating it now
	// leaves the state Moodle reaches after the course is first viewed.
	cctx, err := ContextOf(ctx, q, ContextCourse, courseID)
	if err != nil {
		return 0, err
	}
	if _, err := CreateContext(ctx, q, ContextModule, cmID, cctx); err != nil {
		return 0, err
	}
	return cmID, nil
}

// addDefaultBlocks adds the blocks blocks_add_default_course_blocks() would:
// $CFG->defaultblocks_override, else $CFG->defaultblocks_<format>, else the
// format's own list ($CFG->defaultblocks, or none for the core formats;
// social_activities for the social format). Blocks that are not installed
// are left out.
func addDefaultBlocks(ctx context.Context, q database.Querier, env Env, courseID int64, cctx Context, format string) error {
	var list string
	if v, ok := env.config("defaultblocks_override"); ok {
		list = v
	} else if v, ok := env.config("defaultblocks_" + format); ok {
		list = v
	} else if format == "social" {
		list = ":social_activities"
	} else if v, ok := env.config("defaultblocks"); ok {
		list = v
	}
	if strings.TrimSpace(list) == "" {
		return nil
	}
	regions := strings.SplitN(list, ":", 2)
	names := []string{"side-pre", "side-post"}
	for r, part := range regions {
		if strings.TrimSpace(part) == "" {
			continue
		}
		for weight, name := range strings.Split(strings.TrimSpace(part), ",") {
			var installed int
			if err := q.Get(ctx, &installed, "SELECT COUNT(1) FROM {block} WHERE name = ?", name); err != nil {
				return err
			}
			if installed == 0 {
				continue
			}
			id, err := q.Insert(ctx, `INSERT INTO {block_instances} (blockname, parentcontextid, showinsubcontexts, requiredbytheme,
				pagetypepattern, subpagepattern, defaultregion, defaultweight, configdata, timecreated, timemodified)
				VALUES (?, ?, 0, 0, 'course-view-*', NULL, ?, ?, '', ?, ?)`, name, cctx.ID, names[r], weight, env.Unix(), env.Unix())
			if err != nil {
				return fmt.Errorf("adding block %s: %w", name, err)
			}
			if _, err := CreateContext(ctx, q, ContextBlock, id, cctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// addDefaultEnrolInstances runs enrol_course_updated(true, …) for the
// enabled core enrolment plugins that add an instance to new courses
// (manual, guest and self, each when its defaultenrol setting is on), with
// their instance defaults.
func addDefaultEnrolInstances(ctx context.Context, q database.Querier, env Env, courseID int64, cctx Context) error {
	v, _ := env.config("enrol_plugins_enabled")
	for _, plugin := range SplitCSV(v) {
		var fields map[string]any
		pc, err := LoadPluginConfig(ctx, q, "enrol_"+plugin)
		if err != nil {
			return err
		}
		switch plugin {
		case "manual":
			if !pc.Bool("defaultenrol", true) {
				continue
			}
			var exists int
			if err := q.Get(ctx, &exists, "SELECT COUNT(1) FROM {enrol} WHERE courseid = ? AND enrol = 'manual'", courseID); err != nil {
				return err
			}
			if exists > 0 {
				continue // at most one manual instance per course
			}
			notify := pc.Int("expirynotify", 0)
			fields = map[string]any{"status": pc.Int("status", 0), "roleid": pc.Int("roleid", 0),
				"enrolperiod": pc.Int("enrolperiod", 0), "expirynotify": notify, "notifyall": b2i(notify == 2),
				"expirythreshold": pc.Int("expirythreshold", 86400), "customint1": pc.Int("sendcoursewelcomemessage", 0)}
		case "guest":
			if !pc.Bool("defaultenrol", true) {
				continue
			}
			fields = map[string]any{"status": pc.Int("status", 1), "password": ""}
			if pc.Bool("requirepassword", false) {
				pw, err := RandomPassword(20)
				if err != nil {
					return err
				}
				fields["password"] = pw
			}
		case "self":
			if !pc.Bool("defaultenrol", true) {
				continue
			}
			notify, notifyall := pc.Int("expirynotify", 0), int64(0)
			if notify == 2 {
				notify, notifyall = 1, 1
			}
			fields = map[string]any{"status": pc.Int("status", 1), "roleid": pc.Int("roleid", 0),
				"enrolperiod": pc.Int("enrolperiod", 0), "expirynotify": notify, "notifyall": notifyall,
				"expirythreshold": pc.Int("expirythreshold", 86400), "customint1": pc.Int("groupkey", 0),
				"customint2": pc.Int("longtimenosee", 0), "customint3": pc.Int("maxenrolled", 0),
				"customint4": pc.Int("sendcoursewelcomemessage", 0), "customint5": 0, "customint6": pc.Int("newenrols", 1)}
			if pc.Bool("requirepassword", false) {
				pw, err := RandomPassword(20)
				if err != nil {
					return err
				}
				fields["password"] = pw
			}
		default:
			continue // no default instance in core, or a plugin whose PHP the service cannot run
		}
		if _, err := AddEnrolInstance(ctx, q, env, courseID, cctx, plugin, fields); err != nil {
			return err
		}
	}
	return nil
}

// AddEnrolInstance inserts an enrol row as enrol_plugin::add_instance() does
// (enabled unless fields say otherwise, next sortorder in the course) and
// logs enrol_instance_created.
func AddEnrolInstance(ctx context.Context, q database.Querier, env Env, courseID int64, cctx Context, plugin string, fields map[string]any) (int64, error) {
	var sortorder int64
	if err := q.Get(ctx, &sortorder, "SELECT COALESCE(MAX(sortorder), -1) + 1 FROM {enrol} WHERE courseid = ?", courseID); err != nil {
		return 0, err
	}
	cols := []string{"enrol", "status", "courseid", "sortorder", "enrolstartdate", "enrolenddate", "timecreated", "timemodified"}
	vals := []any{plugin, 0, courseID, sortorder, 0, 0, env.Unix(), env.Unix()}
	for _, k := range sortedKeys(fields) {
		if k == "status" {
			vals[1] = fields[k]
			continue
		}
		cols = append(cols, k)
		vals = append(vals, fields[k])
	}
	id, err := q.Insert(ctx, "INSERT INTO {enrol} ("+strings.Join(cols, ", ")+") VALUES ("+marks(len(cols))+")", vals...)
	if err != nil {
		return 0, fmt.Errorf("adding %s enrolment to course %d: %w", plugin, courseID, err)
	}
	err = env.Log.Write(ctx, q, env.event(Event{Name: `\core\event\enrol_instance_created`, Action: "created",
		Target: "enrol_instance", ObjectTable: "enrol", ObjectID: id, CRUD: "c", EduLevel: LevelOther, Context: cctx,
		CourseID: courseID, Other: Fields{{"enrol", plugin}}}))
	return id, err
}

// midnight is usergetmidnight(time()) plus days, in the site's timezone.
func (e Env) midnight(days int) int64 {
	loc := e.location()
	t := e.now().In(loc)
	return time.Date(t.Year(), t.Month(), t.Day()+days, 0, 0, 0, 0, loc).Unix()
}

// addDays adds calendar days in the site's timezone.
func (e Env) addDays(unix int64, days int) int64 {
	return time.Unix(unix, 0).In(e.location()).AddDate(0, 0, days).Unix()
}

// location is the site's timezone (ServerLocation).
func (e Env) location() *time.Location {
	if e.Site == nil {
		return time.Local
	}
	return ServerLocation(e.Site)
}

func (e Env) configBool(name string) bool {
	v, _ := e.config(name)
	return v != "" && v != "0"
}

func (e Env) configInt(name string, def int64) int64 {
	v, ok := e.config(name)
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
