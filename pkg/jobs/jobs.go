package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Result is what a run did. Empty results are logged at debug level only.
type Result interface {
	Empty() bool
}

// Job is one scheduled job.
type Job struct {
	// Name names the job in logs and its lock ("grades", "members", …).
	Name string
	// Spec is its cron expression (five fields or a descriptor).
	Spec string
	// Run does one run. ctx ends when the service stops.
	Run func(ctx context.Context) (Result, error)
}

// ErrBusy: another process holds the job's lock.
var ErrBusy = errors.New("jobs: another run of this job is in progress")

// Locker takes the named locks that keep a job to one runner.
type Locker interface {
	TryLock(ctx context.Context, name string, wait time.Duration) (*database.Lock, error)
}

// RunLocked runs fn holding the job's lock. When another process holds it
// (another replica, or a run by hand) it waits up to wait, then returns
// ErrBusy without running.
func RunLocked(ctx context.Context, db Locker, name string, wait time.Duration, fn func(ctx context.Context) (Result, error)) (Result, error) {
	lock, err := db.TryLock(ctx, "job-"+name, wait)
	if err != nil {
		return nil, fmt.Errorf("jobs: lock for %s: %w", name, err)
	}
	if lock == nil {
		return nil, ErrBusy
	}
	defer lock.Release()
	return fn(ctx)
}

// Scheduler runs jobs on their schedules.
type Scheduler struct {
	DB  Locker
	Log *slog.Logger
	// Parser reads the cron expressions (config.CronParser).
	Parser cron.ScheduleParser

	cron   *cron.Cron
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
}

func (s *Scheduler) init() {
	s.once.Do(func() {
		if s.Log == nil {
			s.Log = slog.New(slog.DiscardHandler)
		}
		if s.Parser == nil {
			s.Parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
		}
		l := cronLogger{s.Log}
		s.cron = cron.New(cron.WithParser(s.Parser), cron.WithLogger(l),
			cron.WithChain(cron.Recover(l), cron.SkipIfStillRunning(l)))
		s.ctx, s.cancel = context.WithCancel(context.Background())
	})
}

// Add schedules a job.
func (s *Scheduler) Add(j Job) error {
	s.init()
	_, err := s.cron.AddFunc(j.Spec, func() { s.runOnce(j) })
	if err != nil {
		return fmt.Errorf("jobs: schedule of %s: %w", j.Name, err)
	}
	s.Log.Info("job scheduled", "job", j.Name, "schedule", j.Spec)
	return nil
}

// runOnce is one scheduled run: under the job's lock, skipped when
// another replica holds it.
func (s *Scheduler) runOnce(j Job) {
	start := time.Now()
	res, err := RunLocked(s.ctx, s.DB, j.Name, 0, j.Run)
	took := time.Since(start).Round(time.Millisecond).String()
	switch {
	case errors.Is(err, ErrBusy):
		s.Log.Debug("job skipped: running elsewhere", "job", j.Name)
	case err != nil && s.ctx.Err() != nil:
		s.Log.Info("job stopped with the service", "job", j.Name, "took", took)
	case err != nil:
		s.Log.Error("job failed", "job", j.Name, "took", took, "err", err, "result", res)
	case res == nil || res.Empty():
		s.Log.Debug("job ran", "job", j.Name, "took", took)
	default:
		s.Log.Info("job ran", "job", j.Name, "took", took, "result", res)
	}
}

// Start starts the schedules.
func (s *Scheduler) Start() {
	s.init()
	s.cron.Start()
}

// Stop stops scheduling, cancels running jobs and waits for them until ctx
// ends. Jobs give back unfinished work (grade claims) when cancelled.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.init()
	done := s.cron.Stop()
	s.cancel()
	select {
	case <-done.Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobs: still running at shutdown: %w", ctx.Err())
	}
}

// cronLogger adapts slog to robfig/cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
