package coursecopy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// courseSettingsKept are the columns of the destination course a copy does
// not take from the source: its identity and place, and Moodle's
// bookkeeping.
var courseSettingsKept = map[string]bool{"id": true, "category": true, "sortorder": true, "fullname": true,
	"shortname": true, "idnumber": true, "visible": true, "visibleold": true, "timecreated": true,
	"timemodified": true, "cacherev": true, "requested": true, "originalcourseid": true, "defaultgroupingid": true}

// CopyCourse copies the content of course src into course dst, which
// moodle.CreateCourse has just made with Bare set, the way Moodle's restore
// of a course backup into an existing course leaves it (the plugin restored
// the template with TARGET_CURRENT_DELETING): the course settings and
// format options, sections, groups and groupings, the modules with
// everything they own, question banks, the gradebook, completion, blocks,
// filters, role overrides, tags, files, calendar events and custom fields;
// with opt.UserData also enrolments, role assignments, group members,
// grades and the modules' user data. dst keeps its names, category,
// visibility and enrolment methods.
//
// Everything runs on q: give it a transaction, so a failure leaves nothing.
func CopyCourse(ctx context.Context, q database.Querier, env moodle.Env, src, dst int64, opt Options) (*Report, error) {
	c, err := copyCourse(ctx, q, env, src, dst, opt)
	if err != nil {
		return nil, err
	}
	return c.rep, nil
}

// copyCourse is CopyCourse returning the copier, whose id maps the tests
// check.
func copyCourse(ctx context.Context, q database.Querier, env moodle.Env, src, dst int64, opt Options) (*copier, error) {
	c := newCopier(q, env, opt)
	c.whole, c.src, c.dst = true, src, dst
	var err error
	if c.srcCtx, err = moodle.ContextOf(ctx, q, moodle.ContextCourse, src); err != nil {
		return nil, err
	}
	if c.dstCtx, err = moodle.ContextOf(ctx, q, moodle.ContextCourse, dst); err != nil {
		return nil, err
	}
	c.put("course", src, dst)
	c.put("context", c.srcCtx.ID, c.dstCtx.ID)
	steps := []func(context.Context) error{
		c.copyCourseSettings,
		c.copyGroups,
		c.copyScalesAndOutcomes,
		c.copySections,
		c.copyCourseBank,
		c.copyModules,
		c.finishModules,
		c.copyGradebook,
		c.finishAvailability,
		c.finishSections,
		c.copyCompletion,
		c.copyCourseExtras,
		func(ctx context.Context) error { return c.copyContextContent(ctx, c.srcCtx, c.dstCtx) },
		c.copyBlockPositions,
		c.copyCourseUserData,
		c.rewriteLinks,
		func(ctx context.Context) error { return moodle.BumpCacheRev(ctx, q, env, dst) },
		c.logRestored,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, fmt.Errorf("copying course %d into %d: %w", src, dst, err)
		}
	}
	return c, nil
}

// copyCourseSettings takes the source's settings (format, summary, dates,
// completion, …) and course format options, as restore does.
func (c *copier) copyCourseSettings(ctx context.Context) error {
	rows, err := c.s.selectRows(ctx, "course", "id = ?", c.src)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("course %d: %w", c.src, database.ErrNotFound)
	}
	cols, err := c.s.cols(ctx, "course")
	if err != nil {
		return err
	}
	set := row{"originalcourseid": c.src, "timemodified": c.now()}
	for _, col := range cols {
		if !courseSettingsKept[col] {
			set[col] = rows[0][col]
		}
	}
	if err := c.s.update(ctx, "course", c.dst, set); err != nil {
		return err
	}
	if _, err := c.q.Exec(ctx, "DELETE FROM {course_format_options} WHERE courseid = ? AND sectionid = 0", c.dst); err != nil {
		return err
	}
	return c.copyWhere(ctx, "course_format_options", "courseid = ? AND sectionid = 0", []any{c.src}, row{"courseid": c.dst})
}

