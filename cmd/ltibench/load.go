package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/launch"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
)

// consumerKey is the key every launch of the run is signed with; the tool
// binds it on the first launch.
const consumerKey = "ltibench-consumer"

// users hands out LTI user_ids: new ones for first launches, and, for
// returning launches, users who launched before, in turn.
type users struct {
	run  string
	next atomic.Int64
	mu   sync.Mutex
	seen []string
	turn atomic.Int64
}

func (u *users) fresh() string {
	return u.run + "-" + strconv.FormatInt(u.next.Add(1), 10)
}

// launched records a user who now exists in Moodle.
func (u *users) launched(id string) {
	u.mu.Lock()
	u.seen = append(u.seen, id)
	u.mu.Unlock()
}

func (u *users) returning() (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) == 0 {
		return "", false
	}
	return u.seen[int(u.turn.Add(1)-1)%len(u.seen)], true
}

func (u *users) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.seen)
}

// launchParams are a learner's launch as Moodle 4.5's mod_lti sends it.
func launchParams(userID, outcomeURL string) url.Values {
	return url.Values{
		"lti_message_type": {"basic-lti-launch-request"}, "lti_version": {"LTI-1p0"},
		"resource_link_id": {"bench-link-1"}, "resource_link_title": {"Provided course"},
		"user_id": {userID}, "roles": {"Learner"},
		"context_id": {"bench-ctx"}, "context_label": {"BENCH"}, "context_title": {"Consumer course"},
		"lis_person_name_given":            {"Given " + userID},
		"lis_person_name_family":           {"Family"},
		"lis_person_contact_email_primary": {userID + "@consumer.example"},
		"lis_outcome_service_url":          {outcomeURL},
		"lis_result_sourcedid":             {"sourced-" + userID},
		"launch_presentation_return_url":   {"https://consumer.example/mod/lti/return.php?course=9"},
		"launch_presentation_locale":       {"en"},
		"tool_consumer_instance_guid":      {"consumer.example"},
		"oauth_consumer_key":               {consumerKey},
	}
}

// launcher runs one launch for a user; it returns the time the launch
// itself took (signing a request is the consumer's work and not counted).
type launcher interface {
	launch(ctx context.Context, userID string) (time.Duration, error)
}

// httpLauncher posts signed launches to the service, as a browser carrying
// a consumer's form does, and checks that each lands logged in on Moodle.
type httpLauncher struct {
	client     *http.Client
	wwwroot    string
	toolID     int64
	secret     string
	outcomeURL string
}

func newHTTPLauncher(s *site, concurrency int, outcomeURL string) *httpLauncher {
	return &httpLauncher{
		client: &http.Client{
			Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, MaxIdleConns: concurrency},
			// The service's answer is the redirect; Moodle is not there.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Timeout:       30 * time.Second,
		},
		wwwroot: s.wwwroot, toolID: s.tool.ID, secret: s.tool.Secret, outcomeURL: outcomeURL,
	}
}

func (l *httpLauncher) launch(ctx context.Context, userID string) (time.Duration, error) {
	target := l.wwwroot + launch.Path + "?id=" + strconv.FormatInt(l.toolID, 10)
	params := launchParams(userID, l.outcomeURL)
	var extra oauth1.Params
	for k, vs := range params {
		if k != "oauth_consumer_key" {
			extra = append(extra, oauth1.Param{Key: k, Value: vs[0]})
		}
	}
	sig, err := oauth1.Outgoing{Method: http.MethodPost, URL: target, ConsumerKey: consumerKey, Secret: l.secret, Extra: extra}.Sign()
	if err != nil {
		return 0, err
	}
	for _, p := range sig {
		params.Set(p.Key, p.Value)
	}
	body := params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	start := time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, l.wwwroot+"/course/view.php") {
		return took, fmt.Errorf("launch answered %d, Location %q", resp.StatusCode, loc)
	}
	if !hasSessionCookie(resp) {
		return took, fmt.Errorf("launch set no MoodleSession cookie")
	}
	return took, nil
}

func hasSessionCookie(resp *http.Response) bool {
	for _, c := range resp.Cookies() {
		if strings.HasPrefix(c.Name, "MoodleSession") && c.Value != "" {
			return true
		}
	}
	return false
}

// ceilingLauncher runs the same launches' database work in this process,
// without HTTP or OAuth (launch.Handler.Ceiling).
type ceilingLauncher struct {
	h          *launch.Handler
	toolID     int64
	outcomeURL string
	wwwroot    string
}

func (l *ceilingLauncher) launch(ctx context.Context, userID string) (time.Duration, error) {
	params := launchParams(userID, l.outcomeURL)
	nonce := oauth1.NewNonce()
	start := time.Now()
	dest, err := l.h.Ceiling(ctx, launch.CeilingLaunch{ToolID: l.toolID, ConsumerKey: consumerKey, Nonce: nonce,
		Params: params, ClientIP: "127.0.0.1"})
	took := time.Since(start)
	if err == nil && !strings.HasPrefix(dest, l.wwwroot+"/course/view.php") {
		err = fmt.Errorf("launch went to %q", dest)
	}
	return took, err
}

