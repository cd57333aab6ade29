package content

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func params(kv ...string) oauth1.Params {
	var p oauth1.Params
	for i := 0; i+1 < len(kv); i += 2 {
		p = append(p, oauth1.Param{Key: kv[i], Value: kv[i+1]})
	}
	return p
}

func TestCourseNames(t *testing.T) {
	full := params("oauth_consumer_key", "key", "context_id", "42", "context_title", "Biology", "context_label", "BIO")
	bare := params("oauth_consumer_key", "key", "context_id", "42")
	for _, tc := range []struct {
		p                   oauth1.Params
		f, s, i             int
		wantF, wantS, wantI string
	}{
		{full, 1, 2, 0, "Biology", "BIO", "42"}, // the plugin's defaults
		{full, 4, 5, 3, "key:Biology", "key:BIO", "key:42"},
		{full, 0, 0, 1, "42", "42", "Biology"},
		// Without title and label the names fall back to context_id; the
		// idnumber does not (a launch looks the course up by it).
		{bare, 1, 5, 2, "42", "key:42", ""},
	} {
		n := CourseNames(&settings.Site{FullnameFormat: tc.f, ShortnameFormat: tc.s, IdnumberFormat: tc.i}, tc.p)
		if n.Fullname != tc.wantF || n.Shortname != tc.wantS || n.IDNumber != tc.wantI {
			t.Errorf("%d/%d/%d: %+v", tc.f, tc.s, tc.i, n)
		}
	}
}

func TestNextShortname(t *testing.T) {
	for in, want := range map[string]string{"SI182": "SI182 1", "SI182 1": "SI182 2", "SI182 9": "SI182 10", "A B": "A B 1", "7": "8"} {
		if got := nextShortname(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

func TestUniqueShortname(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	// TPL1 and two courses named like the plugin numbered them, with the
	// same full name; "TPL1 3" was taken by an unrelated course.
	tdb.Exec(t, "UPDATE {course} SET fullname = 'Template course', shortname = 'TPL1 1' WHERE id = 3")
	tdb.Exec(t, "UPDATE {course} SET fullname = 'Other', shortname = 'TPL1 3' WHERE id = 4")
	got, err := UniqueShortname(ctx, db, "TPL1")
	if err != nil || got != "TPL1 2" {
		t.Errorf("%q %v", got, err)
	}
	tdb.Exec(t, "UPDATE {course} SET fullname = 'Template course', shortname = 'TPL1 2' WHERE id = 4")
	// The plugin would answer "TPL1 3" from the newest course; it is
	// checked and the count goes on.
	tdb.Exec(t, "INSERT INTO {course} (category, fullname, shortname, idnumber, summary) VALUES (1, 'x', 'TPL1 3', '', '')")
	if got, err := UniqueShortname(ctx, db, "TPL1"); err != nil || got != "TPL1 4" {
		t.Errorf("%q %v", got, err)
	}
	if got, _ := UniqueShortname(ctx, db, "FREE"); got != "FREE" {
		t.Errorf("free name changed to %q", got)
	}
}

func TestRoleAllowed(t *testing.T) {
	for _, tc := range []struct {
		allowed []string
		roles   string
		want    bool
	}{
		{[]string{"Administrator"}, "Instructor,urn:lti:instrole:ims/lis/Administrator", true},
		{[]string{"Administrator"}, "urn:lti:sysrole:ims/lis/Administrator", true},
		{[]string{"Instructor"}, "urn:lti:role:ims/lis/Instructor/TeachingAssistant", true},
		{[]string{"Instructor"}, "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor", true},
		{[]string{"instructor"}, " Learner , INSTRUCTOR ", true},
		{[]string{"Instructor"}, "Learner,urn:lti:role:ims/lis/Learner/NonInstructor", false},
		{[]string{"Administrator"}, "Learner", false},
		{nil, "Administrator", false},
		{[]string{"Learner"}, "", false},
	} {
		if got := RoleAllowed(tc.allowed, tc.roles); got != tc.want {
			t.Errorf("%v / %q: %v", tc.allowed, tc.roles, got)
		}
	}
}

func TestEnsureCourseRefusals(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	site, _ := moodle.LoadSite(ctx, db, nil)
	env := moodle.Env{Site: site, Now: time.Unix(1795760000, 0)}
	s, _ := settings.Load(ctx, db)
	before := tdb.Snapshot(t)
	for _, tc := range []struct {
		req  ContextRequest
		want error
	}{
		{ContextRequest{Params: params("context_title", "x")}, ErrNoContextID},
		{ContextRequest{Params: params("context_id", "new")}, ErrRoleCannotCreate},
		{ContextRequest{Params: params("context_id", "new"), MayCreate: true, Template: "NOPE"}, ErrNoTemplate},
		// PROV1's idnumber matches, but it has no course tool.
		{ContextRequest{Params: params("context_id", "PROV1"), MayCreate: true}, ErrCannotDetermine},
	} {
		err := db.WithTx(ctx, func(tx *database.Tx) error {
			_, err := EnsureCourse(ctx, tx, env, s, tc.req)
			return err
		})
		if !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.req.Params, err, tc.want)
		}
	}
	tdb.AssertUnchanged(t, before)
}
