package coursecopy

import (
	"context"
	"errors"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// ErrNotCopyable is returned when an activity cannot be copied; the
// error's text says why.
var ErrNotCopyable = errors.New("coursecopy: this activity cannot be copied")

// CopyModule copies one course module into course dst, as Moodle's
// duplicate_module() (backup and restore of the activity) leaves it: the
// module's own rows and children, context, files, question bank (a quiz's
// own questions, and the categories of its course's bank it uses when it
// goes to another course), grade items, advanced grading forms, calendar
// events, role overrides, filters, blocks, tags and completion settings.
// Its idnumber becomes idnumber (unless empty).
//
// Placement: in its own course the copy goes right after the original, as
// duplicate_module() places it; in another course it goes at the end of the
// section with the same number, or of section 1 when that section does not
// exist there or is a subsection.
//
// References to the source course's groups, groupings, other activities
// and grade items cannot be carried to another course and become 0 (the
// report says which).
func CopyModule(ctx context.Context, q database.Querier, env moodle.Env, cmID, dst int64, idnumber string, opt Options) (int64, *Report, error) {
	c := newCopier(q, env, opt)
	cms, err := c.s.selectRows(ctx, "course_modules", "id = ? AND deletioninprogress = 0", cmID)
	if err != nil {
		return 0, nil, err
	}
	if len(cms) == 0 {
		return 0, nil, fmt.Errorf("course module %d: %w", cmID, database.ErrNotFound)
	}
	cm := cms[0]
	var modname string
	if err := q.Get(ctx, &modname, "SELECT name FROM {modules} WHERE id = ?", cm.int("module")); err != nil {
		return 0, nil, fmt.Errorf("module type of course module %d: %w", cmID, err)
	}
	if s := specs[modname]; s != nil && s.notAlone != "" {
		return 0, nil, fmt.Errorf("%w: %s", ErrNotCopyable, s.notAlone)
	}
	c.src, c.dst = cm.int("course"), dst
	if c.srcCtx, err = moodle.ContextOf(ctx, q, moodle.ContextCourse, c.src); err != nil {
		return 0, nil, err
	}
	if c.dstCtx, err = moodle.ContextOf(ctx, q, moodle.ContextCourse, dst); err != nil {
		return 0, nil, err
	}
	c.put("course", c.src, dst)
	num, after, err := c.placement(ctx, cm)
	if err != nil {
		return 0, nil, err
	}
	sectionID, err := moodle.EnsureSection(ctx, q, env, dst, num)
	if err != nil {
		return 0, nil, err
	}
	newCM, err := c.copyCM(ctx, cm, modname, sectionID)
	if err != nil {
		return 0, nil, err
	}
	if newCM == 0 {
		return 0, c.rep, fmt.Errorf("%w: %s", ErrNotCopyable, c.rep.Skipped[len(c.rep.Skipped)-1].Reason)
	}
	if _, err := moodle.AddToSection(ctx, q, env, dst, newCM, num, after); err != nil {
		return 0, nil, err
	}
	if idnumber != "" {
		if _, err := q.Exec(ctx, "UPDATE {course_modules} SET idnumber = ? WHERE id = ?", idnumber, newCM); err != nil {
			return 0, nil, err
		}
	}
	if err := c.copyBlockPositions(ctx); err != nil {
		return 0, nil, err
	}
	if err := c.rewriteLinks(ctx); err != nil {
		return 0, nil, err
	}
	if err := moodle.BumpCacheRev(ctx, q, env, dst); err != nil {
		return 0, nil, err
	}
	if err := c.logModuleCreated(ctx, newCM, modname); err != nil {
		return 0, nil, err
	}
	return newCM, c.rep, nil
}

// placement chooses the section number of a single copy, and the module
// it goes after (0: at the end).
func (c *copier) placement(ctx context.Context, cm row) (int64, int64, error) {
	var sec struct {
		Num       int64  `db:"section"`
		Component string `db:"component"`
	}
	if err := c.q.Get(ctx, &sec, "SELECT section, COALESCE(component, '') AS component FROM {course_sections} WHERE id = ?",
		cm.int("section")); err != nil {
		return 0, 0, fmt.Errorf("section of course module %d: %w", cm.int("id"), err)
	}
	if c.src == c.dst {
		return sec.Num, cm.int("id"), nil
	}
	var comp string
	err := c.q.Get(ctx, &comp, "SELECT COALESCE(component, '') FROM {course_sections} WHERE course = ? AND section = ?", c.dst, sec.Num)
	if err == nil && comp == "" && sec.Component == "" {
		return sec.Num, 0, nil
	}
	if err != nil && !errors.Is(err, database.ErrNotFound) {
		return 0, 0, err
	}
	return 1, 0, nil
}

// logModuleCreated writes the course_module_created event
// duplicate_module() fires.
func (c *copier) logModuleCreated(ctx context.Context, cmID int64, modname string) error {
	mctx, err := moodle.ContextOf(ctx, c.q, moodle.ContextModule, cmID)
	if err != nil {
		return err
	}
	var inst struct {
		ID   int64  `db:"instance"`
		Name string `db:"name"`
	}
	if err := c.q.Get(ctx, &inst, "SELECT cm.instance, m.name FROM {course_modules} cm JOIN {"+modname+"} m ON m.id = cm.instance WHERE cm.id = ?", cmID); err != nil {
		return err
	}
	return c.env.Log.Write(ctx, c.q, moodle.Event{Name: `\core\event\course_module_created`, Component: "core",
		Action: "created", Target: "course_module", ObjectTable: "course_modules", ObjectID: cmID, CRUD: "c",
		EduLevel: moodle.LevelTeaching, Context: mctx, CourseID: c.dst, UserID: c.env.UserID, IP: c.env.IP,
		TimeCreated: c.now(), Other: moodle.Fields{{Key: "modulename", Value: modname}, {Key: "instanceid", Value: inst.ID}, {Key: "name", Value: inst.Name}}})
}
