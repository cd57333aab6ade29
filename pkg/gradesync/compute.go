package gradesync

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Reasons a user's grade is not sent now (store.GradeRow.Hold). They are
// reconsidered on every run.
const (
	HoldNoGrade            = "nograde"            // Moodle shows no grade
	HoldRegrading          = "regrading"          // Moodle marked the grades as needing an update
	HoldHidden             = "hidden"             // the grade (or a grade in the total) is hidden from the user
	HoldNotComplete        = "notcomplete"        // requirecompletion, and the user has not completed
	HoldCompletionDisabled = "completiondisabled" // requirecompletion or sendcompletion without completion tracking
	HoldNotNumeric         = "notnumeric"         // a text grade, or no grading
	HoldNoRange            = "norange"            // the grade's range is empty
	HoldNotEnrolled        = "notenrolled"        // the grade is gone because the user left the course
	HoldNoContext          = "nocontext"          // the tool's course or activity no longer exists
)

// Current is what Moodle shows a user now, for one tool.
type Current struct {
	// Score is the exact decimal text to send, "" when Moodle shows no
	// grade (or while Hold is set).
	Score string
	// Hold says why nothing can be sent now; "" when Score (or its absence)
	// stands.
	Hold string
	// OutOfRange: Score is outside 0..1 (extra credit, unlimited grades);
	// it is reported, not sent and not clamped.
	OutOfRange bool
	// Shown is the grade as a person reads it ("85.00000 of 0.00000–
	// 100.00000", "complete"), for messages.
	Shown string
	// Enrolled: the user still has an enrolment in the course.
	Enrolled bool
}

// Computer works out what Moodle shows the users of a tool.
type Computer struct {
	Q    database.Querier
	Site *moodle.Site
	Now  int64
	// OmitCompletion ignores the tools' requirecompletion (the plugin's
	// "force send grades omitting completion status").
	OmitCompletion bool
}

// chunk bounds IN lists.
const chunk = 500

// Compute returns the current value for each of userIDs. A tool whose
// context is gone gives every user HoldNoContext.
func (c *Computer) Compute(ctx context.Context, tool *store.Tool, userIDs []int64) (map[int64]Current, error) {
	out := make(map[int64]Current, len(userIDs))
	for start := 0; start < len(userIDs); start += chunk {
		end := min(start+chunk, len(userIDs))
		part, err := c.computeChunk(ctx, tool, userIDs[start:end])
		if err != nil {
			return nil, err
		}
		for id, cur := range part {
			out[id] = cur
		}
	}
	return out, nil
}

func (c *Computer) computeChunk(ctx context.Context, tool *store.Tool, users []int64) (map[int64]Current, error) {
	out := map[int64]Current{}
	holdAll := func(reason string) map[int64]Current {
		for _, u := range users {
			out[u] = Current{Hold: reason}
		}
		return out
	}
	tctx, err := moodle.GetContext(ctx, c.Q, tool.ContextID)
	if errors.Is(err, database.ErrNotFound) {
		return holdAll(HoldNoContext), nil
	} else if err != nil {
		return nil, err
	}
	var cm *moodle.CourseModule
	courseID := tool.CourseID
	switch tctx.Level {
	case moodle.ContextCourse:
		courseID = tctx.InstanceID
	case moodle.ContextModule:
		cm, err = moodle.GetCourseModule(ctx, c.Q, tctx.InstanceID)
		if errors.Is(err, database.ErrNotFound) {
			return holdAll(HoldNoContext), nil
		} else if err != nil {
			return nil, err
		}
		courseID = cm.Course
	default:
		return holdAll(HoldNoContext), nil
	}
	course, err := moodle.GetCourse(ctx, c.Q, courseID)
	if errors.Is(err, database.ErrNotFound) {
		return holdAll(HoldNoContext), nil
	} else if err != nil {
		return nil, err
	}
	enrolled, err := moodle.UsersEnrolledInCourse(ctx, c.Q, courseID, users)
	if err != nil {
		return nil, err
	}

	// Completion, when the tool sends it or waits for it.
	requireCompletion := tool.RequireCompletion && !c.OmitCompletion
	var completed, passed map[int64]bool
	if requireCompletion || tool.SendCompletion {
		if !moodle.CompletionEnabled(c.Site, course) || (cm != nil && cm.Completion == 0) {
			return holdAll(HoldCompletionDisabled), nil
		}
		if completed, passed, err = c.completion(ctx, cm, courseID, users); err != nil {
			return nil, err
		}
	}
	if tool.SendCompletion {
		for _, u := range users {
			cur := Current{Score: "0", Shown: "not complete", Enrolled: enrolled[u]}
			if completed[u] {
				cur.Score, cur.Shown = "1", "complete"
			}
			if requireCompletion && !passed[u] {
				cur = Current{Hold: HoldNotComplete, Enrolled: enrolled[u]}
			}
			out[u] = cur
		}
		return out, nil
	}

	grades, err := c.grades(ctx, cm, course, users)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		cur := grades[u]
		cur.Enrolled = enrolled[u]
		if requireCompletion && !passed[u] && cur.Hold == "" {
			cur = Current{Hold: HoldNotComplete, Enrolled: enrolled[u]}
		}
		out[u] = cur
	}
	return out, nil
}

