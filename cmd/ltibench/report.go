package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Targets of issue 8, on a 2-core machine with MariaDB on the same
// machine, at concurrency 8.
const (
	targetRatio = 0.75  // launches/s over HTTP ÷ ceiling launches/s
	targetP99ms = 50.0  // milliseconds
	targetRSSMB = 100.0 // peak resident memory of the service
)

// report is everything a run measured.
type report struct {
	Date         string       `json:"date"`
	Command      string       `json:"command"`
	Machine      machine      `json:"machine"`
	Service      string       `json:"service"`
	Sessions     string       `json:"session_strategy"`
	GOMAXPROCS   int          `json:"gomaxprocs"`
	Concurrency  int          `json:"concurrency"`
	Rounds       int          `json:"rounds"`
	PhaseSeconds float64      `json:"phase_seconds"`
	Phases       []*phase     `json:"phases"`
	Ratios       []ratio      `json:"ratios"`
	Grades       *gradeResult `json:"grades,omitempty"`
	Metrics      metricsCheck `json:"metrics"`
	Targets      []target     `json:"targets"`
	TargetsMet   bool         `json:"targets_met"`
	Notes        []string     `json:"notes,omitempty"`
}

// ratio compares launches over HTTP with the ceiling.
type ratio struct {
	Users string  `json:"users"`
	Value float64 `json:"value"`
}

type target struct {
	Name string  `json:"name"`
	Want string  `json:"want"`
	Got  float64 `json:"got"`
	Met  bool    `json:"met"`
}

// metricsCheck is what the service's /metrics said after the run.
type metricsCheck struct {
	URL       string  `json:"url"`
	Successes float64 `json:"launches_total_success"`
	Observed  float64 `json:"launch_duration_count"`
	// Measured is how many launches over HTTP succeeded, warm-up included.
	Measured int    `json:"successful_http_launches"`
	Error    string `json:"error,omitempty"`
}

func (r *report) phase(path, users string) *phase {
	for _, p := range r.Phases {
		if p.Path == path && p.Users == users {
			return p
		}
	}
	return nil
}

// evaluate computes the ratios and checks the targets.
func (r *report) evaluate() {
	r.TargetsMet = true
	add := func(t target) {
		r.Targets = append(r.Targets, t)
		r.TargetsMet = r.TargetsMet && t.Met
	}
	peak := 0.0
	for _, users := range []string{"first", "returning"} {
		h, c := r.phase("http", users), r.phase("ceiling", users)
		if h == nil || c == nil || c.PerSecond == 0 {
			continue
		}
		v := round2(h.PerSecond / c.PerSecond)
		r.Ratios = append(r.Ratios, ratio{Users: users, Value: v})
		add(target{Name: users + " launches: launches/s ÷ ceiling", Want: fmt.Sprintf("≥ %.2f", targetRatio), Got: v, Met: v >= targetRatio})
		add(target{Name: users + " launches: p99 latency (ms)", Want: fmt.Sprintf("< %.0f", targetP99ms), Got: h.P99ms, Met: h.P99ms < targetP99ms})
		add(target{Name: users + " launches: errors", Want: "0", Got: float64(h.Errors + c.Errors), Met: h.Errors+c.Errors == 0})
		peak = max(peak, h.PeakRSSMB)
	}
	if peak > 0 {
		add(target{Name: "peak RSS of the service (MB)", Want: fmt.Sprintf("< %.0f", targetRSSMB), Got: round1(peak), Met: peak < targetRSSMB})
	}
	if g := r.Grades; g != nil {
		add(target{Name: "grade delivery: errors", Want: "0", Got: float64(g.Errors + g.Grades - g.Delivered), Met: g.Errors == 0 && g.Delivered == g.Grades})
	}
	if r.Metrics.Error == "" {
		ok := r.Metrics.Successes == float64(r.Metrics.Measured)
		add(target{Name: "metrics: launches_total{success} = successful HTTP launches", Want: fmt.Sprint(r.Metrics.Measured), Got: r.Metrics.Successes, Met: ok})
	}
}

