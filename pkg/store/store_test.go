package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestToolCRUD(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	tool := store.NewTool(3, 13, 3, 5, 1795754326)
	tool.CustomCSS = "body{}"
	if err := store.InsertTool(ctx, db, tool); err != nil {
		t.Fatal(err)
	}
	got, err := store.GetTool(ctx, db, tool.ID)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *tool {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, tool)
	}
	if len(tool.Secret) != 32 {
		t.Errorf("secret %q", tool.Secret)
	}
	// The row carries the plugin form's defaults.
	row := tdb.Rows(t, "SELECT sendgrades, forcenavigation, croleinst, crolelearn, aroleinst, encoding, lang, timezone, maildisplay, syncperiod, enrolinst FROM {local_ltiprovider} WHERE id = ?", tool.ID)[0]
	for col, want := range map[string]string{"sendgrades": "1", "forcenavigation": "1", "croleinst": "3", "crolelearn": "5",
		"aroleinst": "3", "encoding": "UTF-8", "lang": "en", "timezone": "99", "maildisplay": "2", "syncperiod": "1800", "enrolinst": "1"} {
		if s := fmt.Sprint(row[col]); s != want {
			t.Errorf("%s = %s, want %s", col, s, want)
		}
	}
	tool.Disabled = true
	if err := store.UpdateTool(ctx, db, tool); err != nil {
		t.Fatal(err)
	}
	if list, _ := store.ToolsByContext(ctx, db, 13); len(list) != 1 || !list[0].Disabled {
		t.Fatalf("by context: %+v", list)
	}
	store.SaveOutcome(ctx, db, &store.Outcome{ToolID: tool.ID, UserID: 3, ConsumerKey: "k", ResourceLinkID: "1", ServiceURL: "https://x", SourcedID: "s"})
	if err := store.DeleteTool(ctx, db, tool.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.GetTool(ctx, db, tool.ID); !errors.Is(err, database.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if n := tdb.Count(t, "local_ltiprovider_outcome", "toolid = ?", tool.ID); n != 0 {
		t.Fatalf("%d outcome rows left", n)
	}
}

// A plugin-era row with NULLs in its nullable columns reads as the
// install.xml defaults.
func TestLegacyNullsRead(t *testing.T) {
	db, tdb := testenv.DB(t)
	tdb.Exec(t, `INSERT INTO {local_ltiprovider} (id, courseid, contextid, croleinst, crolelearn, secret, institution, city, country,
		timemodified, timecreated, userprofileupdate, syncmembers, syncmode, syncperiod, lastsync, requirecompletion, enrolinst, enrollearn, addtogroup, sendcompletion)
		VALUES (40, 3, 13, 3, 5, NULL, '', '', '', 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	tool, err := store.GetTool(context.Background(), db, 40)
	if err != nil {
		t.Fatal(err)
	}
	if tool.UserProfileUpdate != 1 || !tool.EnrolInst || !tool.EnrolLearn || tool.Secret != "" || tool.LastSync != 0 {
		t.Fatalf("%+v", tool)
	}
}

func TestOutcomePerLinkNeverErasedByEmpty(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	save := func(link, url, src string) {
		if err := store.SaveOutcome(ctx, db, &store.Outcome{ToolID: 1, UserID: 3, ConsumerKey: "consumer-A",
			ResourceLinkID: link, ServiceURL: url, SourcedID: src, TimeCreated: 1, TimeModified: 2}); err != nil {
			t.Fatal(err)
		}
	}
	save("link-1", "https://lms/outcomes", "src-1")
	save("link-2", "https://lms/outcomes", "src-2")
	save("link-1", "", "")                              // an instructor launch of link 1
	save("link-1", "https://lms/outcomes", "src-1-new") // a new attempt
	rows, _ := store.OutcomesOfUser(ctx, db, 1, 3)
	if len(rows) != 2 || rows[0].SourcedID != "src-1-new" || rows[1].SourcedID != "src-2" {
		t.Fatalf("%+v", rows)
	}
	if n := tdb.Count(t, "local_ltiprovider_outcome", "1=1"); n != 2 {
		t.Fatal(n)
	}
}

func TestLaunchContext(t *testing.T) {
	db, _ := testenv.DB(t)
	ctx := context.Background()
	if _, err := store.GetLaunch(ctx, db, 3); !errors.Is(err, database.ErrNotFound) {
		t.Fatal(err)
	}
	l := &store.Launch{UserID: 3, ToolID: 1, ReturnURL: "https://lms/return",
		Layout: store.Layout{HidePageHeader: true, CustomCSS: "a{}", ContextID: 13, CourseID: 3}, TimeCreated: 5}
	store.SaveLaunch(ctx, db, l)
	l.ToolID, l.Layout.HidePageHeader = 2, false
	store.SaveLaunch(ctx, db, l)
	got, err := store.GetLaunch(ctx, db, 3)
	if err != nil || got.ToolID != 2 || got.Layout.HidePageHeader || got.Layout.CustomCSS != "a{}" {
		t.Fatalf("%+v %v", got, err)
	}
}
