package manage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/accesslib"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/manage"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var now = time.Unix(1795760000, 0)

func setup(t *testing.T, actor manage.Actor, prep ...string) (*manage.Choices, *store.Tool, *settings.Site, *testdb.DB, func() *manage.Choices) {
	db, tdb := testenv.DB(t)
	for _, q := range prep {
		tdb.Exec(t, q)
	}
	ctx := context.Background()
	load := func() *manage.Choices {
		site, err := moodle.LoadSite(ctx, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		course, err := manage.CourseByIDOrIDNumber(ctx, db, "PROV1")
		if err != nil {
			t.Fatal(err)
		}
		ch, err := manage.LoadChoices(ctx, accesslib.Checker{Q: db, Site: site}, actor, course)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	ch := load()
	site, _ := moodle.LoadSite(ctx, db, nil)
	tool, err := manage.NewTool(ctx, db, site, ch, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := settings.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return ch, tool, ss, tdb, load
}

func TestChoicesOfPROV1(t *testing.T) {
	ch, tool, _, _, _ := setup(t, manage.Actor{Operator: true})
	var acts []string
	for _, a := range ch.Activities {
		acts = append(acts, fmt.Sprintf("%s:%s:%d", a.IDNumber, a.ModName, a.ContextID))
	}
	if got := fmt.Sprint(acts); got != "[PROV-ASSIGN:assign:19 PROV-PAGE:page:20 PROV-FORUM:forum:21 PROV-QUIZ:quiz:22]" {
		t.Errorf("activities %s", got)
	}
	for _, a := range ch.Activities {
		if a.Name == "" || a.Name == a.ModName+" "+fmt.Sprint(a.CMID) {
			t.Errorf("activity %d has no name", a.CMID)
		}
	}
	if tool.CourseID != 3 || tool.ContextID != 13 || tool.CRoleInst != 3 || tool.CRoleLearn != 5 || !tool.SendGrades || !tool.ForceNavigation {
		t.Errorf("defaults %+v", tool)
	}
	if tool.City != "" || tool.Lang != "en" || tool.Timezone != "99" {
		t.Errorf("user defaults %q %q %q", tool.City, tool.Lang, tool.Timezone)
	}
}

func TestValidationRules(t *testing.T) {
	// teacher1 as an editing teacher of PROV1 may assign teacher and student.
	ch, base, ss, tdb, load := setup(t, manage.Actor{UserID: 4},
		"INSERT INTO {role_assignments} (roleid, contextid, userid, timemodified, modifierid) VALUES (3, 13, 4, 1, 2)")
	if base.CRoleInst != 4 || base.CRoleLearn != 5 {
		t.Errorf("a teacher's new tool defaults to roles %d/%d, want 4/5", base.CRoleInst, base.CRoleLearn)
	}
	loc := time.UTC
	cases := []struct {
		name   string
		values map[string]string
		field  string // "" means valid
	}{
		{"defaults are valid", nil, ""},
		{"end before start", map[string]string{"enrolstartdate": "2026-09-02", "enrolenddate": "2026-09-01"}, "enrolenddate"},
		{"end equal to start", map[string]string{"enrolstartdate": "2026-09-01", "enrolenddate": "2026-09-01"}, ""},
		{"end without start", map[string]string{"enrolenddate": "2026-09-01"}, ""},
		{"bad date", map[string]string{"enrolstartdate": "01/09/2026"}, "enrolstartdate"},
		{"requirecompletion without completion", map[string]string{"requirecompletion": "1"}, "requirecompletion"},
		{"sendcompletion without completion", map[string]string{"sendcompletion": "1"}, "sendcompletion"},
		{"activity not in the course", map[string]string{"contextid": "14"}, "contextid"},
		{"activity of the course", map[string]string{"contextid": "19"}, ""},
		{"member sync for an activity", map[string]string{"contextid": "19", "syncmembers": "1"}, "syncmembers"},
		{"member sync for the course", map[string]string{"syncmembers": "1"}, ""},
		{"role not assignable by a teacher", map[string]string{"croleinst": "1"}, "croleinst"},
		{"role assignable", map[string]string{"croleinst": "4"}, ""},
		{"empty secret", map[string]string{"secret": "  "}, "secret"},
		{"long secret", map[string]string{"secret": fmt.Sprintf("%065d", 1)}, "secret"},
		{"bad sync period", map[string]string{"syncperiod": "60"}, "syncperiod"},
		{"bad country", map[string]string{"country": "Spain"}, "country"},
		{"bad timezone", map[string]string{"timezone": "Mars/Olympus"}, "timezone"},
		{"html group", map[string]string{"addtogroup": "<b>g</b>"}, "addtogroup"},
		{"negative max", map[string]string{"maxenrolled": "-1"}, "maxenrolled"},
		{"unknown field", map[string]string{"colour": "red"}, "colour"},
	}
	for _, tc := range cases {
		tool := *base
		errs := manage.Apply(&tool, tc.values, loc)
		if len(errs) == 0 {
			errs = manage.Validate(&tool, nil, ch, ss)
		}
		switch {
		case tc.field == "" && len(errs) > 0:
			t.Errorf("%s: unexpected %v", tc.name, errs)
		case tc.field != "" && errs[tc.field] == "":
			t.Errorf("%s: no error on %s (got %v)", tc.name, tc.field, errs)
		}
	}

	// With completion enabled on the course, the completion rules pass for
	// the course, and for an activity only when it tracks completion.
	tdb.Exec(t, "UPDATE {course} SET enablecompletion = 1 WHERE id = 3")
	ch = load()
	tool := *base
	manage.Apply(&tool, map[string]string{"requirecompletion": "1", "sendcompletion": "1"}, loc)
	if errs := manage.Validate(&tool, nil, ch, ss); len(errs) > 0 {
		t.Errorf("completion enabled on the course: %v", errs)
	}
	manage.Apply(&tool, map[string]string{"contextid": "19"}, loc)
	if errs := manage.Validate(&tool, nil, ch, ss); errs["requirecompletion"] == "" {
		t.Errorf("activity without completion accepted: %v", errs)
	}
	tdb.Exec(t, "UPDATE {course_modules} SET completion = 1 WHERE id = 6")
	ch = load()
	if errs := manage.Validate(&tool, nil, ch, ss); len(errs) > 0 {
		t.Errorf("activity with completion: %v", errs)
	}
	// A role chosen by an admin stays while unchanged.
	prev := *base
	prev.CRoleInst = 1
	tool = prev
	if errs := manage.Validate(&tool, &prev, ch, ss); errs["croleinst"] != "" {
		t.Errorf("unchanged role refused: %v", errs)
	}
	// The site's profile policy overrides the tool's unless it delegates.
	tool.UserProfileUpdate = 0
	manage.Validate(&tool, &prev, ch, ss)
	if tool.UserProfileUpdate != 1 {
		t.Errorf("site policy not applied: %d", tool.UserProfileUpdate)
	}
}

func TestDatesUseTheSiteTimeZone(t *testing.T) {
	site := moodle.NewSite(map[string]string{"timezone": "Europe/London", "forcetimezone": "99"})
	loc := manage.SiteLocation(site)
	ts, err := manage.ParseDate("2026-07-01", loc)
	if err != nil || time.Unix(ts, 0).UTC().Format(time.RFC3339) != "2026-06-30T23:00:00Z" {
		t.Errorf("%d %v", ts, err)
	}
	if manage.FormatDate(ts, loc) != "2026-07-01" || manage.FormatDate(0, loc) != "" {
		t.Error("format")
	}
	for in, want := range map[string]int64{"3600": 3600, "2d": 172800, "1w": 604800, "90m": 5400, "0": 0} {
		if got, err := manage.ParseDuration(in); err != nil || got != want {
			t.Errorf("%s: %d %v", in, got, err)
		}
	}
	if _, err := manage.ParseDuration("-5"); err == nil {
		t.Error("negative duration accepted")
	}
}
