package launch

import (
	"net/http"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Launches by id reuse the tool for a few seconds; changes made by anyone
// (another replica, the CLI) are seen once that time is up, and a new
// secret is accepted at once.
func TestToolCache(t *testing.T) {
	const ttl = 200 * time.Millisecond
	e := newEnv(t, func(c *Config) { c.CacheTTL = ttl })
	tool := e.courseTool()
	e.wantRedirect(e.launch(tool, launchForm("tc-1")), "/course/view.php?id=3")

	// The secret is rotated elsewhere: a launch signed with the new one
	// goes through at once, although the cached tool has the old one.
	old := tool.Secret
	tool.Secret = store.NewSecret()
	e.tdb.Exec(t, "UPDATE {local_ltiprovider} SET secret = ? WHERE id = ?", tool.Secret, tool.ID)
	e.wantRedirect(e.launch(tool, launchForm("tc-2")), "/course/view.php?id=3")
	// ... and the cache now holds the new secret: the old one is refused.
	tool.Secret = old
	e.wantPage(e.launch(tool, launchForm("tc-3")), http.StatusUnauthorized, "signature does not match")
	tool.Secret = e.row("SELECT secret FROM {local_ltiprovider} WHERE id = ?", tool.ID)["secret"].(string)

	// Disabled elsewhere: refused once the cached copy has aged out.
	e.tdb.Exec(t, "UPDATE {local_ltiprovider} SET disabled = 1 WHERE id = ?", tool.ID)
	time.Sleep(ttl + 50*time.Millisecond)
	e.wantConsumerError(e.launch(tool, launchForm("tc-4")), "https://lms.example/mod/lti/return.php", "disabled")

	// Deleted elsewhere: unknown once aged out.
	e.tdb.Exec(t, "DELETE FROM {local_ltiprovider} WHERE id = ?", tool.ID)
	time.Sleep(ttl + 50*time.Millisecond)
	e.wantPage(e.launch(tool, launchForm("tc-5")), http.StatusNotFound, "no tool at this launch URL")
}

// A cached tool that was deleted meanwhile, with a launch that fails its
// signature, is unknown: the second look finds no tool.
func TestToolCacheDeletedTool(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CacheTTL = time.Minute })
	tool := e.courseTool()
	e.wantRedirect(e.launch(tool, launchForm("tcd-1")), "/course/view.php?id=3")
	e.tdb.Exec(t, "DELETE FROM {local_ltiprovider} WHERE id = ?", tool.ID)
	tool.Secret = "not-the-secret"
	e.wantPage(e.launch(tool, launchForm("tcd-2")), http.StatusNotFound, "no tool at this launch URL")
}

// The cache never keeps a tool longer than maxToolTTL, whatever the
// settings cache's time, and never keeps ids that name no tool.
func TestToolCacheBounds(t *testing.T) {
	if c := newToolCache(time.Hour); c.ttl != maxToolTTL {
		t.Errorf("ttl %s", c.ttl)
	}
	e := newEnv(t, func(c *Config) { c.CacheTTL = time.Minute })
	for _, q := range []string{"?id=424242", "?id=424243"} {
		e.post(q, launchForm("tcb"))
	}
	e.h.tools.mu.Lock()
	n := len(e.h.tools.tools)
	e.h.tools.mu.Unlock()
	if n != 0 {
		t.Errorf("%d unknown ids cached", n)
	}
}
