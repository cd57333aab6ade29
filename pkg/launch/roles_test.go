package launch

import (
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// An activity tool whose activity role is gone refuses the launch and
// leaves nothing (the role is looked for with the assignment, after the
// course enrolment, which is rolled back).
func TestMissingActivityRoleRefused(t *testing.T) {
	e := newEnv(t)
	tool := e.tool(3, 19, func(t *store.Tool) { t.ARoleLearn.Int64 = 999 })
	counters := autoIncrements(t, e)
	before := e.tdb.Snapshot(t)
	e.wantConsumerError(e.launch(tool, launchForm("ar-1")), "https://lms.example/mod/lti/return.php", "the role it gives (id 999) does not exist")
	after := autoIncrements(t, e)
	if after["user_enrolments"] == counters["user_enrolments"] {
		t.Error("the refusal came before the course enrolment: the test no longer shows the rollback")
	}
	for name, n := range counters {
		if after[name] != n {
			e.tdb.Exec(t, "ALTER TABLE {"+name+"} AUTO_INCREMENT = "+n)
		}
	}
	e.tdb.Exec(t, "DELETE FROM {local_ltiprovider_nonce}")
	e.tdb.AssertUnchanged(t, before)
}
