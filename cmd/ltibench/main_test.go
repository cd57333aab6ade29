package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// A short run from nothing: a database loaded with the fixture, the
// service in this process, the four launch phases and the grade phase,
// reported as JSON; every launch lands in Moodle, the service's metrics
// counted them, the consumer got every grade.
func TestShortRun(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the fixture into a new database")
	}
	args := []string{"--duration", "400ms", "--rounds", "1", "--warmup", "400ms", "--concurrency", "4",
		"--grades", "20", "--consumer-latency", "5ms", "--json"}
	if dsn := os.Getenv("LTIPROVIDER_TEST_DSN"); dsn != "" {
		args = append(args, "--mariadb", dsn)
	}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if code := run(ctx, args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(rep.Phases) != 4 || len(rep.Ratios) != 2 {
		t.Fatalf("phases %d, ratios %d", len(rep.Phases), len(rep.Ratios))
	}
	for _, p := range rep.Phases {
		if p.Launches == 0 || p.Errors != 0 || p.PerSecond <= 0 || p.P99ms <= 0 || p.P50ms > p.P99ms {
			t.Errorf("%s: %+v", p.Name, p)
		}
		if p.Path == "http" && p.PeakRSSMB <= 0 {
			t.Errorf("%s: no peak RSS", p.Name)
		}
		if _, ok := p.CPUms["service"]; !ok {
			t.Errorf("%s: no service CPU: %v", p.Name, p.CPUms)
		}
	}
	if rep.Metrics.Error != "" || rep.Metrics.Successes != float64(rep.Metrics.Measured) || rep.Metrics.Measured == 0 {
		t.Errorf("metrics: %+v", rep.Metrics)
	}
	if g := rep.Grades; g == nil || g.Delivered != 20 || g.Errors != 0 || g.PerSecond <= 0 {
		t.Errorf("grades: %+v", g)
	}
	if !strings.HasPrefix(rep.Sessions, "file") || rep.Machine.CPUs == 0 || rep.Machine.Database == "" {
		t.Errorf("report: %+v", rep)
	}
	// The human form says the same.
	out.Reset()
	rep.print(&out)
	for _, want := range []string{"http first", "ceiling returning", "ratio, first launches", "grade delivery: 20 of 20", "targets:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
}

func TestQuantile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.95: 95 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := quantile(d, q); got != want {
			t.Errorf("q%.2f = %s, want %s", q, got, want)
		}
	}
	if quantile(nil, 0.5) != 0 || quantile(d[:1], 0.99) != time.Millisecond {
		t.Error("edge cases")
	}
}

func TestProcReadsThisProcess(t *testing.T) {
	p := proc{}
	if _, ok := p.cpu(); !ok {
		t.Skip("no /proc")
	}
	rss, peak, ok := p.memory()
	if !ok || rss <= 0 || peak < rss {
		t.Errorf("rss %d peak %d", rss, peak)
	}
}
