package services_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// prov1Tool adds a course tool on PROV1 (course 3) with its own secret: what
// a teacher of PROV1 creates on the edit page and may read there.
func prov1Tool(t *testing.T, e *env) *store.Tool {
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
	return tool
}

// Creating a course is the global shared secret's power (docs/security.md,
// as for launches): a request verified with one tool's secret must not
// create a course for another context, from any template course, with its
// users' data. Nothing is written but the spent nonce.
func TestCreateContextNeedsTheGlobalSecret(t *testing.T) {
	e := newEnv(t)
	tool := prov1Tool(t, e)
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
