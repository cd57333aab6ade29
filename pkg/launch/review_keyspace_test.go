package launch

import (
	"context"
	"strconv"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Usernames hash the consumer key and user_id, not the tool, so a
// consumer key's users are the same Moodle accounts on every tool. A
// teacher who provides any course holds that tool's secret; its first
// launch binds whatever key it carries (trust on first use). Launching
// with another consumer's key (keys are not secret: they are in every
// launch form) and a user_id of that consumer's, the teacher is logged in
// as that person, with their enrolments and roles in every other provided
// course. A key already bound to tools with another secret must not be
// bound by a launch (only by an administrator).
func TestFirstLaunchCannotClaimAnotherToolsKey(t *testing.T) {
	e := newEnv(t)
	// The institution's LMS (consumer-A) provides course 3; its user 42 is
	// a teacher there.
	lms := e.courseTool()
	e.wantRedirect(e.launch(lms, launchForm("42", "roles", "Instructor")), "/course/view.php?id=3")
	victim := e.userID("consumer-A", "42")
	// A teacher of course 4 (CONS1, context 15 in the fixture) provides it.
	ctx4 := e.row("SELECT id FROM {context} WHERE contextlevel = 50 AND instanceid = 4")["id"].(string)
	id4, _ := strconv.ParseInt(ctx4, 10, 64)
	own := e.tool(4, id4, func(t *store.Tool) { t.Secret = "teachers-own-secret" })
	before := len(e.sessions.logins)
	e.launch(own, launchForm("42", "roles", "Learner"))
	for _, l := range e.sessions.logins[before:] {
		if strconv.FormatInt(l.UserID, 10) == victim {
			t.Errorf("a launch signed with another tool's secret logged in as consumer-A's user %s", victim)
		}
	}
	if len(e.sessions.logins) != before {
		t.Errorf("the launch with consumer-A's key through the teacher's tool logged someone in")
	}
	if n := e.tdb.Count(t, "local_ltiprovider_consumer", "toolid = ? AND consumerkey = 'consumer-A'", own.ID); n != 0 {
		t.Error("the teacher's tool bound consumer-A's key")
	}
	// The administrator may still allow the key for the second tool.
	if err := store.BindConsumerKey(context.Background(), e.db, own.ID, "consumer-A", 1); err != nil {
		t.Fatal(err)
	}
}