// copyWhere copies the rows matching a condition with the same changes.
func (c *copier) copyWhere(ctx context.Context, table, where string, args []any, set row) error {
	rows, err := c.s.selectRows(ctx, table, where, args...)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if _, err := c.copyRow(ctx, table, r, set); err != nil {
			return err
		}
	}
	return nil
}

func (c *copier) copyGroups(ctx context.Context) error {
	if err := c.copyWhere(ctx, "groups", "courseid = ?", []any{c.src}, row{"courseid": c.dst,
		"timecreated": c.now(), "timemodified": c.now()}); err != nil {
		return err
	}
	if err := c.copyWhere(ctx, "groupings", "courseid = ?", []any{c.src}, row{"courseid": c.dst,
		"timecreated": c.now(), "timemodified": c.now()}); err != nil {
		return err
	}
	rows, err := c.s.selectRows(ctx, "groupings_groups", "groupingid IN (SELECT id FROM {groupings} WHERE courseid = ?)", c.src)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if _, err := c.copyRow(ctx, "groupings_groups", r, row{"groupingid": c.ref("groupings", r.int("groupingid")),
			"groupid": c.ref("groups", r.int("groupid")), "timeadded": c.now()}); err != nil {
			return err
		}
	}
	return nil
}

// copyScalesAndOutcomes copies the scales and outcomes defined in the
// source course; site-wide ones are shared.
func (c *copier) copyScalesAndOutcomes(ctx context.Context) error {
	if err := c.copyWhere(ctx, "scale", "courseid = ?", []any{c.src}, row{"courseid": c.dst, "timemodified": c.now()}); err != nil {
		return err
	}
	outcomes, err := c.s.selectRows(ctx, "grade_outcomes", "courseid = ?", c.src)
	if err != nil {
		return err
	}
	for _, o := range outcomes {
		if _, err := c.copyRow(ctx, "grade_outcomes", o, row{"courseid": c.dst, "scaleid": c.ref("scale", o.int("scaleid")),
			"timecreated": c.now(), "timemodified": c.now()}); err != nil {
			return err
		}
	}
	return nil
}

// copySections gives the destination the source's sections, number for
// number; sequences, availability and delegated sections are completed
// once the modules are copied.
func (c *copier) copySections(ctx context.Context) error {
	srcSecs, err := c.s.selectRows(ctx, "course_sections", "course = ?", c.src)
	if err != nil {
		return err
	}
	dstSecs, err := c.s.selectRows(ctx, "course_sections", "course = ?", c.dst)
	if err != nil {
		return err
	}
	byNum := map[int64]row{}
	for _, s := range dstSecs {
		byNum[s.int("section")] = s
	}
	cols, err := c.s.cols(ctx, "course_sections")
	if err != nil {
		return err
	}
	wanted := map[int64]bool{}
	for _, s := range srcSecs {
		num := s.int("section")
		wanted[num] = true
		if d, ok := byNum[num]; ok {
			set := row{"timemodified": c.now()}
			for _, col := range cols {
				switch col {
				case "id", "course", "section", "sequence", "availability", "itemid", "timemodified":
				default:
					set[col] = s[col]
				}
			}
			if err := c.s.update(ctx, "course_sections", d.int("id"), set); err != nil {
				return err
			}
			c.put("course_sections", s.int("id"), d.int("id"))
			continue
		}
		if _, err := c.copyRow(ctx, "course_sections", s, row{"course": c.dst, "sequence": "", "availability": nil,
			"timemodified": c.now()}); err != nil {
			return err
		}
	}
	for num, d := range byNum {
		if !wanted[num] && d.str("sequence") == "" {
			if _, err := c.q.Exec(ctx, "DELETE FROM {course_sections} WHERE id = ?", d.int("id")); err != nil {
				return err
			}
		}
	}
	opts, err := c.s.selectRows(ctx, "course_format_options", "courseid = ? AND sectionid <> 0", c.src)
	if err != nil {
		return err
	}
	for _, o := range opts {
		ns, ok := c.get("course_sections", o.int("sectionid"))
		if !ok {
			continue
		}
		if _, err := c.copyRow(ctx, "course_format_options", o, row{"courseid": c.dst, "sectionid": ns}); err != nil {
			return err
		}
	}
	return nil
}

