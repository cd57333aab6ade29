package session

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// autologinTTL is tool_mobile's api::LOGIN_KEY_TTL.
const autologinTTL = 60

// autologinProblem says why Moodle's autologin.php would refuse every
// user of this site (api::check_autologin_prerequisites()), or "".
func (m *Manager) autologinProblem(site *moodle.Site) string {
	switch {
	case !strings.HasPrefix(strings.ToLower(m.cfg.Moodle.WWWRoot), "https://"):
		return "Moodle's autologin needs an https wwwroot"
	case !truthy(siteValue(m.cfg, site, "enablewebservices")):
		return "Moodle's autologin needs web services enabled (Site administration > Advanced features > Enable web services)"
	case !truthy(siteValue(m.cfg, site, "enablemobilewebservice")):
		return "Moodle's autologin needs the mobile web service enabled (Site administration > Mobile app > Mobile settings)"
	}
	return ""
}

// autologin writes a tool_mobile key, as api::get_autologin_key() does,
// and sends the browser to autologin.php, where Moodle itself runs
// complete_user_login() (login times, event, concurrent-login limit).
func (m *Manager) autologin(ctx context.Context, tx *database.Tx, site *moodle.Site, req LoginRequest) (*Handoff, error) {
	if p := m.autologinProblem(site); p != "" {
		return nil, refuse(p)
	}
	var u struct {
		Auth      string `db:"auth"`
		Deleted   int    `db:"deleted"`
		Suspended int    `db:"suspended"`
		Confirmed int    `db:"confirmed"`
	}
	err := tx.Get(ctx, &u, "SELECT auth, deleted, suspended, confirmed FROM {user} WHERE id = ?", req.UserID)
	if errors.Is(err, database.ErrNotFound) {
		return nil, refuse("your Moodle account does not exist")
	}
	if err != nil {
		return nil, err
	}
	// core_user::require_active_user($user, true, true) and the admin rule.
	switch {
	case u.Deleted != 0:
		return nil, refuse("your Moodle account has been deleted")
	case u.Suspended != 0 || u.Auth == "nologin":
		return nil, refuse("your Moodle account is suspended")
	case u.Confirmed == 0:
		return nil, refuse("your Moodle account is not confirmed")
	case req.UserID <= 0 || req.UserID == site.Int("siteguest", -1):
		return nil, refuse("the guest account cannot be logged in this way")
	}
	admin, err := m.isAdmin(ctx, tx, site, req.UserID)
	if err != nil {
		return nil, err
	}
	if admin {
		return nil, refuse("Moodle's autologin does not log in site administrators")
	}
	if err := moodle.DeleteUserKeys(ctx, tx, "tool_mobile", req.UserID); err != nil {
		return nil, err
	}
	now := m.now()
	key, err := moodle.CreateUserKey(ctx, tx, moodle.UserKey{Script: "tool_mobile", UserID: req.UserID,
		IPRestriction: req.ClientIP, ValidUntil: now.Add(autologinTTL * time.Second)}, now)
	if err != nil {
		return nil, err
	}
	admDir := m.cfg.Moodle.Admin
	if admDir == "" {
		admDir = "admin"
	}
	q := url.Values{"userid": {strconv.FormatInt(req.UserID, 10)}, "key": {key}, "urltogo": {req.Dest}}
	return &Handoff{Redirect: strings.TrimRight(m.cfg.Moodle.WWWRoot, "/") + "/" + admDir + "/tool/mobile/autologin.php?" + q.Encode(),
		Strategy: Autologin}, nil
}

// isAdmin is is_siteadmin() or moodle/site:config allowed at system level
// through a role the user holds there (or the authenticated-user role),
// which autologin.php refuses. Overrides below the system are irrelevant.
func (m *Manager) isAdmin(ctx context.Context, q database.Querier, site *moodle.Site, userID int64) (bool, error) {
	if site.IsSiteAdmin(userID) {
		return true, nil
	}
	system, err := moodle.SystemContext(ctx, q)
	if err != nil {
		return false, err
	}
	var n int
	err = q.Get(ctx, &n, `SELECT COUNT(*) FROM {role_capabilities} rc
		WHERE rc.contextid = ? AND rc.capability = 'moodle/site:config' AND rc.permission = 1
		AND (rc.roleid = ? OR rc.roleid IN (SELECT ra.roleid FROM {role_assignments} ra WHERE ra.userid = ? AND ra.contextid = ?))`,
		system.ID, site.Int("defaultuserroleid", 0), userID, system.ID)
	return n > 0, err
}
