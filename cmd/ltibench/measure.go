package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes/outcomestest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
)

// measure sets the site up, runs the phases and tears everything down.
func measure(ctx context.Context, o options, out io.Writer) (*report, error) {
	rep := &report{Date: time.Now().UTC().Format(time.RFC3339), Machine: describeMachine(),
		Concurrency: o.concurrency, Rounds: o.rounds, PhaseSeconds: o.duration.Seconds(), Command: strings.Join(os.Args, " ")}
	s, err := setUp(ctx, o, out)
	if s != nil {
		defer s.close(o.keep, out)
	}
	if err != nil {
		return nil, err
	}
	rep.Machine.Database = s.demo.Server
	rep.GOMAXPROCS = runtime.GOMAXPROCS(0)
	rep.Service = "in process (launch endpoint as `ltiprovider serve` mounts it)"
	if o.binary != "" {
		rep.Service = o.binary + " serve, in a child process"
	}
	rep.Sessions, err = s.sessionStrategy(ctx)
	if err != nil {
		return nil, err
	}

	self := proc{name: "ltibench"}
	svc := s.svc.proc()
	httpWatch := map[string]proc{"service": svc}
	if o.binary != "" {
		httpWatch["load_generator"] = self
	} else {
		rep.Notes = append(rep.Notes, "The service runs in ltibench's process: its CPU and memory include the load generator's.")
	}
	ceilWatch := map[string]proc{"service": self}
	if s.dbProc != nil {
		httpWatch["database"] = *s.dbProc
		ceilWatch["database"] = *s.dbProc
		if s.demo.ServerPID() != 0 {
			rep.Notes = append(rep.Notes, "The database server is ltibench's own: its CPU is the run's alone.")
		} else {
			rep.Notes = append(rep.Notes, "Database CPU is all of the server's, including other clients of the same server.")
		}
	} else {
		rep.Notes = append(rep.Notes, "The database server's CPU could not be read (not on this machine, or not one server).")
	}

	// The consumer's outcome service, which the launches name and the
	// grade phase delivers to.
	consumer := outcomestest.New(consumerKey, s.tool.Secret)
	defer consumer.Close()
	consumer.Latency = o.consumerLatency
	outcomeURL := consumer.URL
	run := fmt.Sprintf("u%d", time.Now().Unix())
	u := &users{run: run}
	fresh := func() (string, bool) { return u.fresh(), true }
	httpL := newHTTPLauncher(s, o.concurrency, outcomeURL)
	ceilL := &ceilingLauncher{h: s.ceiling, toolID: s.tool.ID, outcomeURL: outcomeURL, wwwroot: s.wwwroot}
	svcProc := svc

	fmt.Fprintf(out, "Warming up for %s…\n", o.warmup)
	warmHTTP := 0 // successful launches over HTTP, which the service's metrics count too
	for _, l := range []launcher{httpL, ceilL} {
		w := runPhase(ctx, l, o.concurrency, o.warmup/2, fresh, u.launched, nil, nil)
		if w.launches == 0 || w.errors > 0 {
			return nil, fmt.Errorf("warm-up: %d of %d launches failed: %s", w.errors, w.launches, w.firstErr)
		}
		if l == launcher(httpL) {
			warmHTTP = w.launches
		}
	}

	stopProfile, err := startProfile(o, s)
	if err != nil {
		return nil, err
	}
	phases := []*phase{
		{Name: "http first", Path: "http", Users: "first"},
		{Name: "ceiling first", Path: "ceiling", Users: "first"},
		{Name: "http returning", Path: "http", Users: "returning"},
		{Name: "ceiling returning", Path: "ceiling", Users: "returning"},
	}
	for r := 1; r <= o.rounds; r++ {
		for _, p := range phases {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			fmt.Fprintf(out, "Round %d/%d: %s…\n", r, o.rounds, p.Name)
			var l launcher = httpL
			watch, rss := httpWatch, &svcProc
			if p.Path == "ceiling" {
				l, watch, rss = ceilL, ceilWatch, nil
			}
			pick, done := fresh, u.launched
			if p.Users == "returning" {
				pick, done = u.returning, nil
			}
			p.add(runPhase(ctx, l, o.concurrency, o.duration, pick, done, watch, rss))
		}
	}
	if err := stopProfile(); err != nil {
		fmt.Fprintln(out, "CPU profile:", err)
	} else if o.cpuProfile != "" {
		rep.Notes = append(rep.Notes, "CPU profile of the service written to "+o.cpuProfile+".")
	}
	rep.Phases = phases
	rep.Metrics = s.checkMetrics(phases, warmHTTP)
	if o.grades > 0 {
		fmt.Fprintf(out, "Delivering %d grades to a consumer answering in %s…\n", o.grades, o.consumerLatency)
		gw := map[string]proc{"service": self}
		if s.dbProc != nil {
			gw["database"] = *s.dbProc
		}
		if rep.Grades, err = measureGrades(ctx, s, consumer, o, gw); err != nil {
			return nil, fmt.Errorf("grade delivery: %w", err)
		}
	}
	rep.evaluate()
	return rep, nil
}

// sessionStrategy says how launches hand browsers to Moodle on this site.
func (s *site) sessionStrategy(ctx context.Context) (string, error) {
	site, err := moodle.LoadSite(ctx, s.db, s.cfg)
	if err != nil {
		return "", err
	}
	c, err := session.Choose(s.cfg.Session, site)
	if err != nil {
		return "", err
	}
	return c.Strategy + ": " + c.Why, nil
}

// startProfile starts a CPU profile of the service: this process's, or
// the child's through its pprof endpoint, until the returned function is
// called.
func startProfile(o options, s *site) (func() error, error) {
	if o.cpuProfile == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(o.cpuProfile)
	if err != nil {
		return nil, err
	}
	if o.binary == "" {
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		return func() error { pprof.StopCPUProfile(); return f.Close() }, nil
	}
	// The child profiles for as long as the rounds last.
	secs := int((o.duration * 4 * time.Duration(o.rounds)).Seconds()) + 1
	url := strings.TrimSuffix(s.svc.metricsURL(), "/metrics") + "/debug/pprof/profile?seconds=" + strconv.Itoa(secs)
	done := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Timeout: time.Duration(secs+60) * time.Second}).Get(url)
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			done <- fmt.Errorf("%s answered %s", url, resp.Status)
			return
		}
		_, err = io.Copy(f, resp.Body)
		done <- err
	}()
	return func() error {
		err := <-done
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}, nil
}

// checkMetrics reads the service's /metrics after the run: it must have
// counted every successful launch over HTTP.
func (s *site) checkMetrics(phases []*phase, warm int) metricsCheck {
	c := metricsCheck{URL: s.svc.metricsURL(), Measured: warm}
	resp, err := http.Get(c.URL)
	if err != nil {
		c.Error = err.Error()
		return c
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for name, dst := range map[string]*float64{
			`ltiprovider_launches_total{outcome="success"}`: &c.Successes,
			`ltiprovider_launch_duration_seconds_count`:     &c.Observed,
		} {
			if rest, ok := strings.CutPrefix(line, name+" "); ok {
				*dst, _ = strconv.ParseFloat(strings.TrimSpace(rest), 64)
			}
		}
	}
	for _, p := range phases {
		if p.Path == "http" {
			c.Measured += p.Launches - p.Errors
		}
	}
	return c
}
