package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// A consumer key's users are the same Moodle accounts on every tool, so a
// course's manager who binds a key that another tool (another secret)
// accepts could then sign launches as any of that consumer's users, on the
// whole site. Only a site administrator may share a key between tools; a
// key no other tool uses, or one used only with the same secret, binds as
// before.
func TestSharingAConsumerKeyNeedsASiteAdministrator(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	// The institution's LMS launches another course (TPL1, context of
	// course 2) with its own tool and key.
	cctx := s.tdb.Rows(t, "SELECT id FROM {context} WHERE contextlevel = 50 AND instanceid = 2")[0]["id"]
	var ctxID int64
	fmt.Sscan(fmt.Sprint(cctx), &ctxID)
	lms := store.NewTool(2, ctxID, 3, 5, now.Unix())
	lms.Secret = "the-lms-secret"
	if err := store.InsertTool(ctx, s.db, lms); err != nil {
		t.Fatal(err)
	}
	if err := store.BindConsumerKey(ctx, s.db, lms.ID, "institution-lms", 1); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(s.tool.ID)
	bind := func(who, key string) response {
		return s.do(who, "POST", "/edit.php", url.Values{"sesskey": {s.sesskey(who)}, "id": {id}, "bindkey": {"1"}, "consumerkey": {key}})
	}
	s.sesskey("editingteacher") // the form key exists before the snapshot
	before := s.tdb.Snapshot(t)
	r := bind("editingteacher", "institution-lms")
	if r.code != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Only a site administrator can let this tool accept it") {
		t.Fatalf("teacher sharing a key: %d %s", r.code, r.body)
	}
	s.tdb.AssertUnchanged(t, before)
	// Users recorded with a key count as that key's use too.
	s.tdb.Exec(t, "INSERT INTO {local_ltiprovider_user} (userid, toolid, serviceurl, sourceid, consumerkey, consumersecret, lastgrade, lastsync, lastaccess) VALUES (3, ?, '', '', 'old-lms', '', 0, 0, 1)", lms.ID)
	if r := bind("editingteacher", "old-lms"); r.code != http.StatusUnprocessableEntity {
		t.Errorf("teacher taking a key with users elsewhere: %d", r.code)
	}
	// A fresh key, or one whose other tools have this tool's secret.
	if r := bind("editingteacher", "teachers-own-consumer"); r.code != http.StatusSeeOther {
		t.Errorf("fresh key: %d %s", r.code, r.body)
	}
	s.tdb.Exec(t, "UPDATE {local_ltiprovider} SET secret = ? WHERE id = ?", s.tool.Secret, lms.ID)
	if r := bind("editingteacher", "institution-lms"); r.code != http.StatusSeeOther {
		t.Errorf("key used with the same secret: %d %s", r.code, r.body)
	}
	s.tdb.Exec(t, "UPDATE {local_ltiprovider} SET secret = 'the-lms-secret' WHERE id = ?", lms.ID)
	// The site administrator decides to share.
	if r := bind("admin", "old-lms"); r.code != http.StatusSeeOther {
		t.Errorf("admin sharing a key: %d %s", r.code, r.body)
	}
	if got := fmt.Sprint(s.keys()); got != "[teachers-own-consumer institution-lms old-lms]" {
		t.Errorf("keys %s", got)
	}
}
