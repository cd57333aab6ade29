package metrics

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func scrape(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

func wantLine(t *testing.T, body, line string) {
	t.Helper()
	for _, l := range strings.Split(body, "\n") {
		if l == line {
			return
		}
	}
	t.Errorf("no line %q in:\n%s", line, grep(body, strings.SplitN(line, "{", 2)[0]))
}

func grep(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestLaunchesAndDurations(t *testing.T) {
	m := New(nil)
	m.Launch("success", 3*time.Millisecond)
	m.Launch("success", 40*time.Millisecond)
	m.Launch("unauthorized", time.Millisecond)
	m.Launch("user 42 at https://evil.example/", time.Millisecond) // never a new label value
	_, body := scrape(t, m.Handler(false), "/metrics")
	wantLine(t, body, `ltiprovider_launches_total{outcome="success"} 2`)
	wantLine(t, body, `ltiprovider_launches_total{outcome="unauthorized"} 1`)
	wantLine(t, body, `ltiprovider_launches_total{outcome="error"} 1`)
	wantLine(t, body, `ltiprovider_launches_total{outcome="refused"} 0`) // present before it happens
	wantLine(t, body, `ltiprovider_launch_duration_seconds_count 4`)
	wantLine(t, body, `ltiprovider_launch_duration_seconds_bucket{le="0.005"} 3`)
	wantLine(t, body, `ltiprovider_launch_duration_seconds_bucket{le="0.05"} 4`)
	if strings.Contains(body, "evil") {
		t.Error("an unknown outcome became a label value")
	}
	// The standard collectors are there.
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(body, "\n"+name+" ") {
			t.Errorf("no %s", name)
		}
	}
}

func TestGradesJobsAndQueue(t *testing.T) {
	m := New(nil)
	m.GradeDeliveries("sent", 3)
	m.GradeDeliveries("retrying", 1)
	m.GradeDeliveries("nonsense", 5)
	m.Job("grades", "ok", 2*time.Second)
	m.Job("grades", "skipped", 0)
	m.Job("members", "failed", 30*time.Millisecond)
	calls := 0
	m.WatchGradeQueue(func(context.Context) (map[string]int64, error) {
		calls++
		if calls > 1 {
			return nil, errors.New("database away")
		}
		return map[string]int64{"pending": 7, "sent": 2}, nil
	}, nil)
	_, body := scrape(t, m.Handler(false), "/metrics")
	wantLine(t, body, `ltiprovider_grade_deliveries_total{outcome="sent"} 3`)
	wantLine(t, body, `ltiprovider_grade_deliveries_total{outcome="retrying"} 1`)
	wantLine(t, body, `ltiprovider_grade_deliveries_total{outcome="failed"} 0`)
	wantLine(t, body, `ltiprovider_job_runs_total{job="grades",result="ok"} 1`)
	wantLine(t, body, `ltiprovider_job_runs_total{job="grades",result="skipped"} 1`)
	wantLine(t, body, `ltiprovider_job_runs_total{job="members",result="failed"} 1`)
	wantLine(t, body, `ltiprovider_job_duration_seconds_count{job="grades"} 1`) // skipped runs are not timed
	wantLine(t, body, `ltiprovider_job_duration_seconds_bucket{job="grades",le="5"} 1`)
	wantLine(t, body, `ltiprovider_grade_queue_depth{state="pending"} 7`)
	if strings.Contains(body, "nonsense") {
		t.Error("an unknown delivery outcome became a label value")
	}
	// A failing count leaves the gauge out of that scrape; the scrape
	// itself succeeds.
	code, body := scrape(t, m.Handler(false), "/metrics")
	if code != http.StatusOK || strings.Contains(body, "ltiprovider_grade_queue_depth{") {
		t.Errorf("scrape with the database away: %d, depth present: %v", code, strings.Contains(body, "queue_depth{"))
	}
}

func TestPoolStats(t *testing.T) {
	// The pool's statistics need no connection to be read.
	cfg := mysql.NewConfig()
	cfg.Addr = "127.0.0.1:1"
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	db.SetMaxOpenConns(17)
	_, body := scrape(t, New(db).Handler(false), "/metrics")
	wantLine(t, body, `go_sql_max_open_connections{db_name="moodle"} 17`)
	for _, name := range []string{"go_sql_in_use_connections", "go_sql_idle_connections", "go_sql_wait_count_total", "go_sql_wait_duration_seconds_total"} {
		if !strings.Contains(body, "\n"+name+`{db_name="moodle"} `) {
			t.Errorf("no %s", name)
		}
	}
}

func TestPprofOnlyWhenAsked(t *testing.T) {
	m := New(nil)
	if code, _ := scrape(t, m.Handler(false), "/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("pprof off: /debug/pprof/ answered %d", code)
	}
	if code, _ := scrape(t, m.Handler(false), "/debug/pprof/heap"); code != http.StatusNotFound {
		t.Errorf("pprof off: /debug/pprof/heap answered %d", code)
	}
	code, body := scrape(t, m.Handler(true), "/debug/pprof/")
	if code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("pprof on: %d %.100s", code, body)
	}
	if code, _ := scrape(t, m.Handler(true), "/debug/pprof/heap?debug=1"); code != http.StatusOK {
		t.Errorf("pprof on: heap answered %d", code)
	}
	if code, _ := scrape(t, m.Handler(true), "/"); code != http.StatusNotFound {
		t.Errorf("/ answered %d", code)
	}
	// pprof never lands on the default mux, which another server might use.
	rec := httptest.NewRecorder()
	http.DefaultServeMux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("http.DefaultServeMux serves /debug/pprof/: %d", rec.Code)
	}
}

func TestProfiles(t *testing.T) {
	srv := httptest.NewServer(New(nil).Handler(true))
	defer srv.Close()
	get := func(path string) (int, []byte) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	// A CPU profile and a heap profile in pprof's gzipped protobuf, as
	// `go tool pprof` fetches them.
	for _, path := range []string{"/debug/pprof/profile?seconds=1", "/debug/pprof/heap", "/debug/pprof/goroutine"} {
		code, b := get(path)
		if code != http.StatusOK || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: %d, %d bytes, not a gzipped profile", path, code, len(b))
		}
	}
	if code, b := get("/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(string(b), "goroutine profile:") {
		t.Errorf("goroutine text: %d", code)
	}
	if code, b := get("/debug/pprof/trace?seconds=1"); code != http.StatusOK || !strings.HasPrefix(string(b), "go 1.") {
		t.Errorf("trace: %d %.10q", code, b)
	}
	for path, want := range map[string]int{
		"/debug/pprof/profile?seconds=0":    http.StatusBadRequest,
		"/debug/pprof/profile?seconds=9999": http.StatusBadRequest,
		"/debug/pprof/nosuchprofile":        http.StatusNotFound,
	} {
		if code, _ := get(path); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
}
