package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/gradesync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/jobs"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/netguard"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes"
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
		Forced: cfg.Forced,
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

// scheduledJobs are the jobs serve runs, by their configured schedules
// ("off" leaves a job out).
func scheduledJobs(cfg *config.Config, log *slog.Logger, db *database.DB) []jobs.Job {
	grades := gradeJob(cfg, log, db)
	all := []jobs.Job{
		{Name: "grades", Spec: cfg.Schedule.Grades, Run: func(ctx context.Context) (jobs.Result, error) {
			return grades.Run(ctx, gradesync.Options{})
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

// startScheduler schedules the jobs and starts them.
func startScheduler(log *slog.Logger, db *database.DB, list []jobs.Job) (*jobs.Scheduler, error) {
	s := &jobs.Scheduler{DB: db, Log: log, Parser: config.CronParser}
	for _, j := range list {
		if err := s.Add(j); err != nil {
			return nil, err
		}
	}
	s.Start()
	return s, nil
}
