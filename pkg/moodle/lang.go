package moodle

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var langCode = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// InstalledLanguage maps a locale such as "fr-CA" or "pt_BR" to a Moodle
// language pack installed on the site ("fr_ca", then "fr"), as
// clean_param(PARAM_LANG) would accept it. English is always installed;
// other packs live in $CFG->dataroot/lang/<code>. It returns "" when no pack
// fits or the data root is not reachable from here.
func InstalledLanguage(dataRoot, locale string) string {
	code := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(locale), "-", "_"))
	if !langCode.MatchString(code) || len(code) > MaxLangLen {
		return ""
	}
	candidates := []string{code}
	if base, _, ok := strings.Cut(code, "_"); ok {
		candidates = append(candidates, base)
	}
	for _, c := range candidates {
		if c == "en" {
			return c
		}
		if dataRoot == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dataRoot, "lang", c, "langconfig.php")); err == nil {
			return c
		}
	}
	return ""
}
