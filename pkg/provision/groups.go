package provision

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// GroupOf returns the idnumber of the group a tool puts its users in, from
// the tool's addtogroup setting: a literal idnumber, or "request:<name>" to
// take it from the launch parameter <name> (param looks it up; nil when
// there is no launch, as in membership sync). "" means no group. The value
// is trimmed, as groups_create_group() trims it.
func GroupOf(tool *store.Tool, param func(name string) (string, bool)) string {
	setting := tool.AddToGroup
	if name, ok := strings.CutPrefix(setting, "request:"); ok {
		if param == nil {
			return ""
		}
		v, ok := param(name)
		if !ok {
			return ""
		}
		setting = v
	}
	return strings.TrimSpace(setting)
}

// AddToGroup puts a user in the course group with this idnumber, creating
// the group (name = idnumber = the value) if the course has none, as the
// plugin did; a user who is not enrolled in the course is not added
// (groups_add_member() refuses them too). It reports whether the user is a
// member afterwards. Group creation is serialised on the course row, since
// Moodle has no unique key on a group's idnumber.
func AddToGroup(ctx context.Context, q database.Querier, env Env, course moodle.Context, userID int64, idnumber string) (bool, error) {
	if idnumber == "" {
		return false, nil
	}
	if utf8.RuneCountInString(idnumber) > moodle.MaxGroupIDNumberLen {
		return false, refuse("The group this launch asks for has an ID number longer than Moodle allows (100 characters).")
	}
	courseID := course.InstanceID
	g, err := moodle.GroupByIDNumber(ctx, q, courseID, idnumber)
	if errors.Is(err, database.ErrNotFound) {
		g, err = createGroup(ctx, q, env, course, userID, idnumber)
		if g == nil || err != nil {
			return false, err
		}
	}
	if err != nil {
		return false, err
	}
	return moodle.AddGroupMember(ctx, q, env.Actor, g, course, userID)
}

// createGroup makes the group for a user who is enrolled (no group is made
// for nobody), under the course row lock; nil when the user is not
// enrolled.
func createGroup(ctx context.Context, q database.Querier, env Env, course moodle.Context, userID int64, idnumber string) (*moodle.Group, error) {
	courseID := course.InstanceID
	enrolled, err := moodle.IsEnrolled(ctx, q, courseID, userID)
	if err != nil || !enrolled {
		return nil, err
	}
	if err := moodle.LockCourse(ctx, q, courseID); err != nil {
		return nil, err
	}
	g, err := moodle.GroupByIDNumber(ctx, q, courseID, idnumber)
	if errors.Is(err, database.ErrNotFound) {
		return moodle.CreateGroup(ctx, q, env.Actor, course, cut(idnumber, moodle.MaxGroupNameLen), idnumber)
	}
	return g, err
}
