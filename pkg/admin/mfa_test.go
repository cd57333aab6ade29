package admin_test

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// With Moodle's multi-factor authentication on, a password login writes
// the session's user before the factors are checked: until Moodle sets
// $SESSION->tool_mfa_authenticated, the pages show neither secrets nor
// forms, nav.json offers nothing, and posts change nothing.
func TestMFAHoldsThePages(t *testing.T) {
	s := newSite(t)
	setData := func(who, data string) {
		s.tdb.Exec(t, "UPDATE {sessions} SET sessdata = ? WHERE sid = ?", base64.StdEncoding.EncodeToString([]byte(data)), s.sids[who])
	}
	passed := `SESSION|O:8:"stdClass":1:{s:22:"tool_mfa_authenticated";b:1;}`
	pending := `SESSION|O:8:"stdClass":1:{s:8:"wantsurl";s:29:"https://moodle.example/my/x=1";}`
	setData("admin", pending)
	setData("editingteacher", passed)
	index := fmt.Sprintf("/index.php?courseid=%d", prov1)
	// The form token of a session that later stops passing.
	token := s.sesskey("editingteacher")
	s.tdb.Exec(t, "UPDATE {config_plugins} SET value = '1' WHERE plugin = 'tool_mfa' AND name = 'enabled'")

	for _, path := range []string{index, fmt.Sprintf("/edit.php?id=%d", s.tool.ID), "/settings.php",
		fmt.Sprintf("/syncreport.php?id=%d", s.tool.ID), fmt.Sprintf("/syncmembers.php?id=%d", s.tool.ID)} {
		r := s.do("admin", "GET", path, nil)
		if r.code != 401 || !strings.Contains(r.body, "multi-factor authentication") || strings.Contains(r.body, s.tool.Secret) {
			t.Errorf("admin before MFA, %s: %d %s", path, r.code, r.body)
		}
	}
	if r := s.do("admin", "GET", fmt.Sprintf("/nav.json?courseid=%d", prov1), nil); strings.TrimSpace(r.body) != "{}" {
		t.Errorf("nav.json before MFA: %s", r.body)
	}
	// A session whose data the service cannot read (the fixture's rows
	// have none, and no session folder is configured) is held too.
	if r := s.do("manager", "GET", index, nil); r.code != 401 || !strings.Contains(r.body, "cannot read your Moodle session") {
		t.Errorf("unreadable session: %d %s", r.code, r.body)
	}
	// Through MFA, the pages work as before.
	if r := s.do("editingteacher", "GET", index, nil); r.code != 200 || !strings.Contains(r.body, s.tool.Secret) {
		t.Errorf("teacher after MFA: %d", r.code)
	}
	// A post from a pending session changes nothing, even with a token.
	setData("editingteacher", pending)
	before := s.tdb.Snapshot(t)
	r := s.do("editingteacher", "POST", "/edit.php", url.Values{"sesskey": {token}, "id": {fmt.Sprint(s.tool.ID)}, "hide": {"1"}})
	if r.code != 401 {
		t.Errorf("post before MFA: %d %s", r.code, r.body)
	}
	s.tdb.AssertUnchanged(t, before)
}
