// Package logging builds the service's one structured logger (log/slog) and
// carries per-request attributes (request id, client address) in contexts,
// so every log line of a request can be found by its id.
//
// cmd/ltiprovider builds the logger; pkg/web puts the request attributes in
// the context; everything else receives a *slog.Logger and logs with the
// request's context. Nothing here may log secrets: callers pass no secrets.
package logging
