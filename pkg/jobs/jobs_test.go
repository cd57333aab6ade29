package jobs_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/jobs"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

type result struct{ n int }

func (r result) Empty() bool { return r.n == 0 }

// Two processes (separate pools) asking for the same job at once: one runs,
// the other is told the job is busy.
func TestRunLockedOneRunner(t *testing.T) {
	db, tdb := testenv.DB(t)
	db2 := testenv.Open(t, tdb)
	started := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := jobs.RunLocked(context.Background(), db, "grades", 0, func(ctx context.Context) (jobs.Result, error) {
			close(started)
			<-release
			return result{1}, nil
		})
		done <- err
	}()
	<-started
	_, err := jobs.RunLocked(context.Background(), db2, "grades", 0, func(ctx context.Context) (jobs.Result, error) {
		t.Error("second runner ran")
		return nil, nil
	})
	if !errors.Is(err, jobs.ErrBusy) {
		t.Fatalf("%v", err)
	}
	// Another job's lock is independent.
	if _, err := jobs.RunLocked(context.Background(), db2, "members", 0, func(ctx context.Context) (jobs.Result, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Released: the next run gets it.
	if _, err := jobs.RunLocked(context.Background(), db2, "grades", 0, func(ctx context.Context) (jobs.Result, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
}

// Two replicas schedule the same slow job every second: runs never
// overlap, neither within a replica (SkipIfStillRunning) nor across them
// (the lock); Stop cancels the run in progress and waits for it.
func TestSchedulersNeverOverlap(t *testing.T) {
	db, tdb := testenv.DB(t)
	var running, maxRunning, runs int32
	var cancelled atomic.Bool
	job := jobs.Job{Name: "slow", Spec: "@every 1s", Run: func(ctx context.Context) (jobs.Result, error) {
		n := atomic.AddInt32(&running, 1)
		defer atomic.AddInt32(&running, -1)
		for {
			m := atomic.LoadInt32(&maxRunning)
			if n <= m || atomic.CompareAndSwapInt32(&maxRunning, m, n) {
				break
			}
		}
		atomic.AddInt32(&runs, 1)
		select {
		case <-time.After(1500 * time.Millisecond):
		case <-ctx.Done():
			cancelled.Store(true)
			return nil, ctx.Err()
		}
		return result{1}, nil
	}}
	var scheds []*jobs.Scheduler
	for _, d := range []any{db, testenv.Open(t, tdb)} {
		s := &jobs.Scheduler{DB: d.(jobs.Locker)}
		if err := s.Add(job); err != nil {
			t.Fatal(err)
		}
		s.Start()
		scheds = append(scheds, s)
	}
	time.Sleep(4500 * time.Millisecond)
	var wg sync.WaitGroup
	for _, s := range scheds {
		wg.Add(1)
		go func(s *jobs.Scheduler) {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := s.Stop(ctx); err != nil {
				t.Error(err)
			}
		}(s)
	}
	wg.Wait()
	if maxRunning != 1 {
		t.Fatalf("%d runs at once", maxRunning)
	}
	if runs < 2 || runs > 4 {
		t.Fatalf("%d runs in 4.5 s of a 1.5 s job", runs)
	}
	if running != 0 {
		t.Fatal("a run outlived Stop")
	}
	t.Logf("%d runs, cancelled at stop: %v", runs, cancelled.Load())
}

func TestHousekeeping(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	now := time.Unix(1795760000, 0)
	n := &store.Nonces{DB: db}
	n.Use(ctx, "k", "old", now.Add(-time.Minute))
	n.Use(ctx, "k", "new", now.Add(time.Minute))
	// A queue row of a deleted tool, and one of a live tool.
	tool := store.NewTool(3, 13, 3, 5, 1)
	store.InsertTool(ctx, db, tool)
	store.SaveOutcome(ctx, db, &store.Outcome{ToolID: tool.ID, UserID: 3, ConsumerKey: "k", ResourceLinkID: "l", ServiceURL: "https://x", SourcedID: "s"})
	targets, _ := store.GradeTargetsOfTool(ctx, db, tool.ID)
	live := &store.GradeRow{State: store.GradeWaiting, TimeCreated: 1, TimeModified: 1}
	live.SetTarget(targets[0])
	orphan := *live
	orphan.ToolID, orphan.OutcomeID, orphan.LTIUserID = 999, 0, 12345
	for _, r := range []*store.GradeRow{live, &orphan} {
		if err := store.InsertGradeRow(ctx, db, r); err != nil {
			t.Fatal(err)
		}
	}
	store.LogMember(ctx, db, store.MemberLogEntry{ToolID: tool.ID, CourseID: 3, UserID: 3, Action: store.MemberUnenrolled, TimeCreated: now.Add(-400 * 24 * time.Hour).Unix()})
	store.LogMember(ctx, db, store.MemberLogEntry{ToolID: tool.ID, CourseID: 3, UserID: 3, Action: store.MemberEnrolled, TimeCreated: now.Unix()})
	store.SetLastMemberSync(ctx, db, tool.ID, 5)
	store.SetLastMemberSync(ctx, db, 999, 5)
	store.SaveMemberSyncStatus(ctx, db, &store.MemberSyncStatus{ToolID: 999, Status: "ok"})
	res, err := jobs.Housekeeping(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	if res != (jobs.HousekeepingResult{Nonces: 1, GradeRows: 1, MemberRows: 3}) {
		t.Fatalf("%+v", res)
	}
	if tdb.Count(t, "local_ltiprovider_grade", "toolid = ?", tool.ID) != 1 || tdb.Count(t, "local_ltiprovider_memberlog", "") != 1 ||
		tdb.Count(t, "config_plugins", "name = ?", "membershipslastsync-"+strconv.FormatInt(tool.ID, 10)) != 1 {
		t.Fatal("live rows removed")
	}
	if res, _ := jobs.Housekeeping(ctx, db, now); !res.Empty() {
		t.Fatalf("second run: %+v", res)
	}
}
