package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
)

type clientKey struct{}

// ClientOf returns the client resolved by the middleware for r.
func ClientOf(r *http.Request) Client {
	if c, ok := r.Context().Value(clientKey{}).(Client); ok {
		return c
	}
	return Client{IP: peerIP(r), Scheme: "http", Host: r.Host}
}

// RequestIDOf returns the id of the request, as logged.
func RequestIDOf(r *http.Request) string { return logging.RequestID(r.Context()) }

var goodRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Middleware wraps every request: it resolves the client, assigns a request
// id (taking the proxy's X-Request-Id when the proxy is trusted), recovers
// panics and writes one access-log line.
func Middleware(log *slog.Logger, proxies Proxies) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			client := proxies.Resolve(r)
			id := r.Header.Get("X-Request-Id")
			if !proxies.TrustsPeer(r) || !goodRequestID.MatchString(id) {
				id = newRequestID()
			}
			ctx := logging.WithRequest(r.Context(), id, client.IP)
			ctx = context.WithValue(ctx, clientKey{}, client)
			r = r.WithContext(ctx)
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			rec.Header().Set("X-Request-Id", id)
			rec.Header().Set("X-Content-Type-Options", "nosniff")
			rec.Header().Set("Referrer-Policy", "strict-origin-when-cross-origin")
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					log.ErrorContext(ctx, "panic serving request", "panic", p, "stack", string(debug.Stack()))
					if !rec.wrote {
						ErrorPage(rec, r, http.StatusInternalServerError, "Something went wrong",
							"The request could not be completed. Please try again, or give the reference below to your site administrator.")
					}
				}
				log.InfoContext(ctx, "request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
					"bytes", rec.bytes, "duration_ms", time.Since(start).Milliseconds())
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status = code
		s.wrote = true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
