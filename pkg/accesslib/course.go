package accesslib

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// CanAccessCourse is what require_login($course) demands of a logged-in
// user: a hidden course needs moodle/course:viewhiddencourses; then either
// moodle/course:view (managers, admins: "viewing" without enrolment) or an
// active enrolment: an enabled instance of an enabled enrolment plugin, an
// active user enrolment, inside its start and end dates.
func (c Checker) CanAccessCourse(ctx context.Context, userID int64, course *moodle.Course, cx moodle.Context, now time.Time) (bool, error) {
	if userID == 0 || c.IsGuest(userID) {
		return false, nil
	}
	if c.IsSiteAdmin(userID) {
		return true, nil
	}
	if !course.Visible {
		ok, err := c.HasCapability(ctx, userID, "moodle/course:viewhiddencourses", cx)
		if err != nil || !ok {
			return false, err
		}
	}
	if ok, err := c.HasCapability(ctx, userID, "moodle/course:view", cx); err != nil || ok {
		return ok, err
	}
	plugins := c.Site.List("enrol_plugins_enabled")
	if len(plugins) == 0 {
		return false, nil
	}
	t := now.Unix()
	query, args, err := sqlx.In(`SELECT COUNT(*) FROM {user_enrolments} ue JOIN {enrol} e ON e.id = ue.enrolid
		WHERE ue.userid = ? AND e.courseid = ? AND ue.status = 0 AND e.status = 0 AND e.enrol IN (?)
		AND ue.timestart <= ? AND (ue.timeend = 0 OR ue.timeend > ?)`, userID, course.ID, plugins, t, t)
	if err != nil {
		return false, err
	}
	var n int
	if err := c.Q.Get(ctx, &n, query, args...); err != nil {
		return false, fmt.Errorf("accesslib: enrolments of user %d: %w", userID, err)
	}
	return n > 0, nil
}
