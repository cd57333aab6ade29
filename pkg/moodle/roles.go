package moodle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// RoleExists reports whether a role id exists.
func RoleExists(ctx context.Context, q database.Querier, id int64) (bool, error) {
	var n int
	if err := q.Get(ctx, &n, "SELECT COUNT(*) FROM {role} WHERE id = ?", id); err != nil {
		return false, fmt.Errorf("role %d: %w", id, err)
	}
	return n > 0, nil
}

// RoleAssignment is one role_assign() call, always with an empty component and
// itemid 0 (a manual assignment).
type RoleAssignment struct {
	RoleID  int64
	UserID  int64
	Context Context
	// CourseID is the course of the context, for the event.
	CourseID int64
}

// ErrNoSuchRole: AssignRole was given a role that does not exist.
var ErrNoSuchRole = errors.New("no such role")

// AssignRole does what role_assign() does: nothing if the assignment
// exists; otherwise the role_assignments row, the user's access marked
// dirty (so a logged-in user gets the role on the next request), the
// course contacts cache dropped when the role is a course contact role,
// and the role_assigned event. It reports whether it assigned the role. A
// role that does not exist is ErrNoSuchRole (Moodle would assign it
// blindly); the same query looks for the role and the assignment.
func AssignRole(ctx context.Context, q database.Querier, a Actor, site *Site, ra RoleAssignment) (bool, error) {
	var found struct {
		Role     int64         `db:"id"`
		Existing sql.NullInt64 `db:"existing"`
	}
	err := q.Get(ctx, &found, `SELECT r.id, (SELECT ra.id FROM {role_assignments} ra WHERE ra.roleid = r.id AND ra.contextid = ?
		AND ra.userid = ? AND ra.component = '' AND ra.itemid = 0 ORDER BY ra.id LIMIT 1) AS existing
		FROM {role} r WHERE r.id = ?`, ra.Context.ID, ra.UserID, ra.RoleID)
	if errors.Is(err, database.ErrNotFound) {
		return false, fmt.Errorf("role %d: %w", ra.RoleID, ErrNoSuchRole)
	}
	if err != nil {
		return false, fmt.Errorf("role assignments of user %d: %w", ra.UserID, err)
	}
	if found.Existing.Valid {
		return false, nil
	}
	id, err := q.Insert(ctx, `INSERT INTO {role_assignments} (roleid, contextid, userid, timemodified, modifierid,
		component, itemid, sortorder) VALUES (?, ?, ?, ?, ?, '', 0, 0)`,
		ra.RoleID, ra.Context.ID, ra.UserID, a.Time, a.UserID)
	if err != nil {
		return false, fmt.Errorf("assigning role %d to user %d in context %d: %w", ra.RoleID, ra.UserID, ra.Context.ID, err)
	}
	if err := MarkUserDirty(ctx, q, site, ra.UserID, a.Time); err != nil {
		return false, err
	}
	// core_course_category::role_assignment_changed(): the course listing
	// shows course contacts from a cache.
	if ra.Context.Level <= ContextCourse && site.Has("coursecontact", strconv.FormatInt(ra.RoleID, 10)) {
		if ra.Context.Level == ContextCourse {
			a.invalidate("core/coursecontacts", strconv.FormatInt(ra.Context.InstanceID, 10))
		} else {
			a.invalidate("core/coursecontacts")
		}
	}
	err = a.Log.Write(ctx, q, a.event(Event{
		Name: `\core\event\role_assigned`, Component: "core", Action: "assigned", Target: "role",
		ObjectTable: "role", ObjectID: ra.RoleID, CRUD: "c", EduLevel: LevelOther,
		Context: ra.Context, CourseID: ra.CourseID, RelatedUser: ra.UserID,
		Other: Fields{{"id", id}, {"component", ""}, {"itemid", 0}},
	}))
	if err != nil {
		return false, err
	}
	return true, nil
}

// MarkUserDirty does mark_user_dirty(): set_cache_flag('accesslib/dirtyusers',
// userid, 1, now + sessiontimeout), which makes Moodle rebuild the access
// data of the user's sessions on their next request.
func MarkUserDirty(ctx context.Context, q database.Querier, site *Site, userID, now int64) error {
	return SetCacheFlag(ctx, q, "accesslib/dirtyusers", strconv.FormatInt(userID, 10), "1",
		now+int64(site.SessionTimeout().Seconds()), time.Unix(now, 0))
}
