package moodle_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// Language packs as Moodle installs them in dataroot/lang, a child pack
// with its parent, and _local customisations.
func TestLangStrings(t *testing.T) {
	root := t.TempDir()
	write := func(path, body string) {
		t.Helper()
		p := filepath.Join(root, "lang", path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("<?php\n"+body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("de/langconfig.php", `$string['parentlanguage'] = '';`)
	write("de/assign.php", "$string['calendardue'] = '{$a} ist fällig';\n$string['calendargradingdue'] = '{$a} ist zu bewerten';")
	write("de_du/langconfig.php", `$string['parentlanguage'] = 'de';`)
	write("de_du/assign.php", `$string['calendardue'] = 'Du musst {$a} abgeben';`)
	write("de_local/assign.php", `$string['calendargradingdue'] = 'Bewertung von \'{$a}\' fällig';`)
	write("en_local/assign.php", `$string['calendardue'] = 'Hand in {$a}';`)
	write("fr/assign.php", `$string['calendardue'] = '{$a} : à rendre';`) // no langconfig.php: not installed
	ls := moodle.LangStringsOf(moodle.NewSite(map[string]string{}), root)
	for _, tc := range []struct{ lang, id, en, want string }{
		{"en", "calendardue", "{$a} is due", "Hand in Essay"},
		{"en", "calendargradingdue", "{$a} is due to be graded", "Essay is due to be graded"},
		{"de", "calendardue", "{$a} is due", "Essay ist fällig"},
		{"de", "calendargradingdue", "{$a} is due to be graded", "Bewertung von 'Essay' fällig"},
		{"de_du", "calendardue", "{$a} is due", "Du musst Essay abgeben"},
		{"de_du", "calendargradingdue", "{$a} is due to be graded", "Bewertung von 'Essay' fällig"},
		{"fr", "calendardue", "{$a} is due", "Hand in Essay"},
	} {
		if got := ls.Get(tc.lang, "assign", tc.id, tc.en, "Essay"); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.lang, tc.id, got, tc.want)
		}
	}
	// Without a dataroot: Moodle's English.
	if got := moodle.LangStringsOf(moodle.NewSite(map[string]string{}), "").Get("de", "assign", "calendardue", "{$a} is due", "Essay"); got != "Essay is due" {
		t.Errorf("no packs: %q", got)
	}
}
