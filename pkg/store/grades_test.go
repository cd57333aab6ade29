package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// The queue's transitions: a claim is exclusive, a delivery confirms the
// version it sent (a newer value queued meanwhile stays pending), a lost
// claim records nothing, retries end in failed.
func TestGradeQueueTransitions(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	tool := store.NewTool(3, 13, 3, 5, 1)
	store.InsertTool(ctx, db, tool)
	store.SaveOutcome(ctx, db, &store.Outcome{ToolID: tool.ID, UserID: 3, ConsumerKey: "k", ResourceLinkID: "l", ServiceURL: "https://lms/o", SourcedID: "s"})
	targets, err := store.GradeTargetsOfTool(ctx, db, tool.ID)
	if err != nil || len(targets) != 1 {
		t.Fatal(targets, err)
	}
	r := &store.GradeRow{State: store.GradePending, Score: sql.NullString{String: "0.8", Valid: true}, Version: 1, NextAttempt: 100, TimeCreated: 1, TimeModified: 1}
	r.SetTarget(targets[0])
	if err := store.InsertGradeRow(ctx, db, r); err != nil {
		t.Fatal(err)
	}
	if err := store.InsertGradeRow(ctx, db, r); err == nil {
		t.Fatal("second row for one target")
	}
	due, _ := store.DueGrades(ctx, db, 99, 10, store.DueFilter{})
	if len(due) != 0 {
		t.Fatal("due before nextattempt")
	}
	due, _ = store.DueGrades(ctx, db, 100, 10, store.DueFilter{})
	if len(due) != 1 || due[0].ToolSecret != tool.Secret {
		t.Fatalf("%+v", due)
	}
	if ok, _ := store.ClaimGrade(ctx, db, r.ID, 1, "A", 200, 100); !ok {
		t.Fatal("claim")
	}
	if ok, _ := store.ClaimGrade(ctx, db, r.ID, 1, "B", 200, 150); ok {
		t.Fatal("second claim while the first holds")
	}
	// A newer value arrives while A sends 0.8.
	tdb.Exec(t, "UPDATE {local_ltiprovider_grade} SET score = '0.9', version = 2 WHERE id = ?", r.ID)
	if ok, _ := store.GradeDelivered(ctx, db, r.ID, "B", 1, r.Score, targets[0].Hash(), 160); ok {
		t.Fatal("delivery recorded for a claim not held")
	}
	if ok, _ := store.GradeDelivered(ctx, db, r.ID, "A", 1, r.Score, targets[0].Hash(), 160); !ok {
		t.Fatal("delivery not recorded")
	}
	row := tdb.Rows(t, "SELECT state, score, sentscore, attempts, claimedby FROM {local_ltiprovider_grade} WHERE id = ?", r.ID)[0]
	if row["state"] != "pending" || row["score"] != "0.9" || row["sentscore"] != "0.8" || row["attempts"] != "0" || row["claimedby"] != "" {
		t.Fatalf("%v", row)
	}
	// Retries end in failed with the count and the last error.
	for i, want := range []string{"pending", "failed"} {
		if ok, _ := store.ClaimGrade(ctx, db, r.ID, 2, "C", 500, 400); !ok {
			t.Fatal("claim", i)
		}
		store.GradeRetry(ctx, db, r.ID, "C", 400, "HTTP 503", 2, 400)
		if got := tdb.Rows(t, "SELECT state FROM {local_ltiprovider_grade} WHERE id = ?", r.ID)[0]["state"]; got != want {
			t.Fatalf("attempt %d: %v", i+1, got)
		}
	}
	if got := tdb.Rows(t, "SELECT lasterror FROM {local_ltiprovider_grade} WHERE id = ?", r.ID)[0]["lasterror"]; got != "gave up after 2 attempts: HTTP 503" {
		t.Fatalf("%v", got)
	}
	// Resend marks; the report joins the user's name.
	if n, _ := store.ResendGrades(ctx, db, tool.ID, nil, 500); n != 1 {
		t.Fatal("resend")
	}
	rep, err := store.GradeReport(ctx, db, tool.ID)
	if err != nil || len(rep) != 1 || rep[0].Username != "student1" || !rep[0].Resend {
		t.Fatalf("%+v %v", rep, err)
	}
}
