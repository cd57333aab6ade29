package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// New returns a logger writing text or JSON at the given level, adding the
// request attributes found in each record's context.
func New(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("logging: bad level %q", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	switch format {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text", "":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("logging: bad format %q", format)
	}
	return slog.New(contextHandler{h}), nil
}

// Discard is a logger that writes nothing, for tests and quiet commands.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

type ctxKey struct{}

// requestAttrs are the attributes a request adds to its log lines.
type requestAttrs struct {
	id       string
	clientIP string
}

// WithRequest returns ctx carrying a request id and client address.
func WithRequest(ctx context.Context, id, clientIP string) context.Context {
	return context.WithValue(ctx, ctxKey{}, requestAttrs{id: id, clientIP: clientIP})
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	a, _ := ctx.Value(ctxKey{}).(requestAttrs)
	return a.id
}

type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if a, ok := ctx.Value(ctxKey{}).(requestAttrs); ok {
		r.AddAttrs(slog.String("request_id", a.id), slog.String("client_ip", a.clientIP))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
