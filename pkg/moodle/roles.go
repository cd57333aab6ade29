package moodle

import (
	"context"
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

// AssignRole does what role_assign() does: nothing if the assignment
// exists; otherwise the role_assignments row, the user's access marked
// dirty (so a logged-in user gets the role on the next request), the
// course contacts cache dropped when the role is a course contact role,
// and the role_assigned event. It reports whether it assigned the role.
func AssignRole(ctx context.Context, q database.Querier, a Actor, site *Site, ra RoleAssignment) (bool, error) {
	var existing int64
	err := q.Get(ctx, &existing, `SELECT id FROM {role_assignments} WHERE roleid = ? AND contextid = ? AND userid = ?
		AND component = '' AND itemid = 0 ORDER BY id LIMIT 1`, ra.RoleID, ra.Context.ID, ra.UserID)
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, database.ErrNotFound) {
		return false, fmt.Errorf("role assignments of user %d: %w", ra.UserID, err)
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