// srcModules returns the source's course modules in course order.
func (c *copier) srcModules(ctx context.Context) ([]row, []string, error) {
	secs, err := c.s.selectRows(ctx, "course_sections", "course = ?", c.src)
	if err != nil {
		return nil, nil, err
	}
	sortBy(secs, "section")
	var cms []row
	var names []string
	for _, s := range secs {
		for _, part := range strings.Split(s.str("sequence"), ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil {
				continue
			}
			var name string
			if err := c.q.Get(ctx, &name, "SELECT m.name FROM {course_modules} cm JOIN {modules} m ON m.id = cm.module "+
				"WHERE cm.id = ? AND cm.course = ? AND cm.deletioninprogress = 0", id, c.src); err != nil {
				if errors.Is(err, database.ErrNotFound) {
					continue
				}
				return nil, nil, err
			}
			rows, err := c.s.selectRows(ctx, "course_modules", "id = ?", id)
			if err != nil {
				return nil, nil, err
			}
			cms = append(cms, rows[0])
			names = append(names, name)
		}
	}
	return cms, names, nil
}

func (c *copier) copyModules(ctx context.Context) error {
	cms, names, err := c.srcModules(ctx)
	if err != nil {
		return err
	}
	for i, cm := range cms {
		section, ok := c.get("course_sections", cm.int("section"))
		if !ok {
			continue
		}
		if _, err := c.copyCM(ctx, cm, names[i], section); err != nil {
			return err
		}
	}
	return nil
}

// finishModules runs what had to wait for every module: quiz question
// references and deferred ids.
func (c *copier) finishModules(ctx context.Context) error {
	for _, m := range c.afters {
		if err := m.spec.after(c, m); err != nil {
			return err
		}
	}
	return c.resolveDeferred(ctx)
}

// finishAvailability rewrites the modules' availability once modules,
// groups and grade items are all copied.
func (c *copier) finishAvailability(ctx context.Context) error {
	for old, nw := range c.rep.Modules {
		rows, err := c.s.selectRows(ctx, "course_modules", "id = ?", old)
		if err != nil {
			return err
		}
		if len(rows) == 0 || rows[0].isNull("availability") {
			continue
		}
		av := c.remapAvailability(rows[0].str("availability"), fmt.Sprintf("course module %d", old))
		if err := c.s.update(ctx, "course_modules", nw, row{"availability": av}); err != nil {
			return err
		}
	}
	return nil
}

// finishSections writes the sections' module sequences, availability and
// delegated-section owners.
func (c *copier) finishSections(ctx context.Context) error {
	secs, err := c.s.selectRows(ctx, "course_sections", "course = ?", c.src)
	if err != nil {
		return err
	}
	for _, s := range secs {
		ns, ok := c.get("course_sections", s.int("id"))
		if !ok {
			continue
		}
		var seq []string
		for _, part := range strings.Split(s.str("sequence"), ",") {
			if id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64); err == nil {
				if n, ok := c.rep.Modules[id]; ok {
					seq = append(seq, strconv.FormatInt(n, 10))
				}
			}
		}
		set := row{"sequence": strings.Join(seq, ",")}
		if !s.isNull("availability") {
			set["availability"] = c.remapAvailability(s.str("availability"), fmt.Sprintf("section %d", s.int("section")))
		}
		if comp := s.str("component"); comp != "" && strings.HasPrefix(comp, "mod_") {
			set["itemid"] = c.ref(comp[4:], s.int("itemid"))
		}
		if err := c.s.update(ctx, "course_sections", ns, set); err != nil {
			return err
		}
	}
	return nil
}

