package moodle

import (
	"context"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Activity completion states (course_modules_completion.completionstate,
// lib/completionlib.php).
const (
	CompletionIncomplete   = 0
	CompletionComplete     = 1
	CompletionCompletePass = 2
	CompletionCompleteFail = 3
	// CompletionCompleteFailHidden: completed with a failing grade that is
	// hidden from the user (Moodle 4.x).
	CompletionCompleteFailHidden = 4
)

// CompletionEnabled is completion_info::is_enabled() for a course: the site
// setting enablecompletion and the course's own.
func CompletionEnabled(site *Site, course *Course) bool {
	return site.Bool("enablecompletion") && course.EnableCompletion
}

// CompletedCourse returns which users have completed a course: a
// course_completions row with timecompleted set, what
// completion_info::is_course_complete() reads.
func CompletedCourse(ctx context.Context, q database.Querier, courseID int64, userIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var ids []int64
	err := q.Select(ctx, &ids, `SELECT userid FROM {course_completions}
		WHERE course = ? AND timecompleted IS NOT NULL AND timecompleted <> 0 AND userid IN (`+inPlaceholders(len(userIDs))+`)`,
		append([]any{courseID}, int64Args(userIDs)...)...)
	if err != nil {
		return nil, fmt.Errorf("completions of course %d: %w", courseID, err)
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// ActivityCompletion returns users' completion state of a course module by
// user id; users without a row are incomplete (absent from the map).
func ActivityCompletion(ctx context.Context, q database.Querier, cmID int64, userIDs []int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		UserID int64 `db:"userid"`
		State  int   `db:"completionstate"`
	}
	err := q.Select(ctx, &rows, `SELECT userid, completionstate FROM {course_modules_completion}
		WHERE coursemoduleid = ? AND userid IN (`+inPlaceholders(len(userIDs))+`)`, append([]any{cmID}, int64Args(userIDs)...)...)
	if err != nil {
		return nil, fmt.Errorf("completion of course module %d: %w", cmID, err)
	}
	for _, r := range rows {
		out[r.UserID] = r.State
	}
	return out, nil
}

// UsersEnrolledInCourse returns which users have an enrolment (of any
// method, active or not) in a course: what decides whether Moodle still
// keeps their grades.
func UsersEnrolledInCourse(ctx context.Context, q database.Querier, courseID int64, userIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var ids []int64
	err := q.Select(ctx, &ids, `SELECT DISTINCT ue.userid FROM {user_enrolments} ue JOIN {enrol} e ON e.id = ue.enrolid
		WHERE e.courseid = ? AND ue.userid IN (`+inPlaceholders(len(userIDs))+`)`, append([]any{courseID}, int64Args(userIDs)...)...)
	if err != nil {
		return nil, fmt.Errorf("enrolments in course %d: %w", courseID, err)
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
