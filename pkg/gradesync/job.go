package gradesync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Options narrow or change a run.
type Options struct {
	ToolIDs []int64 // only these tools
	UserIDs []int64 // only these users
	// Force sends every current grade, even those the consumer has.
	Force bool
	// DryRun decides what would be sent and writes and sends nothing.
	DryRun bool
	// OmitCompletion sends grades of tools with requirecompletion even to
	// users who have not completed (an administrator's forced resend).
	OmitCompletion bool
	// Keep returns every decision in Result.Plan.Planned.
	Keep bool
}

// Result is what a run did.
type Result struct {
	Plan     PlanResult
	Delivery DeliveryResult
}

// Empty reports whether the run did nothing worth logging.
func (r Result) Empty() bool {
	return r.Plan.Queued == 0 && r.Plan.Refused == 0 && r.Delivery == (DeliveryResult{})
}

// Summary says in one line what the run did, e.g. "2 queued, 2 sent, 1
// retrying, 3 waiting".
func (r Result) Summary() string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(r.Plan.Queued, "queued")
	add(r.Delivery.Sent, "sent")
	add(r.Delivery.Deleted, "deleted")
	add(r.Delivery.Retried, "retrying")
	add(r.Delivery.Failed, "failed")
	add(r.Plan.Refused, "out of range")
	add(r.Plan.Held, "waiting")
	add(r.Delivery.Released, "given back")
	add(r.Delivery.Lost, "taken by another process")
	if len(parts) == 0 {
		return fmt.Sprintf("%d targets, nothing to send", r.Plan.Targets)
	}
	return strings.Join(parts, ", ")
}

// LogValue is how a result appears in logs.
func (r Result) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("tools", r.Plan.Tools), slog.Int("targets", r.Plan.Targets),
		slog.Int("queued", r.Plan.Queued), slog.Int("held", r.Plan.Held), slog.Int("refused", r.Plan.Refused),
		slog.Int("sent", r.Delivery.Sent), slog.Int("deleted", r.Delivery.Deleted), slog.Int("retrying", r.Delivery.Retried),
		slog.Int("failed", r.Delivery.Failed), slog.Int("released", r.Delivery.Released))
}

// Job is the grade passback job: for every enabled tool that sends grades,
// work out what Moodle shows each LTI user, queue what changed, then
// deliver what is due. Scheduling and the single-runner lock are the
// caller's (pkg/jobs).
type Job struct {
	DB *database.DB
	// Forced is config.php's $CFG values, applied over Moodle's config.
	Forced    moodle.Forced
	Deliverer *Deliverer
	Log       *slog.Logger
	Now       func() time.Time
}

// ErrNoSuchTool: --tool named a tool that does not exist or does not send
// grades.
var ErrNoSuchTool = errors.New("gradesync: no such tool sending grades")

// Run plans and delivers once.
func (j *Job) Run(ctx context.Context, o Options) (Result, error) {
	var res Result
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	log := j.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tools, err := j.tools(ctx, o.ToolIDs)
	if err != nil {
		return res, err
	}
	site, err := moodle.LoadSite(ctx, j.DB, j.Forced)
	if err != nil {
		return res, err
	}
	planner := &Planner{Q: j.DB, Force: o.Force, DryRun: o.DryRun, Keep: o.Keep || o.DryRun,
		Computer: &Computer{Q: j.DB, Site: site, Now: now().Unix(), OmitCompletion: o.OmitCompletion}}
	var errs []error
	for i := range tools {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if err := planner.PlanTool(ctx, &tools[i], &res.Plan, o.UserIDs...); err != nil {
			// One tool's trouble must not stop the others.
			log.Error("grade sync: planning failed", "tool", tools[i].ID, "err", err)
			errs = append(errs, err)
		}
	}
	if o.DryRun {
		return res, errors.Join(errs...)
	}
	if j.Deliverer != nil {
		ids := o.ToolIDs
		d, err := j.Deliverer.Run(ctx, store.DueFilter{ToolIDs: ids, UserIDs: o.UserIDs})
		res.Delivery = d
		if err != nil {
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
}

// tools returns the tools to plan: enabled, sending grades, and among ids
// when given.
func (j *Job) tools(ctx context.Context, ids []int64) ([]store.Tool, error) {
	tools, err := store.SelectTools(ctx, j.DB, ids, func(t *store.Tool) bool { return !t.Disabled && t.SendGrades })
	var ns *store.ToolNotSelected
	if errors.As(err, &ns) && !ns.Missing {
		return nil, fmt.Errorf("%w: tool %d is disabled or does not send grades", ErrNoSuchTool, ns.ID)
	} else if ns != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoSuchTool, ns)
	}
	return tools, err
}
