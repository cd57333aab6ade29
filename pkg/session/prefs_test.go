package session_test

import (
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
)

// A user whose core_message_migrate_data preference is 0 has it set to 1,
// as complete_user_login() does: the row updated, never a second one.
func TestMessagesMigratedPreferenceUpdated(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Session.HandlerClass = `\core\session\database` })
	e.tdb.Exec(t, "INSERT INTO {user_preferences} (userid, name, value) VALUES (3, 'core_message_migrate_data', '0')")
	e.mustLogin(t, 3, "")
	rows := e.tdb.Rows(t, "SELECT value FROM {user_preferences} WHERE userid = 3 AND name = 'core_message_migrate_data'")
	if len(rows) != 1 || rows[0]["value"] != "1" {
		t.Errorf("preference rows: %v", rows)
	}
	if n := e.tdb.Count(t, "cache_flags", "flagtype = 'userpreferenceschanged' AND name = '3'"); n != 1 {
		t.Errorf("%d userpreferenceschanged flags", n)
	}
}
