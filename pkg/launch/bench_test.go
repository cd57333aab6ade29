package launch

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/lti11"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/provision"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// concurrency is how many launches run at once in the benchmarks: 8, or
// LTIPROVIDER_BENCH_CONCURRENCY.
var concurrency = func() int {
	if n, err := strconv.Atoi(os.Getenv("LTIPROVIDER_BENCH_CONCURRENCY")); err == nil && n > 0 {
		return n
	}
	return 8
}()

// BenchmarkLaunch measures launches over HTTP (read, resolve, OAuth
// verification, the steps in one transaction, the redirect) beside the
// same database statements without HTTP and OAuth (tool lookup, nonce,
// the steps), for first launches (a new user: user, context, enrolment,
// role, events, the service's rows) and returning ones, at concurrency 8
// against MariaDB. It reports launches/s and the p99 latency; the "db"
// results are the ceiling the HTTP ones are measured against.
//
//	go test -run '^$' -bench Launch -benchtime 2000x ./pkg/launch/
func BenchmarkLaunch(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.Log = nil; c.CacheTTL = time.Minute })
	tool := e.courseTool()
	q := idQuery(tool)
	// Bind the key and warm the caches; provision the returning users.
	const returning = 64
	for i := 0; i < returning; i++ {
		if resp := e.launch(tool, launchForm("ret-"+strconv.Itoa(i))); resp.StatusCode != http.StatusSeeOther {
			b.Fatalf("setup launch: %d %s", resp.StatusCode, bodyOf(resp))
		}
	}
	var run atomic.Int64
	userIDs := func(first bool, n int) []string {
		r := run.Add(1)
		ids := make([]string, n)
		for i := range ids {
			if first {
				ids[i] = fmt.Sprintf("new-%d-%d", r, i)
			} else {
				ids[i] = "ret-" + strconv.Itoa(i%returning)
			}
		}
		return ids
	}
	for _, kind := range []string{"first", "returning"} {
		first := kind == "first"
		b.Run("http/"+kind, func(b *testing.B) {
			ids := userIDs(first, b.N)
			forms := make([]string, b.N)
			for i, id := range ids {
				forms[i] = e.signed(e.launchURL(q), "consumer-A", tool.Secret, launchForm(id)).Encode()
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			target := e.srv.URL + Path + q
			measure(b, func(i int) error {
				resp, err := client.Post(target, "application/x-www-form-urlencoded", strings.NewReader(forms[i]))
				if err != nil {
					return err
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), wwwroot) {
					return fmt.Errorf("launch answered %d %s", resp.StatusCode, resp.Header.Get("Location"))
				}
				return nil
			})
		})
		b.Run("db/"+kind, func(b *testing.B) {
			ids := userIDs(first, b.N)
			ctx := context.Background()
			site, conf, err := e.h.siteState(ctx)
			if err != nil {
				b.Fatal(err)
			}
			msgs := make([]*lti11.Launch, b.N)
			for i, id := range ids {
				if msgs[i], err = lti11.NewLaunch(launchForm(id)); err != nil {
					b.Fatal(err)
				}
			}
			nonces := &store.Nonces{DB: e.db}
			browser, _ := http.NewRequest("POST", e.srv.URL+Path+q, nil)
			measure(b, func(i int) error {
				// The statements of a launch: the tool, the nonce, the steps.
				t, err := store.GetTool(ctx, e.db, tool.ID)
				if err != nil {
					return err
				}
				if err := nonces.Use(ctx, "consumer-A", oauth1.NewNonce(), e.now.Add(time.Hour)); err != nil {
					return err
				}
				base := &state{h: e.h, browser: browser, msg: msgs[i], consumerKey: "consumer-A", tool: t,
					site: site, settings: conf.settings,
					env: provision.Env{Site: site, Settings: conf.settings,
						Actor: moodle.Actor{IP: "127.0.0.1", Origin: "web", Time: e.now.Unix(), Log: conf.logs}}}
				_, err = e.h.run(ctx, base)
				return err
			})
		})
	}
}

// measure runs op(0) … op(b.N-1) on concurrency workers and reports
// launches/s and the p99 latency in milliseconds.
func measure(b *testing.B, op func(i int) error) {
	b.Helper()
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := lat[min(len(lat)-1, len(lat)*99/100)]
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "launches/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op") // wall time per launch is meaningless with 8 at once
}
