package services_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// prov1Tool adds a course tool on PROV1 (course 3) with its own secret: what
// a teacher of PROV1 creates on the edit page and may read there; it
// accepts the consumer keys given.
func prov1Tool(t *testing.T, e *env, keys ...string) *store.Tool {
	t.Helper()
	ctx := context.Background()
	cctx, err := moodle.ContextOf(ctx, e.db, moodle.ContextCourse, 3)
	if err != nil {
		t.Fatal(err)
	}
	tool := store.NewTool(3, cctx.ID, 3, 5, now.Unix())
	tool.Secret = "prov1-secret"
	if err := store.InsertTool(ctx, e.db, tool); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if err := store.BindConsumerKey(ctx, e.db, tool.ID, k, 1); err != nil {
			t.Fatal(err)
		}
	}
	return tool
}

// Creating a course is the global shared secret's power (docs/security.md,
// as for launches): a request verified with one tool's secret must not
// create a course for another context, from any template course, with its
// users' data. Nothing is written but the spent nonce.
func TestCreateContextNeedsTheGlobalSecret(t *testing.T) {
	e := newEnv(t)
	tool := prov1Tool(t, e, "consumer-A")
	form := createForm("ctx-stolen")
	form.Set("custom_copy_userdata", "1")
	before := e.snapshot(t)
	rec := e.post("prov1-secret", fmt.Sprintf("id=%d", tool.ID), form)
	if rec.Code != 403 || decode(t, rec)["error"] != "rolecannotcreatecontexts" {
		t.Errorf("create_context with a tool's secret: %d %s", rec.Code, rec.Body)
	}
	e.unchanged(t, before)
	// With the global secret the same request creates the course.
	if rec := e.post(globalSecret, "", createForm("ctx-stolen")); rec.Code != 200 {
		t.Fatalf("with the global secret: %d %s", rec.Code, rec.Body)
	}
	// And the tool's secret still finds the course its tool provides.
	rec = e.post("prov1-secret", fmt.Sprintf("id=%d", tool.ID), launchForm("create_context", "context_id", "PROV1",
		"custom_context_template", "TPL1"))
	if rec.Code != 200 || decode(t, rec)["id"] != "3" {
		t.Errorf("existing course of the tool: %d %s", rec.Code, rec.Body)
	}
}

// duplicate_resource copies an activity found anywhere on the site (the
// plugin's feature), but another course's user data (its students'
// submissions, forum posts, grades) never follows into the requesting
// tool's course: the request is refused and nothing is written. Within
// the tool's own course, user data may be copied.
func TestDuplicateResourceKeepsOtherCoursesUserData(t *testing.T) {
	e := newEnv(t)
	tool := prov1Tool(t, e, "consumer-A")
	before := e.snapshot(t)
	rec := e.post("prov1-secret", fmt.Sprintf("id=%d", tool.ID), launchForm("duplicate_resource",
		"custom_resource_link_copy_id", "TPL-ESSAY", "resource_link_id", "rl-leak", "custom_copy_userdata", "1"))
	if rec.Code != 403 || decode(t, rec)["error"] != "userdatanotcopyable" {
		t.Errorf("another course's user data: %d %s", rec.Code, rec.Body)
	}
	e.unchanged(t, before)
	if n := e.tdb.Count(t, "assign_submission", ""); n != 1 {
		t.Errorf("%d submissions", n)
	}
	// Without user data the activity is copied.
	rec = e.post("prov1-secret", fmt.Sprintf("id=%d", tool.ID), launchForm("duplicate_resource",
		"custom_resource_link_copy_id", "TPL-ESSAY", "resource_link_id", "rl-content"))
	if rec.Code != 200 || decode(t, rec)["course"] != "3" {
		t.Errorf("content only: %d %s", rec.Code, rec.Body)
	}
	if n := e.tdb.Count(t, "assign_submission", ""); n != 1 {
		t.Errorf("%d submissions after a copy without user data", n)
	}
	// A tool of the template course itself may copy its own user data.
	ctx := context.Background()
	tctx, _ := moodle.ContextOf(ctx, e.db, moodle.ContextCourse, 2)
	own := store.NewTool(2, tctx.ID, 3, 5, now.Unix())
	own.Secret = "tpl1-secret"
	if err := store.InsertTool(ctx, e.db, own); err != nil {
		t.Fatal(err)
	}
	if err := store.BindConsumerKey(ctx, e.db, own.ID, "consumer-A", 1); err != nil {
		t.Fatal(err)
	}
	rec = e.post("tpl1-secret", fmt.Sprintf("id=%d", own.ID), launchForm("duplicate_resource",
		"custom_resource_link_copy_id", "TPL-ESSAY", "resource_link_id", "rl-own", "custom_copy_userdata", "1"))
	if rec.Code != 200 || decode(t, rec)["course"] != "2" {
		t.Errorf("own course's user data: %d %s", rec.Code, rec.Body)
	}
	if n := e.tdb.Count(t, "assign_submission", ""); n != 2 {
		t.Errorf("%d submissions after copying within the course", n)
	}
}

