package launch

import (
	"context"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/provision"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// A legacy username hashes key + ":" + user_id, so a consumer whose key is
// a prefix of another's up to a colon (URL-like keys: "https" against
// "https://lms.example") can name that consumer's dormant plugin-era users
// with a crafted user_id and take them over: provision.User renames the
// legacy account into the attacker's namespace and the launch logs in as
// it. The plugin recorded each user's consumer key in
// local_ltiprovider_user; a legacy account should be adopted only by the
// key recorded there.
func TestLegacyUserNotAdoptedByAnotherKey(t *testing.T) {
	e := newEnv(t)
	victimTool := e.courseTool()
	legacy := provision.LegacyUsername("https://lms.example", "42")
	e.tdb.Exec(t, `INSERT INTO {user} (auth, confirmed, mnethostid, username, firstname, lastname, email, timecreated, timemodified)
		VALUES ('nologin', 1, 1, ?, 'Victim', 'User', 'victim@lms.example', 1, 1)`, legacy)
	victim := e.row("SELECT id FROM {user} WHERE username = ?", legacy)["id"]
	e.tdb.Exec(t, `INSERT INTO {local_ltiprovider_user} (userid, toolid, serviceurl, sourceid, consumerkey, consumersecret,
		lastgrade, lastsync, lastaccess) VALUES (?, ?, '', '', 'https://lms.example', '', 0, 0, 1)`, victim, victimTool.ID)
	// Another tool, whose first launch bound the key "https".
	attacker := e.tool(3, 13)
	if err := store.BindConsumerKey(context.Background(), e.db, attacker.ID, "https", 1); err != nil {
		t.Fatal(err)
	}
	e.wantRedirect(e.launch(attacker, launchForm("//lms.example:42", "oauth_consumer_key", "https")), "/course/view.php?id=3")
	if e.tdb.Count(t, "user", "username = ?", legacy) != 1 {
		t.Error("the victim's legacy account was renamed into the attacker's namespace")
	}
	if got := e.userID("https", "//lms.example:42"); got == victim {
		t.Error("the launch logged in as the victim")
	}
	// Its own consumer still gets it.
	e.wantRedirect(e.launch(victimTool, launchForm("42", "oauth_consumer_key", "https://lms.example")), "/course/view.php?id=3")
	if got := e.userID("https://lms.example", "42"); got != victim {
		t.Errorf("user %s, want the legacy user %s renamed", got, victim)
	}
}
