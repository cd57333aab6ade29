package content

import (
	"context"
	"database/sql"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// newTool returns the tool the plugin's local_ltiprovider_create_tool()
// made for content created by a request: editing teacher and student
// roles (looked up by short name, not the plugin's hard-coded 3 and 5),
// grades sent back when the request had an outcome service, members synced
// daily when it had a memberships URL, user defaults from the site (the
// plugin wrote "mycity" and "ES"), and the secret that verified the
// request, so the consumer that asked can launch it.
func newTool(ctx context.Context, q database.Querier, env moodle.Env, courseID, contextID int64, secret string, p Params) (*store.Tool, error) {
	teacher, err := moodle.RoleIDByShortname(ctx, q, "editingteacher")
	if err != nil {
		return nil, err
	}
	student, err := moodle.RoleIDByShortname(ctx, q, "student")
	if err != nil {
		return nil, err
	}
	now := env.Unix()
	t := store.NewTool(courseID, contextID, teacher, student, now)
	t.Secret = secret
	t.ForceNavigation = false
	t.SendGrades = p.Value("lis_outcome_service_url") != ""
	t.SyncMembers = p.Value("ext_ims_lis_memberships_url") != ""
	t.SyncMode, t.SyncPeriod = 0, 0
	if t.SyncMembers {
		t.SyncMode, t.SyncPeriod = store.SyncEnrolAndUnenrol, 86400
	}
	t.Lang = "en"
	if env.Site != nil {
		if v := env.Site.Get("lang"); v != "" {
			t.Lang = v
		}
		t.City = env.Site.Get("defaultcity")
		t.Country = env.Site.Get("country")
	}
	t.Encoding = sql.NullString{String: "UTF-8", Valid: true}
	if err := store.InsertTool(ctx, q, t); err != nil {
		return nil, err
	}
	return t, bindKey(ctx, q, env, t.ID, p)
}

// bindKey binds the requester's consumer key to a tool made for it, so no
// other consumer holding the same (global) secret can take it over with
// its first launch (docs/security.md).
func bindKey(ctx context.Context, q database.Querier, env moodle.Env, toolID int64, p Params) error {
	key := p.Value("oauth_consumer_key")
	if key == "" {
		return nil
	}
	return store.BindConsumerKey(ctx, q, toolID, key, env.Unix())
}
