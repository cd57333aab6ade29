package launch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// With the real session handoff (pkg/session, here Moodle's default file
// handler), a launch ends with a Moodle session of the new user: the
// sessions row and file written in the launch's transaction, the
// MoodleSession cookie on the redirect, the user_loggedin event.
func TestRealSessionHandoff(t *testing.T) {
	dataroot := t.TempDir()
	sessions := filepath.Join(dataroot, "sessions")
	if err := os.Mkdir(sessions, 0o700); err != nil {
		t.Fatal(err)
	}
	var mgr *session.Manager
	e := newEnv(t, func(c *Config) {
		cfg, _ := config.Load(config.Input{LookupEnv: func(string) (string, bool) { return "", false }})
		cfg.Moodle.WWWRoot, cfg.Moodle.DataRoot, cfg.Moodle.Admin = wwwroot, dataroot, "admin"
		mgr = session.New(cfg, &moodle.SiteCache{DB: c.DB, Forced: cfg}, logging.Discard())
		mgr.Now = func() time.Time { return fixtureNow }
		c.Sessions = mgr
	})
	t.Cleanup(func() { mgr.Close() })
	tool := e.courseTool()
	resp := e.launch(tool, launchForm("1"))
	e.wantRedirect(resp, "/course/view.php?id=3")
	uid := e.userID("consumer-A", "1")
	row := e.row("SELECT sid, userid, state FROM {sessions} WHERE userid = ?", uid)
	cookie := resp.Header.Get("Set-Cookie")
	if !strings.HasPrefix(cookie, "MoodleSession="+row["sid"].(string)+";") {
		t.Fatalf("cookie %q, session %v", cookie, row)
	}
	data, err := os.ReadFile(filepath.Join(sessions, "sess_"+row["sid"].(string)))
	if err != nil || !strings.Contains(string(data), `s:8:"username";s:43:"`+username("consumer-A", "1")+`"`) {
		t.Fatalf("session file: %v %q", err, data)
	}
	e.row("SELECT id FROM {logstore_standard_log} WHERE eventname = ? AND userid = ?", `\core\event\user_loggedin`, uid)

	// A refused launch writes no session.
	files, _ := os.ReadDir(sessions)
	e.wantConsumerError(e.launch(e.courseTool(func(t2 *store.Tool) { t2.CRoleLearn = 999 }), launchForm("2")),
		"https://lms.example/mod/lti/return.php", "role it gives")
	if after, _ := os.ReadDir(sessions); len(after) != len(files) {
		t.Errorf("%d session files, want %d", len(after), len(files))
	}
}
