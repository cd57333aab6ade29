package logging

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRequestAttributesAreLogged(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithRequest(context.Background(), "abc123", "203.0.113.9")
	log.InfoContext(ctx, "launch", "tool", 4)
	log.DebugContext(ctx, "hidden")
	out := buf.String()
	for _, want := range []string{`"request_id":"abc123"`, `"client_ip":"203.0.113.9"`, `"tool":4`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %s", out, want)
		}
	}
	if strings.Contains(out, "hidden") {
		t.Error("debug line written at info level")
	}
	if RequestID(ctx) != "abc123" {
		t.Error("RequestID lost")
	}
}

func TestBadSettings(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, "xml", "info"); err == nil {
		t.Error("format xml accepted")
	}
	if _, err := New(&bytes.Buffer{}, "text", "loud"); err == nil {
		t.Error("level loud accepted")
	}
}
