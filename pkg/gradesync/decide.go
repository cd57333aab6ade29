package gradesync

import (
	"database/sql"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Actions a plan can take for a target.
const (
	ActionNone    = ""
	ActionReplace = "replace" // queue replaceResult with the current score
	ActionDelete  = "delete"  // queue deleteResult: the grade was removed in Moodle
	ActionRefuse  = "refuse"  // record an out-of-range score as failed, unsent
	ActionSettle  = "settle"  // the consumer already has the current value: nothing to send
	ActionHold    = "hold"    // nothing can be sent now (see Current.Hold)
)

// plan is what the planner does with one target.
type plan struct {
	row    store.GradeRow
	insert bool // a new row
	write  bool // the row changed
	action string
	// prevState and prevVersion guard the update against concurrent changes.
	prevState   string
	prevVersion int64
}

// decide compares what Moodle shows now (cur) with a target's queue row
// (old, nil for a target seen the first time) and returns what to write.
// The rules:
//
//   - A score is queued when it differs, as text, from what the consumer
//     last confirmed, or went to another sourcedid, or a resend was asked
//     (force or the row's resend flag). A first score, 0 included, is sent.
//   - A score the consumer already has settles the row (a queued older
//     value is dropped: latest wins).
//   - A value already queued, or refused by the consumer, is left alone
//     unless forced: a refusal is retried when the grade changes.
//   - A grade removed in Moodle, whose earlier value the consumer holds, is
//     deleted there (deleteResult), unless the user left the course.
//   - A hold changes nothing but the hold reason.
//
// Rows being delivered ("sending") are never touched.
func decide(old *store.GradeRow, t store.GradeTarget, cur Current, force bool, now int64) plan {
	p := plan{}
	if old == nil {
		p.insert, p.write = true, true
		p.row = store.GradeRow{State: store.GradeWaiting, TimeCreated: now, TimeModified: now}
		p.row.SetTarget(t)
	} else {
		if old.State == store.GradeSending {
			return plan{row: *old}
		}
		p.row, p.prevState, p.prevVersion = *old, old.State, old.Version
	}
	r := &p.row
	forced := force || r.Resend
	moved := !p.insert && (r.ServiceURL != t.ServiceURL || r.SourcedID != t.SourcedID || r.ConsumerKey != t.ConsumerKey)
	if moved {
		r.SetTarget(t)
		r.Version++
		p.write = true
	}
	setHold := func(h string) {
		if r.Hold != h {
			r.Hold, p.write = h, true
		}
	}
	enqueue := func(score sql.NullString, action string) {
		r.Score, r.State, r.Attempts, r.NextAttempt = score, store.GradePending, 0, now
		r.LastError, r.TimeError = sql.NullString{}, 0
		r.Resend = false
		r.Version++
		p.write, p.action = true, action
	}

	if cur.Hold != "" {
		setHold(cur.Hold)
		p.action = ActionHold
		return finish(p, now)
	}
	setHold("")
	hash := t.Hash()
	score := sql.NullString{String: cur.Score, Valid: cur.Score != ""}

	switch {
	case !score.Valid && !r.SentScore.Valid:
		// No grade, and the consumer has none from us: drop anything queued.
		setHold(HoldNoGrade)
		if r.State != store.GradeWaiting || r.Score.Valid || r.Resend {
			r.Score, r.State, r.Resend, r.Attempts = sql.NullString{}, store.GradeWaiting, false, 0
			r.Version++
			p.write = true
		}
	case !score.Valid:
		// The grade was removed; the consumer still shows the old one.
		if !cur.Enrolled {
			setHold(HoldNotEnrolled)
			p.action = ActionHold
			break
		}
		if r.Score.Valid || forced || moved || r.State == store.GradeSent || r.State == store.GradeWaiting {
			enqueue(score, ActionDelete)
		}
	case cur.OutOfRange:
		if r.State == store.GradeFailed && r.Score == score && !forced && !moved {
			break
		}
		r.Score, r.State, r.Resend, r.Attempts = score, store.GradeFailed, false, 0
		r.LastError = sql.NullString{Valid: true, String: fmt.Sprintf("not sent: score %s is outside 0–1 (grade %s)", cur.Score, cur.Shown)}
		r.TimeError = now
		r.Version++
		p.write, p.action = true, ActionRefuse
	case !forced && r.SentScore == score && r.SentTarget == hash:
		// The consumer has this value already.
		p.action = ActionSettle
		if r.State != store.GradeSent || r.Score != score {
			r.Score, r.State, r.Attempts = score, store.GradeSent, 0
			r.LastError, r.TimeError = sql.NullString{}, 0
			r.Version++
			p.write = true
		}
	case r.Score == score && !forced && !moved && (r.State == store.GradePending || r.State == store.GradeFailed):
		// Already queued, or refused by the consumer: leave it.
	default:
		enqueue(score, ActionReplace)
	}
	return finish(p, now)
}

func finish(p plan, now int64) plan {
	if p.write {
		p.row.TimeModified = now
	}
	return p
}
