package coursecopy

import (
	"context"
	"fmt"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// modCopy is one course module being copied.
type modCopy struct {
	spec     *modSpec
	modname  string
	cm       row
	oldInst  int64
	newInst  int64
	newCM    int64
	oldCtx   moodle.Context
	newCtx   moodle.Context
	hasCtx   bool
	local    map[string][]int64 // old ids of the rows copied, per table
	children []child
}

// copyCM copies one course module into the destination course, in the
// section sectionID; it returns the new course module id, or 0 when the
// module was skipped (and reported).
func (c *copier) copyCM(ctx context.Context, cm row, modname string, sectionID int64) (int64, error) {
	oldID := cm.int("id")
	skip := func(reason string) (int64, error) {
		c.rep.Skipped = append(c.rep.Skipped, Skipped{CMID: oldID, ModName: modname, Reason: reason})
		return 0, nil
	}
	spec := specs[modname]
	oldCtx, ctxErr := moodle.ContextOf(ctx, c.q, moodle.ContextModule, oldID)
	if spec == nil {
		ok, why, err := c.genericCopyable(ctx, modname, oldCtx, ctxErr == nil)
		if err != nil {
			return 0, err
		}
		if !ok {
			return skip(why)
		}
		spec = &modSpec{}
	}
	if c.opt.UserData && spec.notCopied != "" {
		c.rep.warn("%s %d: %s are not copied", modname, oldID, spec.notCopied)
	}
	inst, err := c.s.selectRows(ctx, modname, "id = ?", cm.int("instance"))
	if err != nil {
		return 0, err
	}
	if len(inst) == 0 {
		return skip("its " + modname + " record is missing")
	}
	if modname == "lti" {
		if ok, why, err := c.ltiCopyable(ctx, inst[0]); err != nil || !ok {
			if err != nil {
				return 0, err
			}
			return skip(why)
		}
	}
	m := &modCopy{spec: spec, modname: modname, cm: cm, oldInst: cm.int("instance"), oldCtx: oldCtx, hasCtx: ctxErr == nil,
		local: map[string][]int64{}}

	// The instance, then its children.
	set := row{"course": c.dst}
	for col, table := range spec.refs {
		if !inst[0].isNull(col) {
			set[col] = c.ref(table, inst[0].int(col))
		}
	}
	for _, col := range spec.scales {
		if v := inst[0].int(col); v < 0 {
			set[col] = -c.ref("scale", -v)
		}
	}
	if m.newInst, err = c.copyRow(ctx, modname, inst[0], set); err != nil {
		return 0, err
	}
	m.local[modname] = []int64{m.oldInst}
	if err := c.copyChildren(ctx, m, spec.children); err != nil {
		return 0, err
	}

	// The course module and its context.
	cmset := row{"course": c.dst, "instance": m.newInst, "section": sectionID, "added": c.now(),
		"groupingid": c.ref("groupings", cm.int("groupingid")), "deletioninprogress": 0}
	if idn := cm.str("idnumber"); idn != "" {
		var n int
		if err := c.q.Get(ctx, &n, "SELECT COUNT(1) FROM {course_modules} WHERE course = ? AND idnumber = ?", c.dst, idn); err != nil {
			return 0, err
		}
		if n > 0 {
			cmset["idnumber"] = "" // idnumbers are unique in a course, as restore keeps them
		}
	}
	if !c.whole && !cm.isNull("availability") {
		cmset["availability"] = c.remapAvailability(cm.str("availability"), fmt.Sprintf("%s %d", modname, oldID))
	}
	if m.newCM, err = c.copyRow(ctx, "course_modules", cm, cmset); err != nil {
		return 0, err
	}
	if m.newCtx, err = c.newContext(ctx, moodle.ContextModule, m.newCM, c.dstCtx, oldCtx.ID); err != nil {
		return 0, err
	}
	if m.hasCtx {
		if err := c.copyModuleBank(ctx, m); err != nil {
			return 0, err
		}
	}
	// Whole-course copies resolve module references once every module is
	// copied (a quiz may use another quiz's questions).
	if spec.after != nil {
		if c.whole {
			c.afters = append(c.afters, m)
		} else if err := spec.after(c, m); err != nil {
			return 0, err
		}
	}
	if !c.whole {
		if err := c.resolveDeferred(ctx); err != nil {
			return 0, err
		}
		if err := c.copyModuleGradeItems(ctx, m); err != nil {
			return 0, err
		}
	}
	if err := c.copyGrading(ctx, m); err != nil {
		return 0, err
	}
	if m.hasCtx {
		if err := c.copyContextContent(ctx, oldCtx, m.newCtx); err != nil {
			return 0, err
		}
	}
	if err := c.copyModuleEvents(ctx, m); err != nil {
		return 0, err
	}
	if err := c.copyByColumn(ctx, "competency_modulecomp", "cmid", oldID, row{"cmid": m.newCM, "timecreated": c.now(),
		"timemodified": c.now(), "usermodified": c.env.UserID}); err != nil {
		return 0, err
	}
	if c.opt.UserData {
		for _, t := range []string{"course_modules_completion", "course_modules_viewed"} {
			if err := c.copyByColumn(ctx, t, "coursemoduleid", oldID, row{"coursemoduleid": m.newCM}); err != nil {
				return 0, err
			}
		}
	}
	c.rep.Modules[oldID] = m.newCM
	return m.newCM, nil
}

// copyChildren copies the child tables of a module, parents first.
func (c *copier) copyChildren(ctx context.Context, m *modCopy, children []child) error {
	copied := map[string]bool{m.modname: true}
	for i, ch := range children {
		if ch.userdata && !c.opt.UserData {
			continue
		}
		ptable := ch.ptable
		if ptable == "" {
			ptable = m.modname
		}
		parents := m.local[ptable]
		if len(parents) == 0 {
			continue
		}
		marks, args := in(parents)
		where := "`" + ch.parent + "` IN " + marks
		if ch.where != "" {
			where += " AND (" + ch.where + ")"
		}
		rows, err := c.s.selectRows(ctx, ch.table, where, args...)
		if err != nil {
			return err
		}
		// Tables copied later in this module, or this one (trees), are
		// referenced once they exist.
		later := map[string]bool{ch.table: true}
		for _, next := range children[i+1:] {
			later[next.table] = true
		}
		for _, r := range rows {
			set := row{ch.parent: c.ref(ptable, r.int(ch.parent))}
			var defer_ []deferredRef
			for col, table := range ch.refs {
				if r.isNull(col) {
					continue
				}
				if (table == "course_modules" || later[table] && !copied[table]) && r.int(col) > 0 {
					defer_ = append(defer_, deferredRef{table: ch.table, column: col, target: table, old: r.int(col)})
					continue
				}
				set[col] = c.ref(table, r.int(col))
			}
			id, err := c.copyRow(ctx, ch.table, r, set)
			if err != nil {
				return err
			}
			for _, d := range defer_ {
				d.id = id
				c.deferred = append(c.deferred, d)
			}
			m.local[ch.table] = append(m.local[ch.table], r.int("id"))
		}
		copied[ch.table] = true
	}
	return nil
}

// genericCopyable decides whether a module type the copy has no
// description of can still be copied safely: its instance is one row of its
// own table, it has no other table, and its files carry no row ids.
func (c *copier) genericCopyable(ctx context.Context, modname string, cmctx moodle.Context, hasCtx bool) (bool, string, error) {
	ok, err := c.s.has(ctx, modname, "course")
	if err != nil {
		return false, "", err
	}
	if !ok {
		return false, "the module's table is missing", nil
	}
	var others []string
	prefix := strings.Trim(c.q.Table(modname), "`") + "_"
	err = c.q.Select(ctx, &others, `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
		AND TABLE_NAME LIKE ?`, strings.ReplaceAll(prefix, "_", `\_`)+"%")
	if err != nil {
		return false, "", err
	}
	if len(others) > 0 {
		return false, fmt.Sprintf("module type %s keeps data in other tables (%s) that the copy does not know", modname,
			strings.Join(others, ", ")), nil
	}
	if hasCtx {
		var n int
		if err := c.q.Get(ctx, &n, "SELECT COUNT(1) FROM {files} WHERE contextid = ? AND itemid <> 0", cmctx.ID); err != nil {
			return false, "", err
		}
		if n > 0 {
			return false, fmt.Sprintf("module type %s has files whose item ids the copy cannot map", modname), nil
		}
	}
	return true, "", nil
}

// ltiCopyable: an external tool is copied unless it uses a tool type that
// belongs to another course (course tool types are not copied).
func (c *copier) ltiCopyable(ctx context.Context, inst row) (bool, string, error) {
	typeid := inst.int("typeid")
	if typeid == 0 {
		return true, "", nil
	}
	var course int64
	err := c.q.Get(ctx, &course, "SELECT course FROM {lti_types} WHERE id = ?", typeid)
	if err != nil {
		return true, "", nil // a missing type behaves as a manual configuration in Moodle
	}
	if course == moodle.SiteCourseID || course == c.dst {
		return true, "", nil
	}
	return false, "it uses an external tool type configured only in its own course", nil
}

// copyByColumn copies the rows of a table that point at one old id.
func (c *copier) copyByColumn(ctx context.Context, table, column string, old int64, set row) error {
	rows, err := c.s.selectRows(ctx, table, "`"+column+"` = ?", old)
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

// copyModuleEvents copies the calendar events of a module instance
// (dates, and group override dates); user override events are user data.
func (c *copier) copyModuleEvents(ctx context.Context, m *modCopy) error {
	events, err := c.s.selectRows(ctx, "event", "modulename = ? AND instance = ?", m.modname, m.oldInst)
	if err != nil {
		return err
	}
	for _, e := range events {
		userOverride := !e.isNull("priority") && e.int("groupid") == 0
		if userOverride && !c.opt.UserData {
			continue
		}
		group := e.int("groupid")
		if group > 0 {
			if _, ok := c.get("groups", group); !ok {
				continue
			}
		}
		if _, err := c.copyRow(ctx, "event", e, row{"courseid": c.dst, "instance": m.newInst, "groupid": c.ref("groups", group),
			"repeatid": 0, "timemodified": c.now()}); err != nil {
			return err
		}
	}
	return nil
}

// copyGrading copies the advanced grading setup of a module (rubrics,
// marking guides): areas, definitions and their criteria. Gradings done
// with them are not copied.
func (c *copier) copyGrading(ctx context.Context, m *modCopy) error {
	if !m.hasCtx {
		return nil
	}
	areas, err := c.s.selectRows(ctx, "grading_areas", "contextid = ?", m.oldCtx.ID)
	if err != nil {
		return err
	}
	for _, a := range areas {
		if _, err := c.copyRow(ctx, "grading_areas", a, row{"contextid": m.newCtx.ID}); err != nil {
			return err
		}
		newArea, _ := c.get("grading_areas", a.int("id"))
		defs, err := c.s.selectRows(ctx, "grading_definitions", "areaid = ?", a.int("id"))
		if err != nil {
			return err
		}
		for _, d := range defs {
			if _, err := c.copyRow(ctx, "grading_definitions", d, row{"areaid": newArea, "timecopied": c.now(),
				"usercreated": d.int("usercreated"), "usermodified": d.int("usermodified")}); err != nil {
				return err
			}
			newDef, _ := c.get("grading_definitions", d.int("id"))
			if err := c.copyByColumn(ctx, "gradingform_rubric_criteria", "definitionid", d.int("id"), row{"definitionid": newDef}); err != nil {
				return err
			}
			crit, err := c.s.selectRows(ctx, "gradingform_rubric_criteria", "definitionid = ?", d.int("id"))
			if err != nil {
				return err
			}
			for _, cr := range crit {
				nc, _ := c.get("gradingform_rubric_criteria", cr.int("id"))
				if err := c.copyByColumn(ctx, "gradingform_rubric_levels", "criterionid", cr.int("id"), row{"criterionid": nc}); err != nil {
					return err
				}
			}
			for _, t := range []string{"gradingform_guide_criteria", "gradingform_guide_comments"} {
				if err := c.copyByColumn(ctx, t, "definitionid", d.int("id"), row{"definitionid": newDef}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
