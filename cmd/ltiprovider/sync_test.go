package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes/outcomestest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// The sync command end to end: a course tool of PROV1 whose student has a
// course total of 85/100 in the fixture, and a fake consumer on loopback
// (allowed with --allow-networks, as an administrator would for a consumer
// on the same network).
func TestSyncCommand(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	c := outcomestest.New("consumer-A", "s3cret")
	defer c.Close()
	tool := store.NewTool(3, 13, 3, 5, 1795754326)
	tool.Secret = "s3cret"
	if err := store.InsertTool(ctx, db, tool); err != nil {
		t.Fatal(err)
	}
	store.SaveOutcome(ctx, db, &store.Outcome{ToolID: tool.ID, UserID: 3, ConsumerKey: "consumer-A", ResourceLinkID: "l",
		ServiceURL: c.URL, SourcedID: "src-1", TimeCreated: 1, TimeModified: 1})
	base := []string{"--dsn", tdb.DSN(), "--db-prefix", tdb.Prefix, "--wwwroot", "https://moodle.example.org", "--log-level", "error"}
	sh := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := run(ctx, append(args, base...), &out, &errOut)
		return out.String(), errOut.String(), code
	}

	// Loopback is refused unless allowed: the run records the refusal.
	out, errOut, code := sh("sync", "grades", "--once")
	if code != 0 || !strings.Contains(out, "1 failed") {
		t.Fatalf("%d %s %s", code, out, errOut)
	}
	if len(c.Log()) != 0 {
		t.Fatal("request sent to a loopback consumer without allow_networks")
	}
	out, _, _ = sh("sync", "report", "--tool", itoa(tool.ID))
	if !strings.Contains(out, "failed") || !strings.Contains(out, "refused by the outbound guard") {
		t.Fatalf("report: %s", out)
	}

	// Dry run: says what it would send, sends and writes nothing.
	before := tdb.Snapshot(t)
	out, errOut, code = sh("sync", "grades", "--dry-run", "--force", "--allow-networks", "127.0.0.0/8")
	if code != 0 || !strings.Contains(out, "replace  0.85") || !strings.Contains(out, "nothing was written or sent") {
		t.Fatalf("%d %s %s", code, out, errOut)
	}
	tdb.AssertUnchanged(t, before)

	// Resend for the user, now, with the consumer allowed.
	out, errOut, code = sh("sync", "resend", "--tool", itoa(tool.ID), "--user", "3", "--now", "--allow-networks", "127.0.0.0/8")
	if code != 0 || !strings.Contains(out, "1 grade(s) marked") || !strings.Contains(out, "1 sent") {
		t.Fatalf("%d %s %s", code, out, errOut)
	}
	if s, _ := c.Result("src-1"); s != "0.85" {
		t.Fatalf("consumer has %q", s)
	}
	out, _, _ = sh("sync", "report", "--tool", itoa(tool.ID), "--json")
	var rep []map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep) != 1 || rep[0]["state"] != "sent" || rep[0]["sentscore"] != "0.85" ||
		rep[0]["username"] != "student1" {
		t.Fatalf("%v %s", err, out)
	}

	// Usage errors.
	if _, _, code := sh("sync", "report"); code != 2 {
		t.Fatalf("report without --tool: %d", code)
	}
	if _, _, code := sh("sync", "resend", "--tool", "1"); code != 2 {
		t.Fatalf("resend without --user/--all: %d", code)
	}
	if _, _, code := sh("sync", "nope"); code != 2 {
		t.Fatalf("unknown job: %d", code)
	}
	if _, errOut, code := sh("sync", "grades", "--once", "--tool", "999"); code != 1 || !strings.Contains(errOut, "tool 999 does not exist") {
		t.Fatalf("%d %s", code, errOut)
	}
	out, _, code = sh("sync", "housekeeping", "--once")
	if code != 0 {
		t.Fatalf("housekeeping: %d %s", code, out)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// The administration pages' "force send grades" marks and sends at once,
// and reports per user.
func TestGradeResenderForAdminPages(t *testing.T) {
	db, _ := testenv.DB(t)
	ctx := context.Background()
	c := outcomestest.New("consumer-A", "s3cret")
	defer c.Close()
	tool := store.NewTool(3, 13, 3, 5, 1795754326)
	tool.Secret = "s3cret"
	store.InsertTool(ctx, db, tool)
	store.SaveOutcome(ctx, db, &store.Outcome{ToolID: tool.ID, UserID: 3, ConsumerKey: "consumer-A", ResourceLinkID: "l",
		ServiceURL: c.URL, SourcedID: "src-1", TimeCreated: 1, TimeModified: 1})
	cfg := &config.Config{AllowNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Sync: config.Sync{Workers: 2, PerHost: 1, Timeout: 5 * time.Second, MaxAttempts: 3}}
	g := &gradeResender{db: db, job: gradeJob(cfg, logging.Discard(), db)}
	for i := 0; i < 2; i++ { // the second time the consumer already has it: sent again
		res, err := g.ForceResend(ctx, tool.ID, []int64{3}, false)
		if err != nil || res.Summary != "1 queued, 1 sent" || len(res.Lines) != 1 || res.Lines[0] != "Stu Dent: sent 0.85" {
			t.Fatalf("%+v %v", res, err)
		}
	}
	if len(c.Accepted()) != 2 {
		t.Fatalf("%+v", c.Log())
	}
	tool.Disabled = true
	store.UpdateTool(ctx, db, tool)
	res, err := g.ForceResend(ctx, tool.ID, nil, false)
	if err != nil || !strings.Contains(res.Summary, "disabled") {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestSyncMembersCommandAndAdminAdapter(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	tool := syncingTool(t, db, store.SyncEnrolAndUnenrol)
	base := []string{"--dsn", tdb.DSN(), "--db-prefix", tdb.Prefix, "--wwwroot", "https://moodle.example.org", "--log-level", "error"}
	var out, errOut bytes.Buffer
	code := run(ctx, append([]string{"sync", "members", "--once"}, base...), &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "tool "+itoa(tool.ID)+": ok") || !strings.Contains(out.String(), "no memberships service yet") {
		t.Fatalf("%d %s %s", code, out.String(), errOut.String())
	}
	out.Reset()
	// Not due again within syncperiod, unless forced.
	run(ctx, append([]string{"sync", "members", "--once"}, base...), &out, &errOut)
	if !strings.Contains(out.String(), "not due") {
		t.Fatalf("%s", out.String())
	}
	if code := run(ctx, append([]string{"sync", "members", "--once", "--user", "3"}, base...), &out, &errOut); code != 2 {
		t.Fatalf("--user accepted for members: %d", code)
	}
	m := memberSyncNowFor(db, logging.Discard())
	res, err := m.SyncTool(ctx, tool.ID)
	if err != nil || !strings.Contains(res.Summary, "1 tool(s) synced") || len(res.Lines) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	res, err = m.SyncTool(ctx, 999)
	if err != nil || !strings.Contains(res.Summary, "does not exist") {
		t.Fatalf("%+v %v", res, err)
	}
}

// On syncmembers.php a course manager sees why a consumer's roster could
// not be read (they can fix that), never the site's internal errors.
func TestMemberSyncErrorsShownToManagers(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	tool := syncingTool(t, db, store.SyncEnrolAndUnenrol)
	tdb.Exec(t, `INSERT INTO {local_ltiprovider_user} (userid, toolid, consumerkey, membershipsurl, membershipsid, lastaccess)
		VALUES (3, ?, 'consumer-A', 'https://127.0.0.1:1/memberships', 'ctx-1', 1)`, tool.ID)
	store.BindConsumerKey(ctx, db, tool.ID, "consumer-A", 1)
	var logs bytes.Buffer
	log, _ := logging.New(&logs, "text", "info")
	m := memberSyncNowFor(db, log)
	res, err := m.SyncTool(ctx, tool.ID)
	if err != nil {
		t.Fatal(err)
	}
	if joined := strings.Join(res.Lines, "\n"); !strings.Contains(joined, "roster not read") || !strings.Contains(joined, "not a public address") {
		t.Fatalf("the manager is not told why: %+v", res)
	}
	// A failure of the site itself (here, a table the sync needs is gone)
	// is logged, and the page only says where to look.
	tdb.Exec(t, "DROP TABLE {local_ltiprovider_consumer}")
	res, _ = m.SyncTool(ctx, tool.ID)
	joined := strings.Join(res.Lines, "\n")
	if strings.Contains(joined, "local_ltiprovider_consumer") || strings.Contains(joined, "1146") {
		t.Fatalf("internal error shown on the page: %q", joined)
	}
	if !strings.Contains(joined, "problem of the site") || !strings.Contains(logs.String(), "local_ltiprovider_consumer") {
		t.Fatalf("the failure is neither reported nor logged:\npage: %s\nlog: %s", joined, logs.String())
	}
}

// `sync members` fetches the pictures of the members it creates, as
// serve's scheduled sync does, and waits for them before it exits.
func TestSyncMembersFetchesPictures(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 60, 40)))
	mux := http.NewServeMux()
	var consumer *httptest.Server
	mux.HandleFunc("/ann.png", func(w http.ResponseWriter, r *http.Request) { w.Write(img.Bytes()) })
	mux.HandleFunc("/memberships", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><message_response>
<lti_message_type>basic-lis-readmembershipsforcontext</lti_message_type>
<statusinfo><codemajor>Success</codemajor><severity>Status</severity><codeminor>fullsuccess</codeminor></statusinfo>
<memberships><member><user_id>ann-1</user_id><roles>Learner</roles><person_name_given>Ann</person_name_given>
<person_name_family>Example</person_name_family><person_contact_email_primary>ann@example.edu</person_contact_email_primary>
<user_image>`+consumer.URL+`/ann.png</user_image></member></memberships></message_response>`)
	})
	consumer = httptest.NewServer(mux)
	defer consumer.Close()
	tool := syncingTool(t, db, store.SyncEnrolNew)
	store.BindConsumerKey(ctx, db, tool.ID, "consumer-A", 1)
	tdb.Exec(t, `INSERT INTO {local_ltiprovider_user} (userid, toolid, consumerkey, membershipsurl, membershipsid, lastaccess)
		VALUES (3, ?, 'consumer-A', ?, 'ctx-1', 1)`, tool.ID, consumer.URL+"/memberships")
	dataroot := t.TempDir() // with Moodle's file pool, as Moodle made it
	os.Mkdir(filepath.Join(dataroot, "filedir"), 0o777)
	os.Mkdir(filepath.Join(dataroot, "trashdir"), 0o777)
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"sync", "members", "--once", "--force", "--dsn", tdb.DSN(), "--db-prefix", tdb.Prefix,
		"--wwwroot", "https://moodle.example.org", "--dataroot", dataroot, "--allow-networks", "127.0.0.0/8", "--log-level", "error"}, &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "1 created") {
		t.Fatalf("%d %s %s", code, out.String(), errOut.String())
	}
	rows := tdb.Rows(t, `SELECT u.picture, p.status FROM {user} u JOIN {local_ltiprovider_picture} p ON p.userid = u.id
		WHERE u.firstname = 'Ann' AND u.lastname = 'Example'`)
	if len(rows) != 1 || rows[0]["picture"] == "0" || rows[0]["status"] != "0" {
		t.Fatalf("the member's picture was not stored: %v; %s", rows, errOut.String())
	}
	if n := tdb.Count(t, "files", "component = 'user' AND filearea = 'icon' AND filename = 'f1.png'"); n < 1 {
		t.Fatalf("no icon file rows")
	}
}

// syncingTool adds a course tool on PROV1 that syncs members in mode, with
// the secret s3cret.
func syncingTool(t *testing.T, db *database.DB, mode int) *store.Tool {
	t.Helper()
	tool := store.NewTool(3, 13, 3, 5, 1795754326)
	tool.Secret = "s3cret"
	tool.SyncMembers, tool.SyncMode = true, mode
	if err := store.InsertTool(context.Background(), db, tool); err != nil {
		t.Fatal(err)
	}
	return tool
}

// memberSyncNowFor is the administration pages' member sync, without
// pictures.
func memberSyncNowFor(db *database.DB, log *slog.Logger) *memberSyncNow {
	return &memberSyncNow{db: db, syncer: memberSyncer(&config.Config{Sync: config.Sync{Timeout: 5 * time.Second}}, log, db, nil), log: log}
}
