package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/admin"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/gradesync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/jobs"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/membersync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/metrics"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/netguard"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/picture"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/version"
)

// guard is the outbound client of the background jobs.
func guard(cfg *config.Config) *netguard.Guard {
	return &netguard.Guard{Allow: cfg.AllowNetworks, AllowHTTP: cfg.AllowHTTP, Timeout: cfg.Sync.Timeout}
}

// gradeJob builds the grade passback job from the configuration.
func gradeJob(cfg *config.Config, log *slog.Logger, db *database.DB) *gradesync.Job {
	return &gradesync.Job{
		DB:     db,
		Forced: cfg,
		Log:    log,
		Deliverer: &gradesync.Deliverer{
			DB:          db,
			Client:      &outcomes.Client{Guard: guard(cfg), UserAgent: "moodle-ltiprovider/" + version.Version},
			Log:         log,
			Workers:     cfg.Sync.Workers,
			PerHost:     cfg.Sync.PerHost,
			Timeout:     cfg.Sync.Timeout,
			MaxAttempts: cfg.Sync.MaxAttempts,
		},
	}
}

// memberSyncer builds membership sync from the configuration; pictures
// (nil: not fetched) takes the members' profile pictures.
func memberSyncer(cfg *config.Config, log *slog.Logger, db *database.DB, pictures *picture.Updater) *membersync.Syncer {
	s := &membersync.Syncer{
		DB:       db,
		Forced:   cfg,
		DataRoot: cfg.Moodle.DataRoot,
		AppCache: moodle.NewFileAppCache(moodleCacheDir(cfg)),
		Log:      log,
		Fetcher:  &membersync.Fetcher{Guard: guard(cfg), UserAgent: "moodle-ltiprovider/" + version.Version},
	}
	if pictures != nil { // a nil *Updater in the interface would not be nil
		s.Pictures = pictures
	}
	return s
}

// observed has the grade job's deliveries counted by the metrics.
func observed(j *gradesync.Job, m *metrics.Metrics) *gradesync.Job {
	if m != nil {
		j.Deliverer.Observer = m
	}
	return j
}

// scheduledJobs are the jobs serve runs, by their configured schedules
// ("off" leaves a job out). m counts the grade deliveries (nil: no
// metrics); pictures fetches members' pictures (nil: not fetched).
func scheduledJobs(cfg *config.Config, log *slog.Logger, db *database.DB, m *metrics.Metrics, pictures *picture.Updater) []jobs.Job {
	grades := observed(gradeJob(cfg, log, db), m)
	members := memberSyncer(cfg, log, db, pictures)
	all := []jobs.Job{
		{Name: "grades", Spec: cfg.Schedule.Grades, Run: func(ctx context.Context) (jobs.Result, error) {
			return grades.Run(ctx, gradesync.Options{})
		}},
		{Name: "members", Spec: cfg.Schedule.Members, Run: func(ctx context.Context) (jobs.Result, error) {
			return members.Run(ctx, membersync.Options{})
		}},
		{Name: "housekeeping", Spec: cfg.Schedule.Housekeeping, Run: func(ctx context.Context) (jobs.Result, error) {
			return jobs.Housekeeping(ctx, db, time.Now())
		}},
	}
	var on []jobs.Job
	for _, j := range all {
		if j.Spec != config.ScheduleOff {
			on = append(on, j)
		}
	}
	return on
}

// startScheduler schedules the jobs and starts them; m times their runs
// (nil: no metrics).
func startScheduler(log *slog.Logger, db *database.DB, list []jobs.Job, m *metrics.Metrics) (*jobs.Scheduler, error) {
	s := &jobs.Scheduler{DB: db, Log: log, Parser: config.CronParser}
	if m != nil {
		s.Observer = m
	}
	for _, j := range list {
		if err := s.Add(j); err != nil {
			return nil, err
		}
	}
	s.Start()
	return s, nil
}

// gradeResender is the administration pages' "force send grades"
// (admin.GradeResender): it marks the grades to be sent again, then runs
// the grade job for those users now, under the job's lock, for at most
// resendBudget. What is not delivered by then goes with the next run.
type gradeResender struct {
	db  *database.DB
	job *gradesync.Job
}

const resendBudget = time.Minute

