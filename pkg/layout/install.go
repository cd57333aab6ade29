package layout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// Setting is the {config} row the tag lives in: Site administration >
// Appearance > Additional HTML > Within HEAD.
const Setting = "additionalhtmlhead"

// Tag is the one tag install puts in additionalhtmlhead: a plain
// (parser-blocking) script in the head, so the layout applies before the
// page is first drawn.
func Tag(wwwroot string) string {
	return `<script src="` + wwwroot + web.BasePath + `/layout.js" data-ltiprovider="layout"></script>`
}

// anyTag matches the tag whatever wwwroot it was installed with.
var anyTag = regexp.MustCompile(`\n?<script [^>]*data-ltiprovider="layout"[^>]*></script>`)

// Status says whether the tag is in the setting, and for which URL.
type Status struct {
	Installed bool   // the tag for this wwwroot is there
	Stale     bool   // a tag for another URL is there
	Value     string // the setting's current value
}

// Check reads the setting. forced is config.php's value, if it sets one.
func Check(value, wwwroot string) Status {
	s := Status{Value: value}
	s.Installed = strings.Contains(value, Tag(wwwroot))
	s.Stale = !s.Installed && anyTag.MatchString(value)
	return s
}

// Env is what install and uninstall need to know about the site.
type Env struct {
	DB      *database.DB
	WWWRoot string
	// Forced is config.php's $CFG->additionalhtmlhead, when it sets one:
	// Moodle then ignores the config table, so the service must not pretend.
	Forced func(name string) (string, bool)
	// CacheDir is $CFG->cachedir (default <dataroot>/cache), for purging
	// Moodle's core/config cache; DataRoot finds muc/config.php.
	CacheDir string
	DataRoot string
	Now      func() time.Time
}

// Result reports what install or uninstall did.
type Result struct {
	Changed bool
	Old     string
	New     string
	// Purged lists the cache files removed; CacheNote says what the
	// administrator must still do, if anything.
	Purged    int
	CacheNote string
}

// Install puts the tag in additionalhtmlhead (replacing a tag for another
// URL), keeping whatever else is there.
func Install(ctx context.Context, e Env) (*Result, error) {
	return e.change(ctx, func(old string) string {
		rest := strings.TrimRight(anyTag.ReplaceAllString(old, ""), "\n")
		if rest == "" {
			return Tag(e.WWWRoot)
		}
		return rest + "\n" + Tag(e.WWWRoot)
	})
}

// Uninstall takes the tag out of additionalhtmlhead.
func Uninstall(ctx context.Context, e Env) (*Result, error) {
	return e.change(ctx, func(old string) string {
		return strings.TrimLeft(anyTag.ReplaceAllString(old, ""), "\n")
	})
}

func (e Env) change(ctx context.Context, edit func(string) string) (*Result, error) {
	if e.Forced != nil {
		if _, forced := e.Forced(Setting); forced {
			return nil, errors.New("config.php sets $CFG->additionalhtmlhead, which wins over the admin setting; " +
				"put " + Tag(e.WWWRoot) + " in config.php instead")
		}
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	res := &Result{}
	err := e.DB.WithTx(ctx, func(tx *database.Tx) error {
		var old string
		err := tx.Get(ctx, &old, "SELECT value FROM {config} WHERE name = ? FOR UPDATE", Setting)
		missing := errors.Is(err, database.ErrNotFound)
		if err != nil && !missing {
			return err
		}
		res.Old, res.New = old, edit(old)
		if res.New == old {
			return nil
		}
		res.Changed = true
		if missing {
			_, err = tx.Exec(ctx, "INSERT INTO {config} (name, value) VALUES (?, ?)", Setting, res.New)
		} else {
			_, err = tx.Exec(ctx, "UPDATE {config} SET value = ? WHERE name = ?", res.New, Setting)
		}
		if err != nil {
			return err
		}
		// What admin_setting::config_write() records, so the change shows
		// in Site administration > Reports > Config changes.
		_, err = tx.Exec(ctx, "INSERT INTO {config_log} (userid, timemodified, plugin, name, value, oldvalue) VALUES (0, ?, NULL, ?, ?, ?)",
			now().Unix(), Setting, res.New, old)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("layout: %w", err)
	}
	if res.Changed {
		res.Purged, res.CacheNote = e.purgeConfigCache()
	}
	return res, nil
}

// purgeConfigCache makes PHP see the new value: Moodle reads config
// through the MUC application cache core/config, so a direct SQL change
// is invisible until that cache is purged. With the default file store
// the definition's files are removed; with another store the
// administrator is told to purge caches.
func (e Env) purgeConfigCache() (int, string) {
	const purgeHint = "purge Moodle's caches (Site administration > Development > Purge caches, or php admin/cli/purge_caches.php) so Moodle sees the change"
	if e.DataRoot != "" {
		if muc, err := os.ReadFile(filepath.Join(e.DataRoot, "muc", "config.php")); err == nil && mucMapsConfigElsewhere(string(muc)) {
			return 0, "Moodle's application caches are not in the default file store; " + purgeHint
		}
	}
	dir := e.CacheDir
	if dir == "" && e.DataRoot != "" {
		dir = filepath.Join(e.DataRoot, "cache")
	}
	if dir == "" {
		return 0, "the cache folder is unknown (set moodle.dataroot); " + purgeHint
	}
	files, _ := filepath.Glob(filepath.Join(dir, "cachestore_file", "default_application", "core_config", "*", "*.cache"))
	removed := 0
	var failed error
	for _, f := range files {
		if err := os.Remove(f); err == nil {
			removed++
		} else if !errors.Is(err, os.ErrNotExist) {
			failed = err
		}
	}
	if failed != nil {
		return removed, fmt.Sprintf("could not remove every cached config file (%v); %s", failed, purgeHint)
	}
	return removed, ""
}

// mucMapsConfigElsewhere reports whether Moodle's cache configuration
// sends application caches (or core/config itself) to a store other than
// the default file store.
func mucMapsConfigElsewhere(muc string) bool {
	if strings.Contains(muc, "'core/config'") && regexp.MustCompile(`'definitionmappings'[\s\S]*'core/config'`).MatchString(muc) {
		return true
	}
	m := regexp.MustCompile(`'mode'\s*=>\s*1,\s*'store'\s*=>\s*'([^']+)'`).FindAllStringSubmatch(muc, -1)
	for _, s := range m {
		if s[1] != "default_application" {
			return true
		}
	}
	return false
}
