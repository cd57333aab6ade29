package accesslib

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// Checker evaluates capabilities on one site. Site is Moodle's
// configuration (siteadmins, siteguest, the default roles, forcelogin,
// contextlocking), read fresh or from a moodle.SiteCache.
type Checker struct {
	Q    database.Querier
	Site *moodle.Site
}

// IsSiteAdmin is is_siteadmin(): the user is listed in $CFG->siteadmins.
func (c Checker) IsSiteAdmin(userID int64) bool {
	return userID > 0 && c.Site.IsSiteAdmin(userID)
}

// IsGuest is isguestuser(): the user is $CFG->siteguest.
func (c Checker) IsGuest(userID int64) bool {
	return userID > 0 && userID == c.Site.Int("siteguest", 0)
}

// HasCapability is has_capability($capability, $context, $userid) with
// $doanything = true, for a user who has not switched roles.
func (c Checker) HasCapability(ctx context.Context, userID int64, capability string, cx moodle.Context) (bool, error) {
	capInfo, err := GetCapability(ctx, c.Q, capability)
	if errors.Is(err, database.ErrNotFound) {
		return false, nil // Moodle: "Capability … was not found", false
	}
	if err != nil {
		return false, err
	}
	if userID == 0 && c.Site.Bool("forcelogin") {
		return false, nil
	}
	if capInfo.risky() && (userID == 0 || c.IsGuest(userID)) {
		return false, nil
	}
	admin := c.IsSiteAdmin(userID)
	if capInfo.CapType == "write" && capInfo.Name != "moodle/site:managecontextlocks" && c.Site.Bool("contextlocking") &&
		(!admin || c.Site.Bool("contextlockappliestoadmin")) {
		locked, err := c.locked(ctx, cx)
		if err != nil || locked {
			return false, err
		}
	}
	if userID != 0 {
		var deleted int
		err := c.Q.Get(ctx, &deleted, "SELECT deleted FROM {user} WHERE id = ?", userID)
		if errors.Is(err, database.ErrNotFound) || (err == nil && deleted != 0) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("accesslib: user %d: %w", userID, err)
		}
	}
	if cx.Path == "" || cx.Depth == 0 {
		return admin, nil // a context without a path: only admins, as Moodle
	}
	if admin {
		return true, nil
	}
	roles, err := c.rolesOnPath(ctx, userID, cx)
	if err != nil {
		return false, err
	}
	return c.evaluate(ctx, capability, cx, roles)
}

