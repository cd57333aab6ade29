package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves /metrics and, when withPprof, the profiling endpoints
// under /debug/pprof/ (see pprof.go): on this handler only.
func (m *Metrics) Handler(withPprof bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{
		Registry:            m.Registry, // promhttp_* metrics about the scrapes themselves
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	if withPprof {
		mountPprof(mux)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	})
	return mux
}

// Server is the HTTP server of the metrics listener. CPU profiles and
// traces run for as long as asked (?seconds=30), so writes may take long.
func (m *Metrics) Server(withPprof bool) *http.Server {
	return &http.Server{
		Handler:           m.Handler(withPprof),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
}
