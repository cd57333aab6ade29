package web

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
)

// BasePath is where Moodle's web server proxies the service, the folder of
// the PHP plugin, so launch URLs stay the same.
const BasePath = "/local/ltiprovider"

// NewRouter returns the router for everything under BasePath. Feature
// packages add their routes to it; unknown paths get an escaped 404 page.
func NewRouter() *mux.Router {
	root := mux.NewRouter()
	root.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ErrorPage(w, r, http.StatusNotFound, "Not found", "There is nothing at this address.")
	})
	root.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ErrorPage(w, r, http.StatusMethodNotAllowed, "Method not allowed", "This address does not accept that kind of request.")
	})
	return root
}

// StripSitePath removes the path of Moodle's wwwroot from requests that a
// proxy forwarded with it (https://example.com/moodle → /moodle/local/…), so
// routes match whether or not the proxy strips it.
func StripSitePath(sitePath string, next http.Handler) http.Handler {
	sitePath = strings.TrimRight(sitePath, "/")
	if sitePath == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, sitePath); ok && strings.HasPrefix(rest, BasePath) {
			r2 := r.Clone(r.Context())
			r2.URL.Path = rest
			r2.URL.RawPath = ""
			next.ServeHTTP(w, r2)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Pinger is what the health check needs of the database.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Health answers /healthz: 200 when the database answers within two
// seconds, 503 otherwise. The body never carries error details.
func Health(db Pinger, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			log.WarnContext(r.Context(), "health check: database unavailable", "err", err)
			JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "down"})
			return
		}
		JSON(w, http.StatusOK, map[string]string{"status": "ok", "database": "up"})
	})
}