func (g *gradeResender) ForceResend(ctx context.Context, toolID int64, userIDs []int64, omitCompletion bool) (admin.SyncResult, error) {
	marked, err := store.ResendGrades(ctx, g.db, toolID, userIDs, time.Now().Unix())
	if err != nil {
		return admin.SyncResult{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, resendBudget)
	defer cancel()
	o := gradesync.Options{ToolIDs: []int64{toolID}, UserIDs: userIDs, OmitCompletion: omitCompletion}
	res, err := jobs.RunLocked(rctx, g.db, "grades", 5*time.Second, func(ctx context.Context) (jobs.Result, error) { return g.job.Run(ctx, o) })
	if errors.Is(err, jobs.ErrBusy) {
		return admin.SyncResult{Summary: fmt.Sprintf("%d grade(s) marked to be sent again; a grade run is in progress, they go with the next one.", marked)}, nil
	}
	if err != nil && !errors.Is(err, gradesync.ErrNoSuchTool) {
		return admin.SyncResult{}, err
	}
	var out admin.SyncResult
	if gr, ok := res.(gradesync.Result); ok && err == nil {
		out.Summary = gr.Summary()
	} else if err != nil {
		out.Summary = "Nothing sent: " + strings.TrimPrefix(err.Error(), "gradesync: ")
	}
	rows, rerr := store.GradeReport(ctx, g.db, toolID, userIDs...)
	if rerr != nil {
		return out, rerr
	}
	for _, r := range rows {
		out.Lines = append(out.Lines, reportLine(r))
	}
	return out, nil
}

// memberSyncNow is the administration pages' "force sync members"
// (admin.MemberSyncer): the tool's sync now, whatever its syncperiod,
// under the members job's lock.
type memberSyncNow struct {
	db     *database.DB
	syncer *membersync.Syncer
	log    *slog.Logger
}

func (m *memberSyncNow) SyncTool(ctx context.Context, toolID int64) (admin.SyncResult, error) {
	rctx, cancel := context.WithTimeout(ctx, resendBudget)
	defer cancel()
	res, err := jobs.RunLocked(rctx, m.db, "members", 5*time.Second, func(ctx context.Context) (jobs.Result, error) {
		return m.syncer.Run(ctx, membersync.Options{ToolIDs: []int64{toolID}, Force: true})
	})
	switch {
	case errors.Is(err, jobs.ErrBusy):
		return admin.SyncResult{Summary: "A membership sync is in progress; try again in a moment."}, nil
	case errors.Is(err, membersync.ErrNoSuchTool):
		return admin.SyncResult{Summary: "Nothing synced: " + strings.TrimPrefix(err.Error(), "membersync: ")}, nil
	}
	mr, _ := res.(membersync.Result)
	out := admin.SyncResult{Summary: mr.Summary()}
	for _, t := range mr.Tools {
		out.Lines = append(out.Lines, t.Lines...)
		switch {
		case errors.Is(t.Err, membersync.ErrFetch):
			// What the consumer or the outbound guard said: the course's
			// manager can act on it.
			out.Lines = append(out.Lines, "error: "+t.Err.Error())
		case t.Err != nil:
			// A failure of the site: details go to the log, not the page.
			m.log.ErrorContext(ctx, "membership sync failed", "tool", t.ToolID, "err", t.Err)
			out.Lines = append(out.Lines, "error: the sync stopped on a problem of the site; the service's log has the details")
		}
	}
	return out, err
}

// reportLine describes one user's grade passback in words.
func reportLine(r store.GradeReportRow) string {
	name := strings.TrimSpace(r.Firstname + " " + r.Lastname)
	switch r.State {
	case store.GradeSent:
		return fmt.Sprintf("%s: sent %s", name, r.SentScore.String)
	case store.GradeFailed:
		return fmt.Sprintf("%s: failed: %s", name, r.LastError.String)
	case store.GradePending, store.GradeSending:
		msg := fmt.Sprintf("%s: %s, attempt %d", name, r.State, r.Attempts)
		if r.LastError.Valid {
			msg += ": " + r.LastError.String
		}
		return msg
	}
	if r.Hold != "" {
		return fmt.Sprintf("%s: nothing to send (%s)", name, r.Hold)
	}
	return fmt.Sprintf("%s: nothing to send", name)
}
