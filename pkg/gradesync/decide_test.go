package gradesync

import (
	"database/sql"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

func ns(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

var target = store.GradeTarget{ToolID: 1, UserID: 3, OutcomeID: 9, ConsumerKey: "k", ServiceURL: "https://lms/o", SourcedID: "s1"}

func sentRow(score string) *store.GradeRow {
	r := &store.GradeRow{ID: 5, State: store.GradeSent, Score: ns(score), SentScore: ns(score), SentTarget: target.Hash(), Version: 3}
	r.SetTarget(target)
	return r
}

func TestDecideScores(t *testing.T) {
	// A first grade, 0 included, is queued.
	p := decide(nil, target, Current{Score: "0", Enrolled: true}, false, 100)
	if !p.insert || p.action != ActionReplace || p.row.State != store.GradePending || p.row.Score != ns("0") || p.row.NextAttempt != 100 {
		t.Fatalf("first 0: %+v", p)
	}
	// 0.72 → 0.7: compared as text, queued.
	p = decide(sentRow("0.72"), target, Current{Score: "0.7", Enrolled: true}, false, 100)
	if p.action != ActionReplace || p.row.Score != ns("0.7") || p.row.Version != 4 || p.prevVersion != 3 || p.prevState != store.GradeSent {
		t.Fatalf("0.72→0.7: %+v", p)
	}
	// Same value: nothing.
	p = decide(sentRow("0.7"), target, Current{Score: "0.7", Enrolled: true}, false, 100)
	if p.write || p.action != ActionSettle {
		t.Fatalf("unchanged: %+v", p)
	}
	// Forced (or resend flag): queued again.
	p = decide(sentRow("0.7"), target, Current{Score: "0.7", Enrolled: true}, true, 100)
	if p.action != ActionReplace {
		t.Fatalf("forced: %+v", p)
	}
	r := sentRow("0.7")
	r.Resend = true
	if p = decide(r, target, Current{Score: "0.7", Enrolled: true}, false, 100); p.action != ActionReplace || p.row.Resend {
		t.Fatalf("resend flag: %+v", p)
	}
	// A relaunch changed the sourcedid: the same score goes to the new one.
	moved := target
	moved.SourcedID = "s2"
	if p = decide(sentRow("0.7"), moved, Current{Score: "0.7", Enrolled: true}, false, 100); p.action != ActionReplace || p.row.SourcedID != "s2" {
		t.Fatalf("moved: %+v", p)
	}
}

func TestDecideLatestWins(t *testing.T) {
	// 0.75 pending (consumer down), the grade goes back to what the consumer
	// has: the pending value is dropped.
	r := sentRow("0.7")
	r.State, r.Score, r.Attempts = store.GradePending, ns("0.75"), 2
	p := decide(r, target, Current{Score: "0.7", Enrolled: true}, false, 100)
	if p.action != ActionSettle || p.row.State != store.GradeSent || p.row.Score != ns("0.7") || p.row.Attempts != 0 {
		t.Fatalf("%+v", p)
	}
	// A newer value replaces a pending one and resets its backoff.
	r = sentRow("0.7")
	r.State, r.Score, r.Attempts, r.NextAttempt = store.GradePending, ns("0.75"), 2, 999
	p = decide(r, target, Current{Score: "0.8", Enrolled: true}, false, 100)
	if p.action != ActionReplace || p.row.Score != ns("0.8") || p.row.Attempts != 0 || p.row.NextAttempt != 100 {
		t.Fatalf("%+v", p)
	}
	// The same pending value keeps its place and backoff.
	r.Score = ns("0.8")
	if p = decide(r, target, Current{Score: "0.8", Enrolled: true}, false, 100); p.write {
		t.Fatalf("%+v", p)
	}
	// Rows being sent are not touched.
	r.State = store.GradeSending
	if p = decide(r, target, Current{Score: "0.9", Enrolled: true}, false, 100); p.write {
		t.Fatalf("%+v", p)
	}
}

func TestDecideFailuresAndRemovals(t *testing.T) {
	// A refused value is not retried until it changes.
	r := sentRow("0.7")
	r.State, r.Score = store.GradeFailed, ns("0.9")
	if p := decide(r, target, Current{Score: "0.9", Enrolled: true}, false, 100); p.write {
		t.Fatalf("refused retried: %+v", p)
	}
	if p := decide(r, target, Current{Score: "0.95", Enrolled: true}, false, 100); p.action != ActionReplace {
		t.Fatalf("changed value not queued: %+v", p)
	}
	// Out of range: recorded as failed, never queued.
	p := decide(sentRow("0.7"), target, Current{Score: "1.2", OutOfRange: true, Shown: "12 of 0–10", Enrolled: true}, false, 100)
	if p.action != ActionRefuse || p.row.State != store.GradeFailed || !p.row.LastError.Valid {
		t.Fatalf("out of range: %+v", p)
	}
	// The grade was removed: the consumer's copy is deleted…
	p = decide(sentRow("0.7"), target, Current{Enrolled: true}, false, 100)
	if p.action != ActionDelete || p.row.Score.Valid || p.row.State != store.GradePending {
		t.Fatalf("delete: %+v", p)
	}
	// …unless the user left the course (Moodle deletes grades on unenrolment).
	p = decide(sentRow("0.7"), target, Current{Enrolled: false}, false, 100)
	if p.action != ActionHold || p.row.Hold != HoldNotEnrolled || p.row.State != store.GradeSent {
		t.Fatalf("unenrolled: %+v", p)
	}
	// No grade and nothing sent: waiting.
	p = decide(nil, target, Current{Enrolled: true}, false, 100)
	if p.row.State != store.GradeWaiting || p.row.Hold != HoldNoGrade || p.action != ActionNone {
		t.Fatalf("no grade: %+v", p)
	}
	// A hold keeps what the consumer has and only notes why.
	p = decide(sentRow("0.7"), target, Current{Hold: HoldHidden}, false, 100)
	if p.row.State != store.GradeSent || p.row.Hold != HoldHidden || p.row.Version != 3 {
		t.Fatalf("hold: %+v", p)
	}
}

func TestScoreOf(t *testing.T) {
	for _, c := range []struct {
		g, lo, hi, want string
		out             bool
		hold            string
	}{
		{"85.00000", "0.00000", "100.00000", "0.85", false, ""},
		{"85.00000", "0.00000", "200.00000", "0.425", false, ""},
		{"7.20000", "0.00000", "10.00000", "0.72", false, ""},
		{"7.00000", "0.00000", "10.00000", "0.7", false, ""},
		{"0.00000", "0.00000", "10.00000", "0", false, ""},
		{"10.00000", "0.00000", "10.00000", "1", false, ""},
		{"1.00000", "0.00000", "3.00000", "0.333333333333", false, ""},
		{"2.00000", "1.00000", "3.00000", "0.5", false, ""}, // a scale: 1..3
		{"55.00000", "10.00000", "100.00000", "0.5", false, ""},
		{"12.00000", "0.00000", "10.00000", "1.2", true, ""},
		{"99999.99999", "0.00000", "99999.99998", "1.0000000001", true, ""},
		{"-1.00000", "0.00000", "10.00000", "-0.1", true, ""},
		{"5.00000", "10.00000", "10.00000", "", false, HoldNoRange},
	} {
		got := scoreOf(c.g, c.lo, c.hi)
		if got.Score != c.want || got.OutOfRange != c.out || got.Hold != c.hold {
			t.Errorf("%s of %s–%s: %+v", c.g, c.lo, c.hi, got)
		}
	}
}
