package config

import (
	"bytes"
	"os"
	"testing"
)

// The published reference must begin with exactly what the option table
// says (the commands' own flags follow; cmd/ltiprovider checks those); run
// `make docs` after changing an option.
func TestReferenceMatchesDocs(t *testing.T) {
	var buf bytes.Buffer
	WriteReference(&buf)
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(doc, buf.Bytes()) {
		t.Fatal("docs/configuration.md is out of date: run `make docs`")
	}
}
