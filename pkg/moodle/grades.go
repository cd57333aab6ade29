package moodle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Grade types (grade_items.gradetype, lib/grade/constants.php).
const (
	GradeTypeNone  = 0
	GradeTypeValue = 1
	GradeTypeScale = 2
	GradeTypeText  = 3
)

// Where grade ranges come from (the minmaxtouse setting).
const (
	MinMaxFromGradeItem  = 1 // GRADE_MIN_MAX_FROM_GRADE_ITEM, the default
	MinMaxFromGradeGrade = 2 // GRADE_MIN_MAX_FROM_GRADE_GRADE
)

// What the user report shows for totals that contain hidden grades
// (grade_report_user_showtotalsifcontainhidden).
const (
	HideTotalIfContainsHidden     = 0 // GRADE_REPORT_HIDE_TOTAL_IF_CONTAINS_HIDDEN, the default
	ShowTotalExcludingHidden      = 1 // GRADE_REPORT_SHOW_TOTAL_IF_CONTAINS_HIDDEN
	ShowRealTotalIfContainsHidden = 2 // GRADE_REPORT_SHOW_REAL_TOTAL_IF_CONTAINS_HIDDEN
)

// GradeItem is the part of a grade_items row that decides what Moodle
// shows. Decimal columns are kept as the text MySQL returns, so no value is
// rounded on the way.
type GradeItem struct {
	ID          int64  `db:"id"`
	CourseID    int64  `db:"courseid"`
	ItemType    string `db:"itemtype"`
	GradeType   int    `db:"gradetype"`
	GradeMin    string `db:"grademin"`
	GradeMax    string `db:"grademax"`
	Hidden      int64  `db:"hidden"` // 1 hidden, >1 hidden until that time
	NeedsUpdate bool   `db:"needsupdate"`
	Calculated  bool   `db:"calculated"`
}

// Aggregate reports whether the item is a course or category total
// (grade_item::is_aggregate_item).
func (i *GradeItem) Aggregate() bool { return i.ItemType == "course" || i.ItemType == "category" }

// IsHidden is grade_item::is_hidden at time now.
func (i *GradeItem) IsHidden(now int64) bool {
	return i.Hidden == 1 || (i.Hidden != 0 && i.Hidden > now)
}

const gradeItemColumns = `id, COALESCE(courseid, 0) AS courseid, itemtype, gradetype, grademin, grademax, hidden,
	needsupdate <> 0 AS needsupdate, (calculation IS NOT NULL AND calculation <> '') AS calculated`

// CourseGradeItem returns the course total's grade item; ErrNotFound when
// the course has no gradebook yet (Moodle creates it lazily).
func CourseGradeItem(ctx context.Context, q database.Querier, courseID int64) (*GradeItem, error) {
	var gi GradeItem
	err := q.Get(ctx, &gi, "SELECT "+gradeItemColumns+" FROM {grade_items} WHERE courseid = ? AND itemtype = 'course' ORDER BY id LIMIT 1", courseID)
	if err != nil {
		return nil, fmt.Errorf("course grade item of course %d: %w", courseID, err)
	}
	return &gi, nil
}

// ActivityGradeItem returns an activity's main grade item (itemnumber 0),
// the one grade_get_grades() reports first; ErrNotFound for activities
// without grades.
func ActivityGradeItem(ctx context.Context, q database.Querier, courseID int64, modName string, instance int64) (*GradeItem, error) {
	var gi GradeItem
	err := q.Get(ctx, &gi, "SELECT "+gradeItemColumns+` FROM {grade_items}
		WHERE courseid = ? AND itemtype = 'mod' AND itemmodule = ? AND iteminstance = ? AND itemnumber = 0 ORDER BY id LIMIT 1`,
		courseID, modName, instance)
	if err != nil {
		return nil, fmt.Errorf("grade item of %s %d: %w", modName, instance, err)
	}
	return &gi, nil
}

// Grade is the part of a grade_grades row that decides what Moodle shows.
type Grade struct {
	UserID      int64          `db:"userid"`
	FinalGrade  sql.NullString `db:"finalgrade"`
	RawGradeMin string         `db:"rawgrademin"`
	RawGradeMax string         `db:"rawgrademax"`
	Hidden      int64          `db:"hidden"`
	Excluded    bool           `db:"excluded"`
}

// IsHidden is grade_grade::is_hidden at time now (the item's own hiding is
// checked separately).
func (g *Grade) IsHidden(now int64) bool { return g.Hidden == 1 || (g.Hidden != 0 && g.Hidden > now) }

// GradesOfItem returns users' grades of one item by user id; users
// without a grade_grades row are absent.
func GradesOfItem(ctx context.Context, q database.Querier, itemID int64, userIDs []int64) (map[int64]Grade, error) {
	out := map[int64]Grade{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []Grade
	err := q.Select(ctx, &rows, `SELECT userid, finalgrade, rawgrademin, rawgrademax, hidden, excluded <> 0 AS excluded
		FROM {grade_grades} WHERE itemid = ? AND userid IN (`+inPlaceholders(len(userIDs))+`)`, append([]any{itemID}, int64Args(userIDs)...)...)
	if err != nil {
		return nil, fmt.Errorf("grades of item %d: %w", itemID, err)
	}
	for _, r := range rows {
		out[r.UserID] = r
	}
	return out, nil
}

// UsersWithHiddenGrades returns which users have a grade hidden from them
// (the grade or its item hidden, now) in a course's activities or
// categories: the course total Moodle shows such a user is not the stored
// one. Excluded and empty grades do not count.
func UsersWithHiddenGrades(ctx context.Context, q database.Querier, courseID int64, userIDs []int64, now int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var ids []int64
	err := q.Select(ctx, &ids, `SELECT DISTINCT gg.userid FROM {grade_grades} gg JOIN {grade_items} gi ON gi.id = gg.itemid
		WHERE gi.courseid = ? AND gi.itemtype <> 'course' AND gg.finalgrade IS NOT NULL AND gg.excluded = 0
		  AND (gi.hidden = 1 OR gi.hidden > ? OR gg.hidden = 1 OR gg.hidden > ?)
		  AND gg.userid IN (`+inPlaceholders(len(userIDs))+`)`, append([]any{courseID, now, now}, int64Args(userIDs)...)...)
	if err != nil {
		return nil, fmt.Errorf("hidden grades in course %d: %w", courseID, err)
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// GradeSetting returns a course's gradebook setting (grade_settings), or the
// site default $CFG->grade_<name>, or def.
func GradeSetting(ctx context.Context, q database.Querier, site *Site, courseID int64, name string, def int64) (int64, error) {
	var v string
	err := q.Get(ctx, &v, "SELECT value FROM {grade_settings} WHERE courseid = ? AND name = ?", courseID, name)
	switch {
	case err == nil:
		if n, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64); perr == nil {
			return n, nil
		}
	case !errors.Is(err, database.ErrNotFound):
		return 0, fmt.Errorf("grade setting %s of course %d: %w", name, courseID, err)
	}
	return site.Int("grade_"+name, def), nil
}

// inPlaceholders returns "?, ?, …" for an IN list of n values.
func inPlaceholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// int64Args turns ids into query arguments.
func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
