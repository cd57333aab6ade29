package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// serve with metrics.listen: /metrics (and pprof when asked) on that
// address only, counting the launches of the main listener; both stop
// with the service.
func TestServeMetricsListener(t *testing.T) {
	_, tdb := testenv.DB(t)
	for _, withPprof := range []bool{false, true} {
		addr, maddr := freeAddr(t), freeAddr(t)
		args := []string{"serve", "--dsn", tdb.DSN(), "--db-prefix", tdb.Prefix, "--wwwroot", "https://moodle.example",
			"--dataroot", t.TempDir(), "--listen", addr, "--metrics-listen", maddr, "--log-level", "error",
			"--schedule-grades", "off", "--schedule-members", "off", "--schedule-housekeeping", "off"}
		if withPprof {
			args = append(args, "--pprof", "true")
		}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan int, 1)
		var stderr bytes.Buffer
		go func() { done <- run(ctx, args, io.Discard, &stderr) }()
		main, metrics := "http://"+addr, "http://"+maddr
		deadline := time.Now().Add(30 * time.Second)
		for {
			if code, _ := get(t, main+"/local/ltiprovider/healthz"); code == http.StatusOK {
				break
			}
			select {
			case code := <-done:
				t.Fatalf("serve exited %d: %.300s", code, stderr.String())
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				stop()
				t.Fatalf("serve did not start")
			}
		}
		// A GET of the launch URL is refused, and counted.
		if code, _ := get(t, main+"/local/ltiprovider/tool.php?id=1"); code != http.StatusMethodNotAllowed {
			t.Errorf("GET tool.php: %d", code)
		}
		code, body := get(t, metrics+"/metrics")
		if code != http.StatusOK || !strings.Contains(body, `ltiprovider_launches_total{outcome="invalid"} 1`) ||
			!strings.Contains(body, `go_sql_max_open_connections{db_name="moodle"} 20`) ||
			!strings.Contains(body, `ltiprovider_grade_queue_depth{state="pending"} 0`) {
			t.Errorf("/metrics: %d\n%s", code, body)
		}
		wantPprof := http.StatusNotFound
		if withPprof {
			wantPprof = http.StatusOK
		}
		if code, _ := get(t, metrics+"/debug/pprof/"); code != wantPprof {
			t.Errorf("pprof %v: metrics listener answered /debug/pprof/ with %d", withPprof, code)
		}
		// Never on the main listener, whatever the path.
		for _, p := range []string{"/debug/pprof/", "/local/ltiprovider/debug/pprof/", "/metrics", "/local/ltiprovider/metrics"} {
			if code, _ := get(t, main+p); code != http.StatusNotFound {
				t.Errorf("main listener answered %s with %d", p, code)
			}
		}
		stop()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("serve exited %d: %s", code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
		if code, _ := get(t, metrics+"/metrics"); code != 0 {
			t.Errorf("metrics listener still answers after shutdown: %d", code)
		}
	}
}
