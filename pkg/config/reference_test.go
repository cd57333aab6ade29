package config

import (
	"bytes"
	"os"
	"testing"
)

// The published reference must be exactly what the option table says; run
// `make docs` after changing an option.
func TestReferenceMatchesDocs(t *testing.T) {
	var buf bytes.Buffer
	WriteReference(&buf)
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, buf.Bytes()) {
		t.Fatal("docs/configuration.md is out of date: run `make docs`")
	}
}
