package metrics

import (
	"fmt"
	"html"
	"net/http"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"strconv"
	"time"
)

// The profiling endpoints are written here on runtime/pprof rather than
// taken from net/http/pprof, whose import alone mounts them on
// http.DefaultServeMux: nothing in this binary can then serve them by
// accident. The paths and formats are net/http/pprof's, so
// `go tool pprof http://<metrics.listen>/debug/pprof/profile` works.

// maxProfileSeconds bounds CPU profiles and traces (the metrics server's
// write timeout is 5 minutes).
const maxProfileSeconds = 240

func mountPprof(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/{$}", pprofIndex)
	mux.HandleFunc("GET /debug/pprof/profile", pprofCPU)
	mux.HandleFunc("GET /debug/pprof/trace", pprofTrace)
	mux.HandleFunc("GET /debug/pprof/{name}", pprofNamed)
}

func pprofIndex(w http.ResponseWriter, r *http.Request) {
	profiles := pprof.Profiles()
	sort.Slice(profiles, func(i, j int) bool { return profiles[i].Name() < profiles[j].Name() })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	fmt.Fprint(w, "<!DOCTYPE html><html><head><title>/debug/pprof/</title></head><body><h1>/debug/pprof/</h1><ul>\n")
	for _, p := range profiles {
		n := html.EscapeString(p.Name())
		fmt.Fprintf(w, "<li><a href=\"%s?debug=1\">%s</a> (%d)</li>\n", n, n, p.Count())
	}
	fmt.Fprint(w, "<li><a href=\"profile?seconds=30\">profile</a>: 30 s of CPU</li>\n")
	fmt.Fprint(w, "<li><a href=\"trace?seconds=1\">trace</a>: 1 s execution trace</li>\n</ul></body></html>\n")
}

// seconds reads ?seconds=, def when absent; false when out of range.
func seconds(r *http.Request, def int) (time.Duration, bool) {
	v := r.URL.Query().Get("seconds")
	if v == "" {
		return time.Duration(def) * time.Second, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > maxProfileSeconds {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

func pprofCPU(w http.ResponseWriter, r *http.Request) {
	d, ok := seconds(r, 30)
	if !ok {
		http.Error(w, fmt.Sprintf("seconds must be 1 to %d", maxProfileSeconds), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="profile"`)
	if err := pprof.StartCPUProfile(w); err != nil {
		// Another profile is running: one at a time.
		w.Header().Del("Content-Disposition")
		http.Error(w, "could not start the CPU profile: "+err.Error(), http.StatusConflict)
		return
	}
	wait(r, d)
	pprof.StopCPUProfile()
}

func pprofTrace(w http.ResponseWriter, r *http.Request) {
	d, ok := seconds(r, 1)
	if !ok {
		http.Error(w, fmt.Sprintf("seconds must be 1 to %d", maxProfileSeconds), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="trace"`)
	if err := trace.Start(w); err != nil {
		w.Header().Del("Content-Disposition")
		http.Error(w, "could not start the trace: "+err.Error(), http.StatusConflict)
		return
	}
	wait(r, d)
	trace.Stop()
}

// pprofNamed writes a named profile (heap, goroutine, allocs, block,
// mutex, threadcreate): the binary format, or text with ?debug=1 or 2.
func pprofNamed(w http.ResponseWriter, r *http.Request) {
	p := pprof.Lookup(r.PathValue("name"))
	if p == nil {
		http.NotFound(w, r)
		return
	}
	debug, _ := strconv.Atoi(r.URL.Query().Get("debug"))
	if p.Name() == "heap" && r.URL.Query().Get("gc") == "1" {
		runtime.GC()
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if debug > 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="`+p.Name()+`"`)
	}
	_ = p.WriteTo(w, debug)
}

// wait sleeps for d, or until the client goes away.
func wait(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}