// completion says who completed the course (cm nil) or the activity in
// any way (what sendcompletion sends as 1, as the plugin did), and who
// completed it without failing its pass grade (what requirecompletion
// waits for: COMPLETE or COMPLETE_PASS, as the plugin and enrol_lti). For a
// course both are the same.
func (c *Computer) completion(ctx context.Context, cm *moodle.CourseModule, courseID int64, users []int64) (completed, passed map[int64]bool, err error) {
	if cm == nil {
		done, err := moodle.CompletedCourse(ctx, c.Q, courseID, users)
		return done, done, err
	}
	states, err := moodle.ActivityCompletion(ctx, c.Q, cm.ID, users)
	if err != nil {
		return nil, nil, err
	}
	completed, passed = map[int64]bool{}, map[int64]bool{}
	for u, s := range states {
		switch s {
		case moodle.CompletionComplete, moodle.CompletionCompletePass:
			completed[u], passed[u] = true, true
		case moodle.CompletionCompleteFail, moodle.CompletionCompleteFailHidden:
			completed[u] = true
		}
	}
	return completed, passed, nil
}

// grades reads the course total (cm nil) or the activity's main grade the
// way Moodle shows it to the user: the final grade, over the range Moodle
// uses for that grade (grade_grade::get_grade_min_and_max): the user's own
// rawgrademin/rawgrademax for a course total that is not a calculation
// (under Natural aggregation that is the sum of the items the user was
// graded in), the item's grademin/grademax for an activity, unless the
// course uses "min and max from grade_grades".
func (c *Computer) grades(ctx context.Context, cm *moodle.CourseModule, course *moodle.Course, users []int64) (map[int64]Current, error) {
	out := map[int64]Current{}
	var item *moodle.GradeItem
	var err error
	if cm == nil {
		item, err = moodle.CourseGradeItem(ctx, c.Q, course.ID)
	} else {
		item, err = moodle.ActivityGradeItem(ctx, c.Q, course.ID, cm.ModName, cm.Instance)
	}
	if errors.Is(err, database.ErrNotFound) {
		for _, u := range users {
			out[u] = Current{Hold: HoldNoGrade}
		}
		return out, nil
	} else if err != nil {
		return nil, err
	}
	hold := ""
	switch {
	case item.NeedsUpdate:
		hold = HoldRegrading
	case item.GradeType != moodle.GradeTypeValue && item.GradeType != moodle.GradeTypeScale:
		hold = HoldNotNumeric
	case item.IsHidden(c.Now):
		hold = HoldHidden
	}
	if hold != "" {
		for _, u := range users {
			out[u] = Current{Hold: hold}
		}
		return out, nil
	}
	minmax, err := moodle.GradeSetting(ctx, c.Q, c.Site, course.ID, "minmaxtouse", moodle.MinMaxFromGradeItem)
	if err != nil {
		return nil, err
	}
	perUserRange := (item.Aggregate() && !item.Calculated) || minmax == moodle.MinMaxFromGradeGrade
	grades, err := moodle.GradesOfItem(ctx, c.Q, item.ID, users)
	if err != nil {
		return nil, err
	}
	// A course total that contains grades hidden from the user is not what
	// the user sees; unless the course shows real totals, wait until they
	// are released.
	hiddenInTotal := map[int64]bool{}
	if item.Aggregate() {
		show, err := moodle.GradeSetting(ctx, c.Q, c.Site, course.ID, "report_user_showtotalsifcontainhidden", moodle.HideTotalIfContainsHidden)
		if err != nil {
			return nil, err
		}
		if show != moodle.ShowRealTotalIfContainsHidden {
			if hiddenInTotal, err = moodle.UsersWithHiddenGrades(ctx, c.Q, course.ID, users, c.Now); err != nil {
				return nil, err
			}
		}
	}
	for _, u := range users {
		g, ok := grades[u]
		switch {
		case ok && g.IsHidden(c.Now), hiddenInTotal[u]:
			out[u] = Current{Hold: HoldHidden}
		case !ok || !g.FinalGrade.Valid:
			out[u] = Current{Shown: "no grade"}
		default:
			lo, hi := item.GradeMin, item.GradeMax
			if perUserRange {
				lo, hi = g.RawGradeMin, g.RawGradeMax
			}
			out[u] = scoreOf(g.FinalGrade.String, lo, hi)
		}
	}
	return out, nil
}

// scoreOf is (grade − min) / (max − min), exactly, as decimal text with at
// most 12 decimals: grades have 5 decimals and ranges at most 10 digits,
// so two different grades never give the same text.
func scoreOf(grade, lo, hi string) Current {
	shown := fmt.Sprintf("%s of %s–%s", grade, lo, hi)
	g, ok1 := new(big.Rat).SetString(grade)
	l, ok2 := new(big.Rat).SetString(lo)
	h, ok3 := new(big.Rat).SetString(hi)
	if !ok1 || !ok2 || !ok3 {
		return Current{Hold: HoldNotNumeric, Shown: shown}
	}
	span := new(big.Rat).Sub(h, l)
	if span.Sign() <= 0 {
		return Current{Hold: HoldNoRange, Shown: shown}
	}
	r := new(big.Rat).Quo(new(big.Rat).Sub(g, l), span)
	return Current{Score: decimalText(r), Shown: shown, OutOfRange: r.Sign() < 0 || r.Cmp(big.NewRat(1, 1)) > 0}
}

// decimalText writes r with up to 12 decimals and no trailing zeros.
func decimalText(r *big.Rat) string {
	s := r.FloatString(12)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
