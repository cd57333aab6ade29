package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/gradesync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/netguard"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes/outcomestest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// gradeResult is the grade delivery phase: grades delivered per second to
// a fake consumer that answers after a set latency.
type gradeResult struct {
	Grades          int     `json:"grades"`
	Delivered       int     `json:"delivered"`
	Errors          int     `json:"errors"`
	Seconds         float64 `json:"seconds"`
	PerSecond       float64 `json:"grades_per_second"`
	ConsumerLatency string  `json:"consumer_latency"`
	Workers         int     `json:"workers"`
	PerHost         int     `json:"per_host"`
	// Bound is what the consumer's latency allows at PerHost requests at
	// once to its one host.
	Bound float64            `json:"latency_bound_per_second"`
	CPUms map[string]float64 `json:"cpu_ms_per_grade"`
}

// measureGrades queues a grade for n users who launched (each launch left
// an outcome row pointing at the fake consumer) and times the grade job's
// Deliverer draining the queue: claims, signed replaceResult requests
// through the outbound guard, recorded results.
func measureGrades(ctx context.Context, s *site, consumer *outcomestest.Consumer, o options, watch map[string]proc) (*gradeResult, error) {
	outs, err := store.OutcomesOfTool(ctx, s.db, s.tool.ID)
	if err != nil {
		return nil, err
	}
	var targets []store.Outcome
	for _, oc := range outs {
		if oc.ServiceURL == consumer.URL {
			targets = append(targets, oc)
		}
	}
	if len(targets) > o.grades {
		targets = targets[:o.grades]
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("no launch left an outcome row to send grades to")
	}
	now := time.Now().Unix()
	for i, oc := range targets {
		r := &store.GradeRow{ToolID: oc.ToolID, UserID: oc.UserID, OutcomeID: oc.ID, ConsumerKey: oc.ConsumerKey,
			ServiceURL: oc.ServiceURL, SourcedID: oc.SourcedID,
			Score:   sql.NullString{String: fmt.Sprintf("0.%02d", i%100), Valid: true},
			Version: 1, State: store.GradePending, NextAttempt: now, TimeCreated: now, TimeModified: now}
		if err := store.InsertGradeRow(ctx, s.db, r); err != nil {
			return nil, err
		}
	}
	d := &gradesync.Deliverer{
		DB: s.db,
		Client: &outcomes.Client{Guard: &netguard.Guard{
			Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, AllowHTTP: true, Timeout: 30 * time.Second}},
		Log:     slog.New(slog.DiscardHandler),
		Workers: o.gradeWorkers, PerHost: o.gradePerHost,
	}
	before := map[string]time.Duration{}
	for role, p := range watch {
		if t, ok := p.cpu(); ok {
			before[role] = t
		}
	}
	start := time.Now()
	res, err := d.Run(ctx, store.DueFilter{ToolIDs: []int64{s.tool.ID}})
	elapsed := time.Since(start)
	if err != nil {
		return nil, err
	}
	g := &gradeResult{Grades: len(targets), Delivered: res.Sent, Errors: res.Failed + res.Retried,
		Seconds: round2(elapsed.Seconds()), PerSecond: round1(float64(res.Sent) / elapsed.Seconds()),
		ConsumerLatency: o.consumerLatency.String(), Workers: o.gradeWorkers, PerHost: o.gradePerHost,
		CPUms: map[string]float64{}}
	if o.consumerLatency > 0 {
		g.Bound = round1(float64(min(o.gradeWorkers, o.gradePerHost)) / o.consumerLatency.Seconds())
	}
	for role, p := range watch {
		if t, ok := p.cpu(); ok && res.Sent > 0 {
			g.CPUms[role] = round2(float64((t - before[role]).Microseconds()) / 1000 / float64(res.Sent))
		}
	}
	// The consumer must hold every score it confirmed.
	for i, oc := range targets {
		if got, ok := consumer.Result(oc.SourcedID); !ok || got != fmt.Sprintf("0.%02d", i%100) {
			g.Errors++
		}
	}
	return g, nil
}
