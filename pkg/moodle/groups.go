package moodle

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Lengths of the group columns (install.xml).
const (
	MaxGroupIDNumberLen = 100
	MaxGroupNameLen     = 254
)

// Group is the part of a groups row the service uses.
type Group struct {
	ID       int64  `db:"id"`
	CourseID int64  `db:"courseid"`
	IDNumber string `db:"idnumber"`
	Name     string `db:"name"`
}

// GroupByIDNumber finds a course's group by idnumber (as
// groups_get_group_by_idnumber() does); database.ErrNotFound when none.
func GroupByIDNumber(ctx context.Context, q database.Querier, courseID int64, idnumber string) (*Group, error) {
	var g Group
	err := q.Get(ctx, &g, "SELECT id, courseid, idnumber, name FROM {groups} WHERE courseid = ? AND idnumber = ? ORDER BY id LIMIT 1", courseID, idnumber)
	if err != nil {
		return nil, fmt.Errorf("group %q of course %d: %w", idnumber, courseID, err)
	}
	return &g, nil
}

// CreateGroup writes what groups_create_group() writes for a group with a
// name and idnumber: the row (visible to all, no description), the
// course's group data cache dropped, and the group_created event. The
// caller checks that the idnumber is free and serialises creators.
func CreateGroup(ctx context.Context, q database.Querier, a Actor, course Context, name, idnumber string) (*Group, error) {
	id, err := q.Insert(ctx, `INSERT INTO {groups} (courseid, idnumber, name, description, descriptionformat, visibility,
		participation, timecreated, timemodified) VALUES (?, ?, ?, NULL, 0, 0, 1, ?, ?)`,
		course.InstanceID, idnumber, name, a.Time, a.Time)
	if err != nil {
		return nil, fmt.Errorf("creating group %q in course %d: %w", idnumber, course.InstanceID, err)
	}
	a.invalidate("core/groupdata", strconv.FormatInt(course.InstanceID, 10))
	err = a.Log.Write(ctx, q, a.event(Event{
		Name: `\core\event\group_created`, Component: "core", Action: "created", Target: "group",
		ObjectTable: "groups", ObjectID: id, CRUD: "c", EduLevel: LevelOther,
		Context: course, CourseID: course.InstanceID,
	}))
	if err != nil {
		return nil, err
	}
	return &Group{ID: id, CourseID: course.InstanceID, IDNumber: idnumber, Name: name}, nil
}

// AddGroupMember does what groups_add_member() does: nothing for a user
// who is not enrolled in the course (false) or already a member (true);
// otherwise the membership row, the group's timemodified, the user's group
// cache dropped and the group_member_added event.
func AddGroupMember(ctx context.Context, q database.Querier, a Actor, g *Group, course Context, userID int64) (bool, error) {
	enrolled, err := IsEnrolled(ctx, q, g.CourseID, userID)
	if err != nil || !enrolled {
		return false, err
	}
	var existing int64
	err = q.Get(ctx, &existing, "SELECT id FROM {groups_members} WHERE groupid = ? AND userid = ?", g.ID, userID)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, database.ErrNotFound) {
		return false, fmt.Errorf("members of group %d: %w", g.ID, err)
	}
	if _, err := q.Exec(ctx, "INSERT INTO {groups_members} (groupid, userid, timeadded, component, itemid) VALUES (?, ?, ?, '', 0)",
		g.ID, userID, a.Time); err != nil {
		return false, fmt.Errorf("adding user %d to group %d: %w", userID, g.ID, err)
	}
	if _, err := q.Exec(ctx, "UPDATE {groups} SET timemodified = ? WHERE id = ?", a.Time, g.ID); err != nil {
		return false, fmt.Errorf("updating group %d: %w", g.ID, err)
	}
	a.invalidate("core/user_group_groupings", strconv.FormatInt(userID, 10))
	err = a.Log.Write(ctx, q, a.event(Event{
		Name: `\core\event\group_member_added`, Component: "core", Action: "added", Target: "group_member",
		ObjectTable: "groups", ObjectID: g.ID, CRUD: "c", EduLevel: LevelOther,
		Context: course, CourseID: g.CourseID, RelatedUser: userID,
		Other: Fields{{"component", ""}, {"itemid", 0}},
	}))
	if err != nil {
		return false, err
	}
	return true, nil
}