// sample is what one phase measured.
type sample struct {
	launches  int
	errors    int
	firstErr  string
	elapsed   time.Duration
	latencies []time.Duration
	cpu       map[string]time.Duration // by process role
	// others is the CPU time the machine spent on work other than the
	// processes watched (other people's, the kernel's for nobody).
	others  time.Duration
	peakRSS int64 // of the service, when known
}

// runPhase runs launches on concurrency workers for d, each with a user
// from pick, and measures them and the processes in watch.
func runPhase(ctx context.Context, l launcher, concurrency int, d time.Duration, pick func() (string, bool),
	done func(string), watch map[string]proc, rssOf *proc) sample {
	s := sample{cpu: map[string]time.Duration{}}
	before := map[string]time.Duration{}
	for role, p := range watch {
		if t, ok := p.cpu(); ok {
			before[role] = t
		}
	}
	if rssOf != nil {
		rssOf.resetPeak()
	}
	busy0, busyOK := machineBusy()
	var mu sync.Mutex
	var wg sync.WaitGroup
	// Workers start no launch after the deadline but finish the one they
	// are in, so every launch counts whole.
	start := time.Now()
	deadline := start.Add(d)
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var n, errs int
			var first string
			for ctx.Err() == nil && time.Now().Before(deadline) {
				id, ok := pick()
				if !ok {
					break
				}
				took, err := l.launch(ctx, id)
				if ctx.Err() != nil {
					break // interrupted: not counted
				}
				n++
				lat = append(lat, took)
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				if done != nil {
					done(id)
				}
			}
			mu.Lock()
			s.launches += n
			s.errors += errs
			s.latencies = append(s.latencies, lat...)
			if s.firstErr == "" {
				s.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	s.elapsed = time.Since(start)
	busy1, busyOK1 := machineBusy()
	for role, p := range watch {
		if t, ok := p.cpu(); ok {
			if b, ok := before[role]; ok {
				s.cpu[role] = t - b
			}
		}
	}
	if busyOK && busyOK1 {
		s.others = busy1 - busy0
		for _, t := range s.cpu {
			s.others -= t
		}
		s.others = max(s.others, 0)
	}
	if rssOf != nil {
		if _, peak, ok := rssOf.memory(); ok {
			s.peakRSS = peak
		}
	}
	return s
}

// phase is the sum of a phase's rounds.
type phase struct {
	Name       string             `json:"name"`
	Path       string             `json:"path"`  // http or ceiling
	Users      string             `json:"users"` // first or returning
	Launches   int                `json:"launches"`
	Errors     int                `json:"errors"`
	FirstError string             `json:"first_error,omitempty"`
	Seconds    float64            `json:"seconds"`
	PerSecond  float64            `json:"launches_per_second"`
	P50ms      float64            `json:"p50_ms"`
	P95ms      float64            `json:"p95_ms"`
	P99ms      float64            `json:"p99_ms"`
	Maxms      float64            `json:"max_ms"`
	CPUms      map[string]float64 `json:"cpu_ms_per_launch"`
	PeakRSSMB  float64            `json:"peak_rss_mb,omitempty"`
	// OtherCPU is the share of the machine's CPUs busy with other work
	// during the phase (other people's processes): noise in the figures.
	OtherCPU        float64   `json:"other_cpu_share"`
	RoundsPerSecond []float64 `json:"rounds_launches_per_second"`

	samples []sample
}

func (p *phase) add(s sample) {
	p.samples = append(p.samples, s)
	var lat []time.Duration
	var elapsed, others time.Duration
	cpu := map[string]time.Duration{}
	p.Launches, p.Errors, p.PeakRSSMB, p.RoundsPerSecond = 0, 0, 0, nil
	for _, s := range p.samples {
		p.Launches += s.launches
		p.Errors += s.errors
		if p.FirstError == "" {
			p.FirstError = s.firstErr
		}
		elapsed += s.elapsed
		others += s.others
		lat = append(lat, s.latencies...)
		for role, t := range s.cpu {
			cpu[role] += t
		}
		p.PeakRSSMB = max(p.PeakRSSMB, float64(s.peakRSS)/(1<<20))
		p.RoundsPerSecond = append(p.RoundsPerSecond, round1(float64(s.launches-s.errors)/s.elapsed.Seconds()))
	}
	p.Seconds = elapsed.Seconds()
	p.OtherCPU = round2(others.Seconds() / elapsed.Seconds() / float64(runtime.NumCPU()))
	ok := p.Launches - p.Errors
	p.PerSecond = float64(ok) / p.Seconds
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p.P50ms, p.P95ms, p.P99ms = ms(quantile(lat, .50)), ms(quantile(lat, .95)), ms(quantile(lat, .99))
	if len(lat) > 0 {
		p.Maxms = ms(lat[len(lat)-1])
	}
	p.CPUms = map[string]float64{}
	for role, t := range cpu {
		if p.Launches > 0 {
			p.CPUms[role] = round2(float64(t.Microseconds()) / 1000 / float64(p.Launches))
		}
	}
}

// quantile is the nearest-rank quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return round2(float64(d.Microseconds()) / 1000) }
func round2(f float64) float64   { return float64(int64(f*100+0.5)) / 100 }
func round1(f float64) float64   { return float64(int64(f*10+0.5)) / 10 }