// copyCompletion copies the course completion criteria (activity criteria
// pointing at the copies), aggregation methods and activity defaults.
func (c *copier) copyCompletion(ctx context.Context) error {
	crit, err := c.s.selectRows(ctx, "course_completion_criteria", "course = ?", c.src)
	if err != nil {
		return err
	}
	for _, r := range crit {
		set := row{"course": c.dst}
		if r.int("criteriatype") == 4 { // COMPLETION_CRITERIA_TYPE_ACTIVITY
			n := c.ref("course_modules", r.int("moduleinstance"))
			if n == 0 {
				c.rep.warn("a course completion criterion on course module %d was dropped: the module was not copied", r.int("moduleinstance"))
				continue
			}
			set["moduleinstance"] = n
		}
		if _, err := c.copyRow(ctx, "course_completion_criteria", r, set); err != nil {
			return err
		}
	}
	for _, t := range []string{"course_completion_aggr_methd", "course_completion_defaults"} {
		if err := c.copyWhere(ctx, t, "course = ?", []any{c.src}, row{"course": c.dst}); err != nil {
			return err
		}
	}
	return nil
}

// copyCourseExtras copies course custom field values, course and group
// calendar events, and the course's competencies.
func (c *copier) copyCourseExtras(ctx context.Context) error {
	fields, err := c.s.selectRows(ctx, "customfield_data", `instanceid = ? AND fieldid IN (SELECT f.id FROM {customfield_field} f
		JOIN {customfield_category} cat ON cat.id = f.categoryid WHERE cat.component = 'core_course' AND cat.area = 'course')`, c.src)
	if err != nil {
		return err
	}
	for _, f := range fields {
		if _, err := c.copyRow(ctx, "customfield_data", f, row{"instanceid": c.dst, "contextid": c.dstCtx.ID,
			"timecreated": c.now(), "timemodified": c.now()}); err != nil {
			return err
		}
	}
	events, err := c.s.selectRows(ctx, "event", "courseid = ? AND (modulename = '' OR modulename IS NULL) AND eventtype IN ('course', 'group')", c.src)
	if err != nil {
		return err
	}
	for _, e := range events {
		g := e.int("groupid")
		if g > 0 {
			if _, ok := c.get("groups", g); !ok {
				continue
			}
		}
		if _, err := c.copyRow(ctx, "event", e, row{"courseid": c.dst, "groupid": c.ref("groups", g), "repeatid": 0,
			"timemodified": c.now()}); err != nil {
			return err
		}
	}
	for _, t := range []string{"competency_coursecomp", "competency_coursecompsetting"} {
		if err := c.copyWhere(ctx, t, "courseid = ?", []any{c.src}, row{"courseid": c.dst, "timecreated": c.now(),
			"timemodified": c.now(), "usermodified": c.env.UserID}); err != nil {
			return err
		}
	}
	rows, err := c.s.selectRows(ctx, "course", "id = ?", c.src)
	if err != nil {
		return err
	}
	return c.s.update(ctx, "course", c.dst, row{"defaultgroupingid": c.ref("groupings", rows[0].int("defaultgroupingid"))})
}

// logRestored writes the course_restored event Moodle's restore logs.
func (c *copier) logRestored(ctx context.Context) error {
	return c.env.Log.Write(ctx, c.q, moodle.Event{Name: `\core\event\course_restored`, Component: "core", Action: "restored",
		Target: "course", ObjectTable: "course", ObjectID: c.dst, CRUD: "c", EduLevel: moodle.LevelTeaching,
		Context: c.dstCtx, CourseID: c.dst, UserID: c.env.UserID, IP: c.env.IP, TimeCreated: c.now(),
		Other: moodle.Fields{{Key: "type", Value: "course"}, {Key: "target", Value: 0}, {Key: "mode", Value: 40}, {Key: "operation", Value: "restore"},
			{Key: "samesite", Value: true}, {Key: "originalcourseid", Value: c.src}}})
}
