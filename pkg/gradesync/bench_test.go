package gradesync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/gradesync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes/outcomestest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// BenchmarkDelivery measures grades delivered per second to one consumer
// that answers in 20 ms (like a real LMS across a network), sending one
// request at a time against sending several at once. Each iteration
// queues every grade again (a resend of all) and drains the queue; the
// planning is not timed.
//
//	go test -run '^$' -bench Delivery ./pkg/gradesync/
func BenchmarkDelivery(b *testing.B) {
	const users = 100
	db, tdb := testenv.DB(b)
	clk := newClock()
	c := outcomestest.New(key, secret)
	c.SetClock(clk.Now)
	defer c.Close()
	c.Latency = 20 * time.Millisecond
	tool := store.NewTool(courseID, courseContext, 3, 5, 1795754326)
	tool.Secret = secret
	ctx := context.Background()
	if err := store.InsertTool(ctx, db, tool); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < users; i++ {
		u := newUser(b, tdb, i)
		enrol(b, tdb, u)
		grade(b, tdb, assignItem, u, f(float64(i%100)))
		if err := store.SaveOutcome(ctx, db, &store.Outcome{ToolID: tool.ID, UserID: u, ConsumerKey: key, ResourceLinkID: "l",
			ServiceURL: c.URL, SourcedID: fmt.Sprintf("src-%d", u), TimeCreated: 1, TimeModified: 1}); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name             string
		workers, perHost int
	}{
		{"one-at-a-time", 1, 1},
		{"per-host-4", 8, 4},
		{"per-host-8", 8, 8},
	} {
		b.Run(bc.name, func(b *testing.B) {
			job := newJob(db, clk)
			job.Deliverer.Workers, job.Deliverer.PerHost = bc.workers, bc.perHost
			planner := newJob(db, clk)
			planner.Deliverer = nil
			var sent int
			var busy time.Duration
			for i := 0; i < b.N; i++ {
				if _, err := store.ResendGrades(ctx, db, tool.ID, nil, clk.Now().Unix()); err != nil {
					b.Fatal(err)
				}
				if _, err := planner.Run(ctx, gradesync.Options{}); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				res, err := job.Deliverer.Run(ctx, store.DueFilter{})
				busy += time.Since(start)
				if err != nil || res.Sent != users {
					b.Fatalf("%+v %v", res, err)
				}
				sent += res.Sent
			}
			b.ReportMetric(float64(sent)/busy.Seconds(), "grades/s")
		})
	}
}
