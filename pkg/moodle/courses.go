package moodle

import (
	"context"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// SiteCourseID is the id of the front page course (SITEID).
const SiteCourseID = 1

// Course is the part of a course row the service uses.
type Course struct {
	ID               int64  `db:"id"`
	Category         int64  `db:"category"`
	Fullname         string `db:"fullname"`
	Shortname        string `db:"shortname"`
	IDNumber         string `db:"idnumber"`
	Format           string `db:"format"`
	Visible          bool   `db:"visible"`
	StartDate        int64  `db:"startdate"`
	EnableCompletion bool   `db:"enablecompletion"`
	CacheRev         int64  `db:"cacherev"`
}

const courseColumns = "id, category, fullname, shortname, idnumber, format, visible, startdate, enablecompletion, cacherev"

// GetCourse reads a course; database.ErrNotFound when missing.
func GetCourse(ctx context.Context, q database.Querier, id int64) (*Course, error) {
	var c Course
	if err := q.Get(ctx, &c, "SELECT "+courseColumns+" FROM {course} WHERE id = ?", id); err != nil {
		return nil, fmt.Errorf("course %d: %w", id, err)
	}
	return &c, nil
}

// CoursesByIDNumber returns every course with this idnumber (Moodle does
// not enforce uniqueness in the database, so callers must handle several).
func CoursesByIDNumber(ctx context.Context, q database.Querier, idnumber string) ([]Course, error) {
	var cs []Course
	err := q.Select(ctx, &cs, "SELECT "+courseColumns+" FROM {course} WHERE idnumber = ? ORDER BY id", idnumber)
	return cs, err
}

// CourseModule is a course_modules row with its module's name.
type CourseModule struct {
	ID         int64  `db:"id"`
	Course     int64  `db:"course"`
	Module     int64  `db:"module"`
	ModName    string `db:"modname"`
	Instance   int64  `db:"instance"`
	Section    int64  `db:"section"`
	IDNumber   string `db:"idnumber"`
	Visible    bool   `db:"visible"`
	Completion int    `db:"completion"`
}

const cmColumns = `cm.id, cm.course, cm.module, m.name AS modname, cm.instance, cm.section,
	COALESCE(cm.idnumber, '') AS idnumber, cm.visible, cm.completion`

// GetCourseModule reads a course module; database.ErrNotFound when missing
// or being deleted.
func GetCourseModule(ctx context.Context, q database.Querier, id int64) (*CourseModule, error) {
	var cm CourseModule
	err := q.Get(ctx, &cm, "SELECT "+cmColumns+" FROM {course_modules} cm JOIN {modules} m ON m.id = cm.module "+
		"WHERE cm.id = ? AND cm.deletioninprogress = 0", id)
	if err != nil {
		return nil, fmt.Errorf("course module %d: %w", id, err)
	}
	return &cm, nil
}

// CourseModulesByIDNumber returns the live course modules with this
// idnumber, in one course, or on the whole site when courseID is 0.
func CourseModulesByIDNumber(ctx context.Context, q database.Querier, courseID int64, idnumber string) ([]CourseModule, error) {
	var cms []CourseModule
	query := "SELECT " + cmColumns + " FROM {course_modules} cm JOIN {modules} m ON m.id = cm.module " +
		"WHERE cm.idnumber = ? AND cm.deletioninprogress = 0"
	args := []any{idnumber}
	if courseID != 0 {
		query += " AND cm.course = ?"
		args = append(args, courseID)
	}
	err := q.Select(ctx, &cms, query+" ORDER BY cm.id", args...)
	return cms, err
}

// RoleIDByShortname finds a role by its short name (ids differ between
// sites; short names do not).
func RoleIDByShortname(ctx context.Context, q database.Querier, shortname string) (int64, error) {
	var id int64
	if err := q.Get(ctx, &id, "SELECT id FROM {role} WHERE shortname = ?", shortname); err != nil {
		return 0, fmt.Errorf("role %q: %w", shortname, err)
	}
	return id, nil
}

// LockCourse holds the course row's lock until the transaction ends, to
// serialise changes Moodle's schema cannot (a group idnumber has no unique
// key). Keep such transactions short: Moodle's course updates wait too.
func LockCourse(ctx context.Context, q database.Querier, id int64) error {
	var got int64
	if err := q.Get(ctx, &got, "SELECT id FROM {course} WHERE id = ? FOR UPDATE", id); err != nil {
		return fmt.Errorf("locking course %d: %w", id, err)
	}
	return nil
}
