package moodle

import (
	"context"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Statuses of enrol instances and user enrolments (lib/enrollib.php).
const (
	EnrolInstanceEnabled  = 0
	EnrolInstanceDisabled = 1
	UserEnrolActive       = 0
	UserEnrolSuspended    = 1
)

// EnrolInstance is a row of the enrol table.
type EnrolInstance struct {
	ID        int64  `db:"id"`
	Enrol     string `db:"enrol"`
	Status    int    `db:"status"`
	CourseID  int64  `db:"courseid"`
	SortOrder int64  `db:"sortorder"`
	RoleID    int64  `db:"roleid"`
}

const enrolColumns = "id, enrol, status, courseid, sortorder, COALESCE(roleid, 0) AS roleid"

// Enabled reports whether the instance lets its users in.
func (e *EnrolInstance) Enabled() bool { return e.Status == EnrolInstanceEnabled }

// ManualInstance returns the course's manual enrol instance (the first, in
// enrol_get_instances() order, should a site hold several), enabled or
// not; database.ErrNotFound when the course has none.
func ManualInstance(ctx context.Context, q database.Querier, courseID int64) (*EnrolInstance, error) {
	var e EnrolInstance
	err := q.Get(ctx, &e, "SELECT "+enrolColumns+" FROM {enrol} WHERE courseid = ? AND enrol = 'manual' ORDER BY sortorder, id LIMIT 1", courseID)
	if err != nil {
		return nil, fmt.Errorf("manual enrolment of course %d: %w", courseID, err)
	}
	return &e, nil
}

// LockEnrolInstance holds the instance row's lock until the transaction
// ends, so that a check of its enrolments and the enrolment that follows
// are not raced by another request.
func LockEnrolInstance(ctx context.Context, q database.Querier, id int64) error {
	var got int64
	if err := q.Get(ctx, &got, "SELECT id FROM {enrol} WHERE id = ? FOR UPDATE", id); err != nil {
		return fmt.Errorf("locking enrol instance %d: %w", id, err)
	}
	return nil
}

// UserEnrolment is a row of user_enrolments.
type UserEnrolment struct {
	ID        int64 `db:"id"`
	Status    int   `db:"status"`
	EnrolID   int64 `db:"enrolid"`
	UserID    int64 `db:"userid"`
	TimeStart int64 `db:"timestart"`
	TimeEnd   int64 `db:"timeend"`
}

// ActiveAt reports whether the enrolment gives access at time now, as
// Moodle decides it: active status, started, not ended (timeend 0 is
// forever).
func (ue *UserEnrolment) ActiveAt(now int64) bool {
	return ue.Status == UserEnrolActive && ue.TimeStart < now && (ue.TimeEnd == 0 || ue.TimeEnd > now)
}

// GetUserEnrolment reads a user's enrolment in one instance;
// database.ErrNotFound when there is none.
func GetUserEnrolment(ctx context.Context, q database.Querier, enrolID, userID int64) (*UserEnrolment, error) {
	var ue UserEnrolment
	err := q.Get(ctx, &ue, "SELECT id, status, enrolid, userid, timestart, timeend FROM {user_enrolments} WHERE enrolid = ? AND userid = ?", enrolID, userID)
	if err != nil {
		return nil, fmt.Errorf("enrolment of user %d in instance %d: %w", userID, enrolID, err)
	}
	return &ue, nil
}

// HasActiveEnrolment reports whether the user can enter the course through
// any enabled enrol instance at time now (is_enrolled with only active
// enrolments).
func HasActiveEnrolment(ctx context.Context, q database.Querier, courseID, userID, now int64) (bool, error) {
	var n int
	err := q.Get(ctx, &n, `SELECT COUNT(*) FROM {user_enrolments} ue JOIN {enrol} e ON e.id = ue.enrolid
		WHERE e.courseid = ? AND ue.userid = ? AND e.status = 0 AND ue.status = 0
		AND ue.timestart < ? AND (ue.timeend = 0 OR ue.timeend > ?)`, courseID, userID, now, now)
	if err != nil {
		return false, fmt.Errorf("enrolments of user %d in course %d: %w", userID, courseID, err)
	}
	return n > 0, nil
}

// IsEnrolled reports whether the user has any enrolment in the course,
// active or not (is_enrolled() with $onlyactive false, which
// groups_add_member() uses).
func IsEnrolled(ctx context.Context, q database.Querier, courseID, userID int64) (bool, error) {
	var n int
	err := q.Get(ctx, &n, `SELECT COUNT(*) FROM {user_enrolments} ue JOIN {enrol} e ON e.id = ue.enrolid
		WHERE e.courseid = ? AND ue.userid = ?`, courseID, userID)
	if err != nil {
		return false, fmt.Errorf("enrolments of user %d in course %d: %w", userID, courseID, err)
	}
	return n > 0, nil
}

// Enrolment is what EnrolUser needs to know.
type Enrolment struct {
	Instance  *EnrolInstance
	Course    Context // the course's context
	UserID    int64
	RoleID    int64 // 0: no role
	TimeStart int64
	TimeEnd   int64 // 0: forever
}

// EnrolUser writes what enrol_plugin::enrol_user() writes for a new
// enrolment: the user_enrolments row (active, modifierid of the actor),
// the user_enrolment_created event, and then role_assign() of the role in
// the course context (component "" and itemid 0, as the manual plugin does).
// The caller has checked that the user has no enrolment in the instance;
// the unique key (enrolid, userid) refuses a second one.
func EnrolUser(ctx context.Context, q database.Querier, a Actor, site *Site, e Enrolment) (*UserEnrolment, error) {
	id, err := q.Insert(ctx, `INSERT INTO {user_enrolments} (status, enrolid, userid, timestart, timeend, modifierid,
		timecreated, timemodified) VALUES (0, ?, ?, ?, ?, ?, ?, ?)`,
		e.Instance.ID, e.UserID, e.TimeStart, e.TimeEnd, a.UserID, a.Time, a.Time)
	if err != nil {
		return nil, fmt.Errorf("enrolling user %d in course %d: %w", e.UserID, e.Instance.CourseID, err)
	}
	err = a.Log.Write(ctx, q, a.event(Event{
		Name: `\core\event\user_enrolment_created`, Component: "core", Action: "created", Target: "user_enrolment",
		ObjectTable: "user_enrolments", ObjectID: id, CRUD: "c", EduLevel: LevelOther,
		Context: e.Course, CourseID: e.Instance.CourseID, RelatedUser: e.UserID,
		Other: Fields{{"enrol", e.Instance.Enrol}},
	}))
	if err != nil {
		return nil, err
	}
	if e.RoleID != 0 {
		if _, err := AssignRole(ctx, q, a, site, RoleAssignment{RoleID: e.RoleID, UserID: e.UserID,
			Context: e.Course, CourseID: e.Instance.CourseID}); err != nil {
			return nil, err
		}
	}
	return &UserEnrolment{ID: id, Status: UserEnrolActive, EnrolID: e.Instance.ID, UserID: e.UserID,
		TimeStart: e.TimeStart, TimeEnd: e.TimeEnd}, nil
}
