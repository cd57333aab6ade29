package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// The service never writes grades: teachers grade in Moodle, and grade
// passback reads what Moodle shows. The demo has no Moodle to grade in, so
// SetGrade stands in for a teacher grading an activity: it writes the
// activity's grade and the course total as Moodle's gradebook leaves them
// after regrading a course whose grade book is one category with Natural
// aggregation of graded items only (the fixture's courses). It writes no
// grade history, no events and none of the activity's own tables, so it is
// for the demo only.

// GradeItem is an activity's grade item that the demo can grade.
type GradeItem struct {
	ID       int64   `db:"id"`
	CourseID int64   `db:"courseid"`
	Name     string  `db:"itemname"`
	Module   string  `db:"itemmodule"`
	IDNumber string  `db:"idnumber"`
	Min      float64 `db:"grademin"`
	Max      float64 `db:"grademax"`
}

// GradeItems lists the value-graded activity items of a course.
func GradeItems(ctx context.Context, q database.Querier, courseID int64) ([]GradeItem, error) {
	var items []GradeItem
	err := q.Select(ctx, &items, `SELECT id, courseid, COALESCE(itemname, '') AS itemname, COALESCE(itemmodule, '') AS itemmodule,
		COALESCE(idnumber, '') AS idnumber, grademin, grademax
		  FROM {grade_items} WHERE courseid = ? AND itemtype = 'mod' AND gradetype = 1 ORDER BY sortorder`, courseID)
	return items, err
}

// SetGrade gives userID the grade points (nil removes it) for an activity
// item, then recomputes the user's course total. It runs in tx.
func SetGrade(ctx context.Context, tx *database.Tx, itemID, userID int64, points *float64, teacherID, now int64) error {
	var item GradeItem
	err := tx.Get(ctx, &item, `SELECT id, courseid, COALESCE(itemname, '') AS itemname, COALESCE(itemmodule, '') AS itemmodule,
		COALESCE(idnumber, '') AS idnumber, grademin, grademax
		  FROM {grade_items} WHERE id = ? AND itemtype = 'mod' AND gradetype = 1`, itemID)
	if errors.Is(err, database.ErrNotFound) {
		return inputError("grade item %d is not a value-graded activity", itemID)
	}
	if err != nil {
		return err
	}
	if points != nil && (*points < item.Min || *points > item.Max) {
		return inputError("%s takes grades from %g to %g", item.Name, item.Min, item.Max)
	}
	var natural bool
	err = tx.Get(ctx, &natural, `SELECT COUNT(*) = 1 AND MIN(aggregation) = 13 AND MIN(aggregateonlygraded) = 1
		  FROM {grade_categories} WHERE courseid = ?`, item.CourseID)
	if err != nil {
		return err
	}
	if !natural {
		return inputError("the demo's stand-in gradebook only handles courses graded in one category with Natural aggregation")
	}
	var grade sql.NullFloat64
	status := "novalue"
	if points != nil {
		grade, status = sql.NullFloat64{Float64: *points, Valid: true}, "used"
	}
	if err := upsertGrade(ctx, tx, item.ID, userID, grade, grade, item.Max, item.Min, teacherID, status, now); err != nil {
		return err
	}

	// The course total under Natural with "exclude empty grades": the sum
	// of the user's graded activities over the sum of their maxima.
	var total struct {
		ItemID int64           `db:"id"`
		Max    float64         `db:"grademax"`
		Sum    sql.NullFloat64 `db:"total"`
		SumMax sql.NullFloat64 `db:"totalmax"`
	}
	err = tx.Get(ctx, &total, `SELECT ci.id, ci.grademax,
		       (SELECT SUM(gg.finalgrade) FROM {grade_grades} gg JOIN {grade_items} gi ON gi.id = gg.itemid
		         WHERE gi.courseid = ci.courseid AND gi.itemtype = 'mod' AND gg.userid = ? AND gg.finalgrade IS NOT NULL) AS total,
		       (SELECT SUM(gi.grademax) FROM {grade_grades} gg JOIN {grade_items} gi ON gi.id = gg.itemid
		         WHERE gi.courseid = ci.courseid AND gi.itemtype = 'mod' AND gg.userid = ? AND gg.finalgrade IS NOT NULL) AS totalmax
		  FROM {grade_items} ci WHERE ci.courseid = ? AND ci.itemtype = 'course'`, userID, userID, item.CourseID)
	if err != nil {
		return fmt.Errorf("course total of course %d: %w", item.CourseID, err)
	}
	max := total.Max
	if total.SumMax.Valid && total.SumMax.Float64 > 0 {
		max = total.SumMax.Float64
	}
	return upsertGrade(ctx, tx, total.ItemID, userID, sql.NullFloat64{}, total.Sum, max, 0, teacherID, "unknown", now)
}

func upsertGrade(ctx context.Context, tx *database.Tx, itemID, userID int64, raw, final sql.NullFloat64, max, min float64, teacherID int64, status string, now int64) error {
	res, err := tx.Exec(ctx, `UPDATE {grade_grades} SET rawgrade = ?, finalgrade = ?, rawgrademax = ?, rawgrademin = ?,
		usermodified = ?, timemodified = ?, aggregationstatus = ? WHERE itemid = ? AND userid = ?`,
		raw, final, max, min, teacherID, now, status, itemID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	var exists bool
	if err := tx.Get(ctx, &exists, "SELECT COUNT(*) > 0 FROM {grade_grades} WHERE itemid = ? AND userid = ?", itemID, userID); err != nil || exists {
		return err // the row is there with these values already
	}
	_, err = tx.Insert(ctx, `INSERT INTO {grade_grades} (itemid, userid, rawgrade, rawgrademax, rawgrademin, usermodified,
		finalgrade, timecreated, timemodified, aggregationstatus) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		itemID, userID, raw, max, min, teacherID, final, now, now, status)
	return err
}
