package moodle

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCleanEmail(t *testing.T) {
	for email, ok := range map[string]bool{
		"s1@example.com": true, "first.last+tag@sub.example.co.uk": true, "o'brien@example.ie": true,
		"": false, "not an email": false, "a@b": false, "a@localhost": false, "a..b@example.com": false,
		".a@example.com": false, "a@-example.com": false, "<a@example.com>": false, "a@example.com\n": false,
		"a b@example.com": false, "\"quoted\"@example.com": false, "ü@example.com": false,
		string(make([]byte, 65)) + "@example.com": false,
		"x@" + string(repeat('a', 95)) + ".com":   false, // over the column's 100 characters
	} {
		want := ""
		if ok {
			want = email
		}
		if got := CleanEmail(email); got != want {
			t.Errorf("CleanEmail(%q) = %q", email, got)
		}
	}
}

func repeat(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}

func TestInstalledLanguage(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "lang", "fr"), 0o755)
	os.WriteFile(filepath.Join(root, "lang", "fr", "langconfig.php"), []byte("<?php"), 0o644)
	for locale, want := range map[string]string{"en": "en", "en-US": "en", "fr-CA": "fr", "fr": "fr", "de": "",
		"../etc": "", "": "", "FR_be": "fr"} {
		if got := InstalledLanguage(root, locale); got != want {
			t.Errorf("%q: %q, want %q", locale, got, want)
		}
	}
	if got := InstalledLanguage("", "fr"); got != "" {
		t.Errorf("without a data root: %q", got)
	}
}

func TestServerLocationAndMidnight(t *testing.T) {
	site := NewSite(map[string]string{"timezone": "Europe/London", "forcetimezone": "99"})
	if got := ServerLocation(site).String(); got != "Europe/London" {
		t.Errorf("site timezone: %s", got)
	}
	site = NewSite(map[string]string{"timezone": "Europe/London", "forcetimezone": "Australia/Sydney"})
	loc := ServerLocation(site)
	if loc.String() != "Australia/Sydney" {
		t.Errorf("forced timezone: %s", loc)
	}
	// 2026-11-27 04:38 UTC is 15:38 in Sydney: midnight there is 13:00 UTC the day before.
	if got := Midnight(time.Unix(1795754326, 0), loc).UTC().Format(time.RFC3339); got != "2026-11-26T13:00:00Z" {
		t.Errorf("midnight %s", got)
	}
	if ServerLocation(NewSite(map[string]string{"timezone": "99"})) != time.Local {
		t.Error("99 is the server's timezone")
	}
}

func TestFileAppCacheDelete(t *testing.T) {
	cacheDir := t.TempDir()
	store := filepath.Join(cacheDir, "cachestore_file", "default_application")
	def := filepath.Join(store, "core_user_group_groupings")
	files := map[string]bool{
		filepath.Join(def, "5-a-cache", "5-a1b2.cache"):                     true, // user 5
		filepath.Join(def, "51--cache", "51-a1b2.cache"):                    false,
		filepath.Join(def, "15--cache", "15-a1b2.cache"):                    false,
		filepath.Join(def, "20250101000000", "5-a-cache", "5-c3.cache"):     true, // asyncpurge layout
		filepath.Join(store, "core_groupdata", "5-a-cache", "5-a1b2.cache"): false,
	}
	for f := range files {
		os.MkdirAll(filepath.Dir(f), 0o755)
		os.WriteFile(f, []byte("x"), 0o644)
	}
	c := NewFileAppCache(cacheDir)
	if c == nil {
		t.Fatal("no store found")
	}
	p := &PendingInvalidations{}
	p.Invalidate("core/user_group_groupings", "5", "../x")
	p.Apply(c)
	for f, gone := range files {
		_, err := os.Stat(f)
		if gone != os.IsNotExist(err) {
			t.Errorf("%s: removed %v, want %v", f, os.IsNotExist(err), gone)
		}
	}
	p.Invalidate("core/groupdata")
	p.Reset()
	p.Apply(c)
	if _, err := os.Stat(filepath.Join(store, "core_groupdata", "5-a-cache", "5-a1b2.cache")); err != nil {
		t.Error("a reset invalidation was applied")
	}
	c.Delete("core/groupdata")
	if _, err := os.Stat(filepath.Join(store, "core_groupdata", "5-a-cache", "5-a1b2.cache")); !os.IsNotExist(err) {
		t.Error("purging the definition left its entry")
	}
	if NewFileAppCache(t.TempDir()) != nil || NewFileAppCache("") != nil {
		t.Error("a store where there is none")
	}
}
