package moodle_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
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

// A course's special forum is named in the current language from the
// site's packs (here the site's language), else in Moodle's English.
func TestSpecialForumNamesInTheSitesLanguage(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	root := t.TempDir()
	for path, body := range map[string]string{
		"de/langconfig.php": `$string['parentlanguage'] = '';`,
		"de/forum.php":      `$string['namesocial'] = 'Plauderecke';`,
	} {
		p := filepath.Join(root, "lang", path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("<?php\n"+body), 0o644)
	}
	tdb.Exec(t, "UPDATE {config} SET value = 'de' WHERE name = 'lang'")
	env := testEnv(t, db)
	env.DataRoot = root
	var cm int64
	err := db.WithTx(ctx, func(tx *database.Tx) error {
		var err error
		cm, err = moodle.CreateNewsForum(ctx, tx, env, 3, "social")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f := tdb.Rows(t, "SELECT f.name, f.intro FROM {forum} f JOIN {course_modules} cm ON cm.instance = f.id WHERE cm.id = ?", cm)
	// The pack translates the name, not the description: that stays English.
	if len(f) != 1 || f[0]["name"] != "Plauderecke" || f[0]["intro"] != "An open forum for chatting about anything you want to" {
		t.Fatalf("%v", f)
	}
}
