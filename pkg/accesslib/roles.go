package accesslib

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// Role is a role as a menu shows it.
type Role struct {
	ID        int64  `db:"id"`
	Shortname string `db:"shortname"`
	Name      string `db:"name"`  // role.name, often empty
	Alias     string `db:"alias"` // the course's name for the role (role_names)
}

// DisplayName is role_get_name() with ROLENAME_ALIAS: the course's alias,
// else the role's own name, else Moodle's standard name for the archetype
// short names, else the short name.
func (r Role) DisplayName() string {
	switch {
	case r.Alias != "":
		return r.Alias
	case r.Name != "":
		return r.Name
	}
	if n, ok := standardRoleNames[r.Shortname]; ok {
		return n
	}
	return r.Shortname
}

// standardRoleNames are the English names Moodle gives the standard roles
// when role.name is empty (lang/en/role.php, role_get_name()).
var standardRoleNames = map[string]string{
	"manager":        "Manager",
	"coursecreator":  "Course creator",
	"editingteacher": "Teacher",
	"teacher":        "Non-editing teacher",
	"student":        "Student",
	"guest":          "Guest",
	"user":           "Authenticated user",
	"frontpage":      "Authenticated user on site home",
}

// AssignableRoles is get_assignable_roles($context): nothing without
// moodle/role:assign; for site administrators every role that may be
// assigned at the context's level; for others the roles their own
// assignments in this context or above allow them to assign
// (role_allow_assign). Sorted like Moodle's menus, by role.sortorder.
func (c Checker) AssignableRoles(ctx context.Context, userID int64, cx moodle.Context) ([]Role, error) {
	ok, err := c.HasCapability(ctx, userID, "moodle/role:assign", cx)
	if err != nil || !ok {
		return nil, err
	}
	return c.assignable(ctx, userID, cx, c.IsSiteAdmin(userID))
}

// RolesAssignableAt is what a site administrator may assign at cx: every
// role allowed at the context's level. The command line uses it.
func (c Checker) RolesAssignableAt(ctx context.Context, cx moodle.Context) ([]Role, error) {
	return c.assignable(ctx, 0, cx, true)
}

func (c Checker) assignable(ctx context.Context, userID int64, cx moodle.Context, all bool) ([]Role, error) {
	courseCtxID := int64(0)
	if cx.Level == moodle.ContextCourse {
		courseCtxID = cx.ID
	} else if cx.Level == moodle.ContextModule && len(cx.ParentIDs()) >= 2 {
		ids := cx.ParentIDs()
		courseCtxID = ids[len(ids)-2]
	}
	query := `SELECT r.id, r.shortname, r.name, COALESCE(rn.name, '') AS alias FROM {role} r
		JOIN {role_context_levels} rcl ON rcl.contextlevel = ? AND rcl.roleid = r.id
		LEFT JOIN {role_names} rn ON rn.contextid = ? AND rn.roleid = r.id`
	args := []any{cx.Level, courseCtxID}
	if !all {
		query += ` WHERE r.id IN (SELECT raa.allowassign FROM {role_allow_assign} raa
			JOIN {role_assignments} ra ON ra.roleid = raa.roleid
			WHERE ra.userid = ? AND ra.contextid IN (?))`
		args = append(args, userID, cx.ParentIDs())
	}
	query += " ORDER BY r.sortorder"
	query, args, err := sqlx.In(query, args...)
	if err != nil {
		return nil, err
	}
	var roles []Role
	if err := c.Q.Select(ctx, &roles, query, args...); err != nil {
		return nil, fmt.Errorf("accesslib: assignable roles: %w", err)
	}
	return roles, nil
}

// AllRoles lists every role, for names of roles that are no longer
// assignable but still stored on a tool.
func AllRoles(ctx context.Context, c Checker, courseCtxID int64) ([]Role, error) {
	var roles []Role
	err := c.Q.Select(ctx, &roles, `SELECT r.id, r.shortname, r.name, COALESCE(rn.name, '') AS alias FROM {role} r
		LEFT JOIN {role_names} rn ON rn.contextid = ? AND rn.roleid = r.id ORDER BY r.sortorder`, courseCtxID)
	if err != nil {
		return nil, fmt.Errorf("accesslib: roles: %w", err)
	}
	return roles, nil
}