func (r *report) print(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "\nltibench, %s\n", r.Date)
	fmt.Fprintf(w, "machine:  %d CPUs (%s), %d MB RAM, %s, %s\n", m.CPUs, m.CPUModel, m.MemoryMB, m.OS, m.Go)
	fmt.Fprintf(w, "before:   load average %s; CPU busy with other work %.0f%%\n", m.LoadAvg, m.BusyBefore*100)
	fmt.Fprintf(w, "database: %s\n", m.Database)
	fmt.Fprintf(w, "service:  %s, GOMAXPROCS %d; sessions: %s\n", r.Service, r.GOMAXPROCS, r.Sessions)
	fmt.Fprintf(w, "load:     %d launches at once; %d rounds of %.0f s per phase\n\n", r.Concurrency, r.Rounds, r.PhaseSeconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tlaunches\terrors\tlaunches/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\tCPU ms/launch\tpeak RSS MB\tothers' CPU\t")
	for _, p := range r.Phases {
		rss := "-"
		if p.PeakRSSMB > 0 {
			rss = fmt.Sprintf("%.1f", p.PeakRSSMB)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%s\t%.0f%%\t\n", p.Name, p.Launches, p.Errors, p.PerSecond,
			p.P50ms, p.P95ms, p.P99ms, p.Maxms, cpuString(p.CPUms), rss, p.OtherCPU*100)
	}
	tw.Flush()
	for _, p := range r.Phases {
		if p.FirstError != "" {
			fmt.Fprintf(w, "  %s: first error: %s\n", p.Name, p.FirstError)
		}
	}
	fmt.Fprintln(w)
	for _, p := range r.Phases {
		fmt.Fprintf(w, "  %-18s launches/s by round: %v\n", p.Name, p.RoundsPerSecond)
	}
	fmt.Fprintln(w)
	for _, rt := range r.Ratios {
		fmt.Fprintf(w, "ratio, %s launches: %.2f of the ceiling\n", rt.Users, rt.Value)
	}
	if g := r.Grades; g != nil {
		fmt.Fprintf(w, "\ngrade delivery: %d of %d grades in %.2f s = %.1f grades/s to one consumer answering in %s\n",
			g.Delivered, g.Grades, g.Seconds, g.PerSecond, g.ConsumerLatency)
		fmt.Fprintf(w, "  %d workers, %d per host: the latency allows %.0f/s; errors %d; CPU ms/grade: %s\n",
			g.Workers, g.PerHost, g.Bound, g.Errors, cpuString(g.CPUms))
	}
	if r.Metrics.Error != "" {
		fmt.Fprintf(w, "\nmetrics: %s: %s\n", r.Metrics.URL, r.Metrics.Error)
	} else {
		fmt.Fprintf(w, "\nmetrics: %s counted %.0f successful launches (%.0f timed); ltibench saw %d\n",
			r.Metrics.URL, r.Metrics.Successes, r.Metrics.Observed, r.Metrics.Measured)
	}
	fmt.Fprintln(w, "\ntargets:")
	for _, t := range r.Targets {
		mark := "met"
		if !t.Met {
			mark = "MISSED"
		}
		fmt.Fprintf(w, "  %-60s want %-6s got %-8g %s\n", t.Name, t.Want, t.Got, mark)
	}
	fmt.Fprintln(w, "note: \"others' CPU\" is the share of the machine's CPUs busy with processes ltibench does not watch, during the phase.")
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

// cpuString lists CPU per launch by process: service, load generator,
// database.
func cpuString(cpu map[string]float64) string {
	if len(cpu) == 0 {
		return "-"
	}
	short := map[string]string{"service": "svc", "load_generator": "gen", "database": "db"}
	var roles []string
	for role := range cpu {
		roles = append(roles, role)
	}
	sort.Slice(roles, func(i, j int) bool { return order(roles[i]) < order(roles[j]) })
	var parts []string
	for _, role := range roles {
		parts = append(parts, fmt.Sprintf("%s %.2f", short[role], cpu[role]))
	}
	return strings.Join(parts, " ")
}

func order(role string) int {
	return map[string]int{"service": 0, "load_generator": 1, "database": 2}[role]
}
