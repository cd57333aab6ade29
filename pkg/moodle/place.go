package moodle

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Place is a context with what it belongs to: for a course context, its
// course; for a module context, its course module, the course's context
// and the course. A part that is missing (or a module being deleted) is
// nil.
type Place struct {
	Context       Context
	Module        *CourseModule
	CourseContext *Context
	Course        *Course
}

// PlaceOf reads a context and what it belongs to in one query (the
// context, GetCourseModule, ContextOf and GetCourse would take four);
// database.ErrNotFound when the context is missing.
func PlaceOf(ctx context.Context, q database.Querier, contextID int64) (*Place, error) {
	var r struct {
		Context
		CMID         sql.NullInt64  `db:"cm_id"`
		CMCourse     sql.NullInt64  `db:"cm_course"`
		CMModule     sql.NullInt64  `db:"cm_module"`
		CMModName    sql.NullString `db:"cm_modname"`
		CMInstance   sql.NullInt64  `db:"cm_instance"`
		CMSection    sql.NullInt64  `db:"cm_section"`
		CMIDNumber   sql.NullString `db:"cm_idnumber"`
		CMVisible    sql.NullBool   `db:"cm_visible"`
		CMCompletion sql.NullInt64  `db:"cm_completion"`
		CCID         sql.NullInt64  `db:"cc_id"`
		CCLevel      sql.NullInt64  `db:"cc_contextlevel"`
		CCInstance   sql.NullInt64  `db:"cc_instanceid"`
		CCPath       sql.NullString `db:"cc_path"`
		CCDepth      sql.NullInt64  `db:"cc_depth"`
		CID          sql.NullInt64  `db:"c_id"`
		CCategory    sql.NullInt64  `db:"c_category"`
		CFullname    sql.NullString `db:"c_fullname"`
		CShortname   sql.NullString `db:"c_shortname"`
		CIDNumber    sql.NullString `db:"c_idnumber"`
		CFormat      sql.NullString `db:"c_format"`
		CVisible     sql.NullBool   `db:"c_visible"`
		CStartDate   sql.NullInt64  `db:"c_startdate"`
		CCompletion  sql.NullBool   `db:"c_enablecompletion"`
		CCacheRev    sql.NullInt64  `db:"c_cacherev"`
	}
	// The course is the context's own for a course context, the module's
	// for a module context.
	err := q.Get(ctx, &r, `SELECT x.id, x.contextlevel, x.instanceid, COALESCE(x.path, '') AS path, x.depth,
		cm.id AS cm_id, cm.course AS cm_course, cm.module AS cm_module, m.name AS cm_modname, cm.instance AS cm_instance,
		cm.section AS cm_section, COALESCE(cm.idnumber, '') AS cm_idnumber, cm.visible AS cm_visible, cm.completion AS cm_completion,
		cc.id AS cc_id, cc.contextlevel AS cc_contextlevel, cc.instanceid AS cc_instanceid, COALESCE(cc.path, '') AS cc_path,
		cc.depth AS cc_depth,
		c.id AS c_id, c.category AS c_category, c.fullname AS c_fullname, c.shortname AS c_shortname, c.idnumber AS c_idnumber,
		c.format AS c_format, c.visible AS c_visible, c.startdate AS c_startdate, c.enablecompletion AS c_enablecompletion,
		c.cacherev AS c_cacherev
		FROM {context} x
		LEFT JOIN ({course_modules} cm JOIN {modules} m ON m.id = cm.module)
			ON x.contextlevel = ? AND cm.id = x.instanceid AND cm.deletioninprogress = 0
		LEFT JOIN {context} cc ON cc.contextlevel = ?
			AND cc.instanceid = CASE WHEN x.contextlevel = ? THEN x.instanceid ELSE cm.course END
		LEFT JOIN {course} c ON c.id = CASE WHEN x.contextlevel = ? THEN x.instanceid ELSE cm.course END
		WHERE x.id = ?`, ContextModule, ContextCourse, ContextCourse, ContextCourse, contextID)
	if err != nil {
		return nil, fmt.Errorf("context %d: %w", contextID, err)
	}
	p := &Place{Context: r.Context}
	if r.CMID.Valid {
		p.Module = &CourseModule{ID: r.CMID.Int64, Course: r.CMCourse.Int64, Module: r.CMModule.Int64, ModName: r.CMModName.String,
			Instance: r.CMInstance.Int64, Section: r.CMSection.Int64, IDNumber: r.CMIDNumber.String, Visible: r.CMVisible.Bool,
			Completion: int(r.CMCompletion.Int64)}
	}
	if r.CCID.Valid {
		p.CourseContext = &Context{ID: r.CCID.Int64, Level: int(r.CCLevel.Int64), InstanceID: r.CCInstance.Int64,
			Path: r.CCPath.String, Depth: int(r.CCDepth.Int64)}
	}
	if r.CID.Valid {
		p.Course = &Course{ID: r.CID.Int64, Category: r.CCategory.Int64, Fullname: r.CFullname.String, Shortname: r.CShortname.String,
			IDNumber: r.CIDNumber.String, Format: r.CFormat.String, Visible: r.CVisible.Bool, StartDate: r.CStartDate.Int64,
			EnableCompletion: r.CCompletion.Bool, CacheRev: r.CCacheRev.Int64}
	}
	return p, nil
}
