package gradesync

import (
	"context"
	"errors"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Planned is one decision of a run, for --dry-run and logs.
type Planned struct {
	ToolID    int64
	UserID    int64
	Target    store.GradeTarget
	Action    string // ActionReplace, ActionDelete, ActionRefuse, ActionHold, ActionSettle or ActionNone
	Score     string // the score to send ("" for a deletion)
	Previous  string // what the consumer last confirmed ("" for nothing)
	Hold      string
	Shown     string
	OutOfDate bool // the row was left alone because it changed during the run
}

// PlanResult counts what planning did.
type PlanResult struct {
	Tools    int
	Targets  int
	Queued   int // replaceResult or deleteResult queued
	Held     int
	Refused  int // out-of-range scores recorded, not sent
	Settled  int
	Conflict int // rows changed by someone else meanwhile; decided next run
	Planned  []Planned
}

// Planner decides, for each target of a tool, what to queue.
type Planner struct {
	Q        database.Querier
	Computer *Computer
	// Force queues every current grade even if the consumer has it.
	Force bool
	// DryRun decides without writing anything.
	DryRun bool
	// Keep collects every decision in PlanResult.Planned.
	Keep bool
}

// PlanTool plans one tool (for userIDs only, when given).
func (p *Planner) PlanTool(ctx context.Context, tool *store.Tool, res *PlanResult, userIDs ...int64) error {
	now := p.Computer.Now
	targets, err := store.GradeTargetsOfTool(ctx, p.Q, tool.ID, userIDs...)
	if err != nil {
		return err
	}
	rows, err := store.GradeRowsOfTool(ctx, p.Q, tool.ID, userIDs...)
	if err != nil {
		return err
	}
	byKey := map[[2]int64]*store.GradeRow{}
	for i := range rows {
		byKey[[2]int64{rows[i].OutcomeID, rows[i].LTIUserID}] = &rows[i]
	}
	var users []int64
	seen := map[int64]bool{}
	for _, t := range targets {
		if !seen[t.UserID] {
			seen[t.UserID] = true
			users = append(users, t.UserID)
		}
	}
	current, err := p.Computer.Compute(ctx, tool, users)
	if err != nil {
		return fmt.Errorf("grades of tool %d: %w", tool.ID, err)
	}
	res.Tools++
	for _, t := range targets {
		res.Targets++
		old := byKey[[2]int64{t.OutcomeID, t.LTIUserID}]
		cur := current[t.UserID]
		pl := decide(old, t, cur, p.Force, now)
		done := Planned{ToolID: tool.ID, UserID: t.UserID, Target: t, Action: pl.action, Hold: cur.Hold, Shown: cur.Shown}
		if pl.row.Score.Valid {
			done.Score = pl.row.Score.String
		}
		if old != nil && old.SentScore.Valid {
			done.Previous = old.SentScore.String
		}
		if pl.write && !p.DryRun {
			ok, err := p.write(ctx, &pl)
			if err != nil {
				return err
			}
			if !ok {
				res.Conflict++
				done.OutOfDate = true
			}
		}
		if !done.OutOfDate {
			switch pl.action {
			case ActionReplace, ActionDelete:
				res.Queued++
			case ActionHold:
				res.Held++
			case ActionRefuse:
				res.Refused++
			case ActionSettle:
				res.Settled++
			}
		}
		if p.Keep {
			res.Planned = append(res.Planned, done)
		}
	}
	if !p.DryRun {
		// The plugin's column: when the tool's grades were last looked at.
		if err := store.SetToolGradeSync(ctx, p.Q, tool.ID, now); err != nil {
			return err
		}
	}
	return nil
}

func (p *Planner) write(ctx context.Context, pl *plan) (bool, error) {
	if pl.insert {
		err := store.InsertGradeRow(ctx, p.Q, &pl.row)
		if errors.Is(err, database.ErrDuplicate) {
			return false, nil
		}
		return err == nil, err
	}
	return store.UpdateGradePlan(ctx, p.Q, &pl.row, pl.prevVersion, pl.prevState)
}