// A request verified with a tool's secret speaks for the consumer keys
// that tool accepts, as a launch does: a copy's tool binds the request's
// key, so a teacher signing with their own tool's secret under another
// consumer's key (keys are not secret) would get a tool accepting that
// key, and with it that consumer's users' accounts everywhere.
func TestServiceRequestsUseTheToolsKeys(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tool := prov1Tool(t, e)
	tctx, _ := moodle.ContextOf(ctx, e.db, moodle.ContextCourse, 2)
	lms := store.NewTool(2, tctx.ID, 3, 5, now.Unix())
	lms.Secret = "lms-secret"
	if err := store.InsertTool(ctx, e.db, lms); err != nil {
		t.Fatal(err)
	}
	if err := store.BindConsumerKey(ctx, e.db, lms.ID, "institution-lms", 1); err != nil {
		t.Fatal(err)
	}
	dup := func(link string) url.Values {
		return launchForm("duplicate_resource", "custom_resource_link_copy_id", "TPL-QUIZ", "resource_link_id", link)
	}
	q := fmt.Sprintf("id=%d", tool.ID)
	// The tool accepts no key yet: one that tools with other secrets use
	// is refused, a fresh one is fine.
	before := e.snapshot(t)
	rec := e.postAs("institution-lms", "prov1-secret", q, dup("rl-a"))
	if rec.Code != 403 || decode(t, rec)["error"] != "consumerkeynotaccepted" {
		t.Errorf("another consumer's key: %d %s", rec.Code, rec.Body)
	}
	e.unchanged(t, before)
	if rec := e.postAs("teacher-key", "prov1-secret", q, dup("rl-b")); rec.Code != 200 {
		t.Errorf("fresh key: %d %s", rec.Code, rec.Body)
	}
	// Once the tool accepts keys, only those.
	if err := store.BindConsumerKey(ctx, e.db, tool.ID, "teacher-key", 1); err != nil {
		t.Fatal(err)
	}
	before = e.snapshot(t)
	for _, key := range []string{"institution-lms", "other-fresh-key"} {
		if rec := e.postAs(key, "prov1-secret", q, dup("rl-c")); rec.Code != 403 || decode(t, rec)["error"] != "consumerkeynotaccepted" {
			t.Errorf("%s: %d %s", key, rec.Code, rec.Body)
		}
	}
	e.unchanged(t, before)
	if rec := e.postAs("teacher-key", "prov1-secret", q, dup("rl-d")); rec.Code != 200 {
		t.Errorf("bound key: %d %s", rec.Code, rec.Body)
	}
	if n := e.tdb.Count(t, "local_ltiprovider_consumer", "consumerkey = 'institution-lms'"); n != 1 {
		t.Errorf("institution-lms bound to %d tools", n)
	}
}
