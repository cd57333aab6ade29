package session_test

import (
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
)

// Where autologin is the strategy (memcached, or forced),
// Moodle's autologin.php refuses nologin users (require_active_user), and
// nologin is the default auth method of the users launches create
// (defaultauthmethod): every launch of a new user is then refused, with
// "your Moodle account is suspended". doctor passes the site; it should
// fail the session store check and say to change defaultauthmethod.
func TestDoctorFailsAutologinWithNologinUsers(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Session.HandlerClass = `\core\session\memcached` })
	e.tdb.Exec(t, "UPDATE {config} SET value = '1' WHERE name IN ('enablewebservices', 'enablemobilewebservice')")
	if n := e.tdb.Count(t, "config_plugins", "plugin = 'local_ltiprovider' AND name = 'defaultauthmethod' AND value = 'nologin'"); n != 1 {
		t.Fatalf("the migrated site's defaultauthmethod is not nologin")
	}
	l := line(e.report(t), "session store")
	if !strings.HasPrefix(l, "FAIL") || !strings.Contains(l, "defaultauthmethod") {
		t.Errorf("session store line %q: autologin with defaultauthmethod=nologin refuses every new user", l)
	}
}
