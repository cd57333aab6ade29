package moodle

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// LangStrings reads the strings of Moodle's language packs the way
// core_string_manager_standard does, for the few strings the service
// writes into Moodle's tables (an assignment's calendar event names): the
// English string the caller gives (Moodle's code, which the service does
// not have), then en_local customisations, then for each language from the
// farthest parent to the language itself its pack in $CFG->langotherroot
// and its _local customisations in $CFG->langlocalroot (both default to
// $CFG->dataroot/lang). The last one that defines the string wins.
type LangStrings struct {
	OtherRoot, LocalRoot string
}

// LangStringsOf is the site's language pack folders, from config.php or
// under dataroot; the zero value (no dataroot) gives English only.
func LangStringsOf(site *Site, dataroot string) LangStrings {
	ls := LangStrings{OtherRoot: site.Get("langotherroot"), LocalRoot: site.Get("langlocalroot")}
	if dataroot != "" {
		if ls.OtherRoot == "" {
			ls.OtherRoot = filepath.Join(dataroot, "lang")
		}
		if ls.LocalRoot == "" {
			ls.LocalRoot = filepath.Join(dataroot, "lang")
		}
	}
	return ls
}

// phpString matches $string['id'] = '…'; in a language file.
var phpString = regexp.MustCompile(`\$string\[\s*'([^']+)'\s*\]\s*=\s*'((?:[^'\\]|\\.)*)'\s*;`)

// load returns the strings a language file defines (single-quoted, as
// every Moodle language pack writes them).
func loadLangFile(path string) map[string]string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, m := range phpString.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(m[2])
	}
	return out
}

// languages is populate_parent_languages(): the language and its parents,
// farthest parent first, English left out.
func (ls LangStrings) languages(lang string) []string {
	var stack []string
	for lang != "" && lang != "en" && len(stack) < 10 {
		for _, l := range stack {
			if l == lang {
				return stack
			}
		}
		if ls.OtherRoot == "" {
			return stack
		}
		cfg := loadLangFile(filepath.Join(ls.OtherRoot, lang, "langconfig.php"))
		if cfg == nil {
			return stack
		}
		stack = append([]string{lang}, stack...)
		lang = cfg["parentlanguage"]
	}
	return stack
}

// Get is get_string(id, file's component, a) in lang; en is the English
// string of Moodle's code. file is the language file's name without .php
// (for an activity module, its name: "assign").
func (ls LangStrings) Get(lang, file, id, en, a string) string {
	s := en
	apply := func(path string) {
		if v, ok := loadLangFile(path)[id]; ok {
			s = v
		}
	}
	if ls.LocalRoot != "" {
		apply(filepath.Join(ls.LocalRoot, "en_local", file+".php"))
	}
	for _, dep := range ls.languages(lang) {
		if ls.OtherRoot != "" {
			apply(filepath.Join(ls.OtherRoot, dep, file+".php"))
		}
		if ls.LocalRoot != "" {
			apply(filepath.Join(ls.LocalRoot, dep+"_local", file+".php"))
		}
	}
	return strings.ReplaceAll(s, "{$a}", a)
}

// CurrentLanguage is current_language() for env's user in a course: the
// course's forced language, else the user's, else the site's ($CFG->lang).
// courseID 0 is no course.
func CurrentLanguage(ctx context.Context, q database.Querier, env Env, courseID int64) (string, error) {
	var langs struct {
		Course string `db:"course"`
		User   string `db:"user"`
	}
	err := q.Get(ctx, &langs, `SELECT COALESCE((SELECT c.lang FROM {course} c WHERE c.id = ?), '') AS course,
		COALESCE((SELECT u.lang FROM {user} u WHERE u.id = ?), '') AS user`, courseID, env.UserID)
	if err != nil {
		return "", err
	}
	switch {
	case langs.Course != "":
		return langs.Course, nil
	case langs.User != "":
		return langs.User, nil
	}
	lang := env.Site.Get("lang")
	if lang == "" {
		lang = "en"
	}
	return lang, nil
}

// GetString is get_string(id, file's component, a) in the current language
// (CurrentLanguage) from the site's language packs; en is Moodle's English.
func (e Env) GetString(ctx context.Context, q database.Querier, courseID int64, file, id, en, a string) (string, error) {
	lang, err := CurrentLanguage(ctx, q, e, courseID)
	if err != nil {
		return "", err
	}
	return LangStringsOf(e.Site, e.DataRoot).Get(lang, file, id, en, a), nil
}