// HasAnyCapability is has_any_capability().
func (c Checker) HasAnyCapability(ctx context.Context, userID int64, capabilities []string, cx moodle.Context) (bool, error) {
	for _, name := range capabilities {
		ok, err := c.HasCapability(ctx, userID, name, cx)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// paths lists the context and its parents as Moodle's accessdata keys them:
// "/1/3/13", "/1/3", "/1", most specific first.
func paths(cx moodle.Context) []string {
	parts := strings.Split(strings.Trim(cx.Path, "/"), "/")
	out := make([]string, 0, len(parts))
	for i := len(parts); i > 0; i-- {
		out = append(out, "/"+strings.Join(parts[:i], "/"))
	}
	return out
}

// locked is context::is_locked(): this context or a parent has locked=1.
func (c Checker) locked(ctx context.Context, cx moodle.Context) (bool, error) {
	ids := cx.ParentIDs()
	if len(ids) == 0 {
		ids = []int64{cx.ID}
	}
	query, args, err := sqlx.In("SELECT COUNT(*) FROM {context} WHERE locked = 1 AND id IN (?)", ids)
	if err != nil {
		return false, err
	}
	var n int
	if err := c.Q.Get(ctx, &n, query, args...); err != nil {
		return false, fmt.Errorf("accesslib: context locks: %w", err)
	}
	return n > 0, nil
}

// rolesOnPath returns the roles that count for the user in cx, the way
// get_user_accessdata() builds them: the not-logged-in role for visitors,
// the guest role for the guest account, otherwise the default user role at
// the system context, the default front page role at the front page, and
// every role assigned on the context's path.
func (c Checker) rolesOnPath(ctx context.Context, userID int64, cx moodle.Context) ([]int64, error) {
	switch {
	case userID == 0:
		if id := c.Site.Int("notloggedinroleid", 0); id > 0 {
			return []int64{id}, nil
		}
		return nil, nil
	case c.IsGuest(userID):
		id, err := c.guestRole(ctx)
		if err != nil || id == 0 {
			return nil, err
		}
		return []int64{id}, nil
	}
	seen := map[int64]bool{}
	var roles []int64
	add := func(id int64) {
		if id > 0 && !seen[id] {
			seen[id] = true
			roles = append(roles, id)
		}
	}
	add(c.Site.Int("defaultuserroleid", 0))
	if id := c.Site.Int("defaultfrontpageroleid", 0); id > 0 {
		front, err := moodle.ContextOf(ctx, c.Q, moodle.ContextCourse, moodle.SiteCourseID)
		if err != nil && !errors.Is(err, database.ErrNotFound) {
			return nil, err
		}
		if err == nil && front.Path != "" && strings.HasPrefix(cx.Path+"/", front.Path+"/") {
			add(id)
		}
	}
	query, args, err := sqlx.In(`SELECT DISTINCT ra.roleid FROM {role_assignments} ra
		JOIN {context} ctx ON ctx.id = ra.contextid
		WHERE ra.userid = ? AND ctx.path IN (?) ORDER BY ra.roleid`, userID, paths(cx))
	if err != nil {
		return nil, err
	}
	var assigned []int64
	if err := c.Q.Select(ctx, &assigned, query, args...); err != nil {
		return nil, fmt.Errorf("accesslib: role assignments of user %d: %w", userID, err)
	}
	for _, id := range assigned {
		add(id)
	}
	return roles, nil
}

// guestRole is get_guest_role(): $CFG->guestroleid, else the first role
// with the guest archetype.
func (c Checker) guestRole(ctx context.Context) (int64, error) {
	if id := c.Site.Int("guestroleid", 0); id > 0 {
		return id, nil
	}
	var id int64
	err := c.Q.Get(ctx, &id, "SELECT id FROM {role} WHERE archetype = 'guest' ORDER BY id LIMIT 1")
	if errors.Is(err, database.ErrNotFound) {
		return 0, nil
	}
	return id, err
}

// evaluate is has_capability_in_accessdata(): for each role, the permission
// of the most specific context on the path that defines the capability; a
// CAP_PROHIBIT anywhere denies; an allow in any role grants.
func (c Checker) evaluate(ctx context.Context, capability string, cx moodle.Context, roles []int64) (bool, error) {
	if len(roles) == 0 {
		return false, nil
	}
	query, args, err := sqlx.In(`SELECT rc.roleid, ctx.path, rc.permission FROM {role_capabilities} rc
		JOIN {context} ctx ON ctx.id = rc.contextid
		WHERE rc.capability = ? AND rc.roleid IN (?) AND ctx.path IN (?)`, capability, roles, paths(cx))
	if err != nil {
		return false, err
	}
	var defs []struct {
		RoleID     int64  `db:"roleid"`
		Path       string `db:"path"`
		Permission int    `db:"permission"`
	}
	if err := c.Q.Select(ctx, &defs, query, args...); err != nil {
		return false, fmt.Errorf("accesslib: role definitions: %w", err)
	}
	perm := map[int64]map[string]int{}
	for _, d := range defs {
		if d.Permission == Prohibit {
			return false, nil
		}
		if perm[d.RoleID] == nil {
			perm[d.RoleID] = map[string]int{}
		}
		perm[d.RoleID][d.Path] = d.Permission
	}
	for _, role := range roles {
		for _, p := range paths(cx) { // most specific first
			if v, ok := perm[role][p]; ok {
				if v == Allow {
					return true, nil
				}
				break
			}
		}
	}
	return false, nil
}
