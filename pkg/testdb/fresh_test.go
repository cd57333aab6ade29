package testdb

import (
	"strings"
	"testing"
)

func TestFreshDatabase(t *testing.T) {
	d := New(t)
	var tables int
	if err := d.SQL.Get(&tables, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", d.Name); err != nil {
		t.Fatal(err)
	}
	if tables != 494 {
		t.Errorf("%d tables, want 494", tables)
	}
	if n := d.Count(t, "user", ""); n != 4 {
		t.Errorf("%d users, want 4", n)
	}
	rows := d.Rows(t, "SELECT value FROM {config} WHERE name = ?", "version")
	if len(rows) != 1 || rows[0]["value"] != "2024100706" {
		t.Errorf("config version: %v", rows)
	}
	if !strings.HasPrefix(d.Name, "ltip_t_") {
		t.Errorf("name %q", d.Name)
	}
}
