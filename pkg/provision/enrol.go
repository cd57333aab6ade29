package provision

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// EnrolRequest is one user's place in one tool.
type EnrolRequest struct {
	Tool *store.Tool
	// Course is the context of the tool's course.
	Course moodle.Context
	// Module is the context of the activity of an activity tool, nil for a
	// course tool.
	Module     *moodle.Context
	UserID     int64
	Instructor bool
}

// EnrolResult says what Enrol did.
type EnrolResult struct {
	// Enrolled: a new enrolment was made.
	Enrolled bool
	// Skipped: the tool does not enrol users of this kind (enrolinst or
	// enrollearn off); they meet Moodle's enrolment options instead.
	Skipped bool
	// ActivityRole: the activity role was newly assigned.
	ActivityRole bool
}

// Enrol gives a user their place in a tool's course, as the plugin's
// local_ltiprovider_enrol_user did, with its bugs fixed:
//
//   - instructors are enrolled only if the tool's enrolinst is on, learners
//     only if enrollearn is;
//   - through the course's manual enrol instance, which must exist and be
//     enabled, with the manual plugin enabled on the site (the plugin used
//     a disabled instance, or silently did nothing);
//   - a new enrolment respects enrolstartdate and enrolenddate, starts
//     today at 00:00 in the site's timezone and lasts enrolperiod seconds
//     (0: no end), and is refused once maxenrolled users of the tool hold
//     an active enrolment (checked and made under the instance's row
//     lock, so concurrent launches cannot pass the cap);
//   - the course role is croleinst or crolelearn; for an activity tool the
//     activity role aroleinst or arolelearn is assigned in the activity on
//     every launch (idempotent), as the plugin did;
//   - an existing enrolment is left as it is (the plugin never changed
//     one), but one that is suspended, over, or in a disabled instance is
//     not access: the user is refused unless another enrolment lets them
//     in.
func Enrol(ctx context.Context, q database.Querier, env Env, r EnrolRequest) (*EnrolResult, error) {
	res := &EnrolResult{}
	tool := r.Tool
	if (r.Instructor && tool.EnrolInst) || (!r.Instructor && tool.EnrolLearn) {
		enrolled, err := enrolInCourse(ctx, q, env, r)
		if err != nil {
			return nil, err
		}
		res.Enrolled = enrolled
	} else {
		res.Skipped = true
	}
	if r.Module != nil {
		role := tool.ARoleLearn
		if r.Instructor {
			role = tool.ARoleInst
		}
		if role.Valid && role.Int64 > 0 {
			if err := checkRole(ctx, q, role.Int64); err != nil {
				return nil, err
			}
			assigned, err := moodle.AssignRole(ctx, q, env.Actor, env.Site, moodle.RoleAssignment{
				RoleID: role.Int64, UserID: r.UserID, Context: *r.Module, CourseID: r.Course.InstanceID})
			if err != nil {
				return nil, err
			}
			res.ActivityRole = assigned
		}
	}
	return res, nil
}

func enrolInCourse(ctx context.Context, q database.Querier, env Env, r EnrolRequest) (bool, error) {
	courseID := r.Course.InstanceID
	now := env.Actor.Time
	inst, err := moodle.ManualInstance(ctx, q, courseID)
	if err != nil && !errors.Is(err, database.ErrNotFound) {
		return false, err
	}
	usable := inst != nil && inst.Enabled() && env.Site.Has("enrol_plugins_enabled", "manual")
	if inst != nil {
		ue, err := moodle.GetUserEnrolment(ctx, q, inst.ID, r.UserID)
		switch {
		case err == nil:
			if usable && ue.ActiveAt(now) {
				return false, nil
			}
			return false, otherAccess(ctx, q, courseID, r.UserID, now, endedMessage(ue, now))
		case !errors.Is(err, database.ErrNotFound):
			return false, err
		}
	}
	if !usable {
		return false, otherAccess(ctx, q, courseID, r.UserID, now,
			"This course cannot enrol you: its manual enrolment method is missing or disabled. Please tell the site administrator.")
	}
	tool := r.Tool
	if tool.EnrolStartDate != 0 && now < tool.EnrolStartDate {
		return false, refuse("Enrolment in this course has not started yet.")
	}
	if tool.EnrolEndDate != 0 && now > tool.EnrolEndDate {
		return false, refuse("Enrolment in this course has ended.")
	}
	role := tool.CRoleLearn
	if r.Instructor {
		role = tool.CRoleInst
	}
	if role != 0 { // 0: enrol without a role, as enrol_user() allows
		if err := checkRole(ctx, q, role); err != nil {
			return false, err
		}
	}
	if tool.MaxEnrolled > 0 {
		if err := moodle.LockEnrolInstance(ctx, q, inst.ID); err != nil {
			return false, err
		}
		n, err := store.ActiveToolEnrolments(ctx, q, tool.ID, inst.ID, now)
		if err != nil {
			return false, err
		}
		if n >= tool.MaxEnrolled {
			return false, refuse("This course is full: it has reached the maximum number of enrolled users.")
		}
	}
	start := moodle.Midnight(env.Now(), moodle.ServerLocation(env.Site)).Unix()
	var end int64
	if tool.EnrolPeriod > 0 {
		end = start + tool.EnrolPeriod
		if end <= now {
			return false, refuse("Enrolment in this course would already have ended (the enrolment period is shorter than today).")
		}
	}
	_, err = moodle.EnrolUser(ctx, q, env.Actor, env.Site, moodle.Enrolment{
		Instance: inst, Course: r.Course, UserID: r.UserID, RoleID: role, TimeStart: start, TimeEnd: end})
	if err != nil {
		return false, err
	}
	return true, nil
}

// otherAccess lets a user in whose manual enrolment cannot if another
// active enrolment does; otherwise it refuses with msg.
func otherAccess(ctx context.Context, q database.Querier, courseID, userID, now int64, msg string) error {
	ok, err := moodle.HasActiveEnrolment(ctx, q, courseID, userID, now)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	return refuse(msg)
}

func endedMessage(ue *moodle.UserEnrolment, now int64) string {
	switch {
	case ue.Status == moodle.UserEnrolSuspended:
		return "Your enrolment in this course is suspended. Please contact your teacher or the site administrator."
	case ue.TimeEnd != 0 && ue.TimeEnd <= now:
		return "Your enrolment in this course has ended on " + time.Unix(ue.TimeEnd, 0).UTC().Format("2 January 2006") + " (UTC)."
	case ue.TimeStart >= now:
		return "Your enrolment in this course has not started yet."
	}
	return "Your enrolment in this course does not give access: the course's manual enrolment method is disabled. Please tell the site administrator."
}

func checkRole(ctx context.Context, q database.Querier, roleID int64) error {
	ok, err := moodle.RoleExists(ctx, q, roleID)
	if err != nil {
		return err
	}
	if !ok {
		return refuse(fmt.Sprintf("This tool is misconfigured: the role it gives (id %d) does not exist. Please tell the site administrator.", roleID))
	}
	return nil
}
