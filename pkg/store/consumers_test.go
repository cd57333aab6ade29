package store_test

import (
	"context"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestConsumerKeys(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	tool := store.NewTool(3, 13, 3, 5, 1)
	if err := store.InsertTool(ctx, db, tool); err != nil {
		t.Fatal(err)
	}
	check := func(key string, wantBound bool, wantTotal int) {
		t.Helper()
		bound, total, err := store.ConsumerKeyBound(ctx, db, tool.ID, key)
		if err != nil || bound != wantBound || total != wantTotal {
			t.Fatalf("%q: bound %v total %d err %v; want %v %d", key, bound, total, err, wantBound, wantTotal)
		}
	}
	check("consumer-A", false, 0)
	for i := 0; i < 2; i++ { // binding twice changes nothing
		if err := store.BindConsumerKey(ctx, db, tool.ID, "consumer-A", 5); err != nil {
			t.Fatal(err)
		}
	}
	check("consumer-A", true, 1)
	check("CONSUMER-A", false, 1) // keys are case-sensitive, whatever the collation
	if err := store.BindConsumerKey(ctx, db, tool.ID, "", 5); err == nil {
		t.Error("an empty key was bound")
	}
	store.BindConsumerKey(ctx, db, tool.ID, "consumer-B", 6)
	keys, err := store.ConsumerKeysOfTool(ctx, db, tool.ID)
	if err != nil || len(keys) != 2 || keys[0].Key != "consumer-A" || keys[0].TimeCreated != 5 || keys[1].Key != "consumer-B" {
		t.Fatalf("%+v %v", keys, err)
	}
	if ok, err := store.UnbindConsumerKey(ctx, db, tool.ID, "consumer-A"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := store.UnbindConsumerKey(ctx, db, tool.ID, "consumer-A"); ok {
		t.Error("unbound twice")
	}
	check("consumer-B", true, 1)
	store.DeleteTool(ctx, db, tool.ID)
	if n := tdb.Count(t, "local_ltiprovider_consumer", ""); n != 0 {
		t.Errorf("%d keys left after the tool was deleted", n)
	}
}

// A launch keeps the oldest of a plugin site's duplicate rows, never adds
// one, and never blanks outcome data with empty values.
func TestRecordToolUserLaunch(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	tdb.Exec(t, `INSERT INTO {local_ltiprovider_user} (id, userid, toolid, serviceurl, sourceid, consumerkey, consumersecret, lastgrade, lastsync, lastaccess)
		VALUES (10, 3, 7, 'https://lms/o', 'src', 'k', 'plugin-secret', 85, 100, 100), (11, 3, 7, 'https://lms/o', 'src', 'k', 'plugin-secret', 85, 100, 100)`)
	err := store.RecordToolUserLaunch(ctx, db, store.ToolUserLaunch{ToolID: 7, UserID: 3, ConsumerKey: "k",
		MembershipsURL: "https://lms/m", MembershipsID: "m1", Now: 200})
	if err != nil {
		t.Fatal(err)
	}
	rows := tdb.Rows(t, "SELECT id, serviceurl, sourceid, consumersecret, lastgrade, lastaccess, membershipsurl, membershipsid FROM {local_ltiprovider_user} ORDER BY id")
	if len(rows) != 2 || rows[0]["lastaccess"] != "200" || rows[0]["sourceid"] != "src" || rows[0]["serviceurl"] != "https://lms/o" ||
		rows[0]["membershipsurl"] != "https://lms/m" || rows[0]["membershipsid"] != "m1" || rows[0]["lastgrade"] != "85" ||
		rows[0]["consumersecret"] != "plugin-secret" || rows[1]["lastaccess"] != "100" {
		t.Fatalf("%v", rows)
	}
	store.RecordToolUserLaunch(ctx, db, store.ToolUserLaunch{ToolID: 7, UserID: 4, ConsumerKey: "k", ServiceURL: "https://lms/o", SourceID: "s4", Now: 300})
	row := tdb.Rows(t, "SELECT consumersecret, lastgrade, lastsync, lastaccess, sourceid FROM {local_ltiprovider_user} WHERE userid = 4")
	if len(row) != 1 || row[0]["consumersecret"] != "" || row[0]["lastgrade"] != "0" || row[0]["lastsync"] != "0" || row[0]["sourceid"] != "s4" {
		t.Fatalf("new row %v", row)
	}
}
