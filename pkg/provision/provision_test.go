package provision_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/provision"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The plugin's usernames, as PHP computes them:
// php -r 'echo "ltiprovider".md5("consumer-A::"."consumer-A:3");'
func TestUsernames(t *testing.T) {
	if got := provision.Username("consumer-A", "3"); got != "ltiproviderbc004f1f8f29b55c4c763d86cdfc6481" {
		t.Errorf("Username %s", got)
	}
	if got := provision.LegacyUsername("consumer-A", "3"); got != "ltiprovider623a0afc6a763226d2b502cf8c82f41c" {
		t.Errorf("LegacyUsername %s", got)
	}
}

// Membership sync creates and enrols users "as a launch would", without
// HTTP: User and Enrol on a transaction, then GroupOf without a launch.
func TestUserAndEnrolWithoutALaunch(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	site, err := moodle.LoadSite(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := settings.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	logs, _ := moodle.LoadLogStore(ctx, db, site)
	tool := store.NewTool(3, 13, 3, 5, 1)
	tool.AddToGroup = "request:custom_section"
	if err := store.InsertTool(ctx, db, tool); err != nil {
		t.Fatal(err)
	}
	env := provision.Env{Site: site, Settings: st, Actor: moodle.Actor{Origin: "cli", Time: time.Now().Unix(), Log: logs}}
	courseCtx, _ := moodle.ContextOf(ctx, db, moodle.ContextCourse, 3)
	p := provision.Person{ConsumerKey: "consumer-A", UserID: "m1", GivenName: "Mem", FamilyName: "Ber"}
	for i := 0; i < 2; i++ {
		err = db.WithTx(ctx, func(tx *database.Tx) error {
			res, err := provision.User(ctx, tx, env, tool, p)
			if err != nil {
				return err
			}
			if res.Created != (i == 0) {
				t.Errorf("run %d: created %v", i, res.Created)
			}
			er, err := provision.Enrol(ctx, tx, env, provision.EnrolRequest{Tool: tool, Course: courseCtx, UserID: res.User.ID, Instructor: true})
			if err != nil {
				return err
			}
			if er.Enrolled != (i == 0) {
				t.Errorf("run %d: enrolled %v", i, er.Enrolled)
			}
			if g := provision.GroupOf(tool, nil); g != "" {
				t.Errorf("a request: group without a launch: %q", g)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	uid := tdb.Rows(t, "SELECT id FROM {user} WHERE username = ?", provision.Username("consumer-A", "m1"))[0]["id"]
	if n := tdb.Count(t, "role_assignments", "userid = ? AND roleid = 3 AND contextid = 13", uid); n != 1 {
		t.Errorf("%d instructor roles", n)
	}
	if n := tdb.Count(t, "logstore_standard_log", "origin = 'cli' AND relateduserid = ?", uid); n != 3 {
		t.Errorf("%d events", n)
	}
	// A refusal is a *provision.Refusal.
	tdb.Exec(t, "UPDATE {user} SET suspended = 1 WHERE id = ?", uid)
	err = db.WithTx(ctx, func(tx *database.Tx) error {
		_, err := provision.User(ctx, tx, env, tool, p)
		return err
	})
	var refusal *provision.Refusal
	if !errors.As(err, &refusal) {
		t.Fatalf("suspended: %v", err)
	}
}
