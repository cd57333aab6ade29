package moodle

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// FileAppCache drops entries of Moodle's default application cache store,
// the file store under $CFG->cachedir/cachestore_file/default_application,
// as cache_helper::invalidate_by_definition() would. It can reach only a
// store on a file system the service shares with Moodle; a site that maps
// application caches to Redis or Memcached keeps those entries until they
// expire or are purged (see docs/launch.md).
type FileAppCache struct {
	// Dir is the default_application store's folder.
	Dir string
}

// NewFileAppCache returns the store of a site whose cache folder is
// cacheDir ($CFG->cachedir, by default $CFG->dataroot/cache), or nil when
// the folder is not reachable from here.
func NewFileAppCache(cacheDir string) *FileAppCache {
	if cacheDir == "" {
		return nil
	}
	dir := filepath.Join(cacheDir, "cachestore_file", "default_application")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil
	}
	return &FileAppCache{Dir: dir}
}

var simpleKey = regexp.MustCompile(`^[a-zA-Z0-9_]+$`)

// Delete removes the given keys of a definition ("core/user_group_groupings"),
// or every entry of it when no key is given. Only simple-key definitions
// (whose file names start with the key) are supported, which are the ones
// the service invalidates. Errors are ignored: an entry that cannot be
// removed is one Moodle already lost, or one the service cannot reach.
func (c *FileAppCache) Delete(definition string, keys ...string) {
	if c == nil {
		return
	}
	// cachestore_file::initialise(): the folder is the definition id with
	// every run of other characters replaced by "_".
	defDir := filepath.Join(c.Dir, nonAlnum.ReplaceAllString(definition, "_"))
	// With asyncpurge the entries sit one level deeper, in a folder named
	// after the last purge.
	roots := []string{defDir}
	if more, _ := filepath.Glob(filepath.Join(defDir, "[0-9]*")); len(more) > 0 {
		roots = append(roots, more...)
	}
	var patterns []string
	if len(keys) == 0 {
		patterns = []string{"*.cache"}
	}
	for _, k := range keys {
		if !simpleKey.MatchString(k) {
			continue
		}
		// cache_helper::hash_key(): simple keys are stored as
		// "<key>-<definition prefix>", in the folder named after the
		// first three characters plus "-cache".
		patterns = append(patterns, k+"-*.cache")
	}
	for _, root := range roots {
		for _, p := range patterns {
			files, _ := filepath.Glob(filepath.Join(root, "*-cache", p))
			for _, f := range files {
				if strings.HasSuffix(f, ".cache") {
					_ = os.Remove(f)
				}
			}
		}
	}
}

var nonAlnum = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// PendingInvalidations collects invalidations during a transaction, to be
// applied once it commits (Apply) or dropped when it rolls back.
type PendingInvalidations struct {
	mu      sync.Mutex
	entries []pendingEntry
}

type pendingEntry struct {
	definition string
	keys       []string
}

// Invalidate records an invalidation (CacheInvalidator).
func (p *PendingInvalidations) Invalidate(definition string, keys ...string) {
	p.mu.Lock()
	p.entries = append(p.entries, pendingEntry{definition, append([]string(nil), keys...)})
	p.mu.Unlock()
}

// Apply runs the recorded invalidations on c and forgets them.
func (p *PendingInvalidations) Apply(c *FileAppCache) {
	p.mu.Lock()
	entries := p.entries
	p.entries = nil
	p.mu.Unlock()
	for _, e := range entries {
		c.Delete(e.definition, e.keys...)
	}
}

// Reset forgets the recorded invalidations (a rolled-back attempt).
func (p *PendingInvalidations) Reset() {
	p.mu.Lock()
	p.entries = nil
	p.mu.Unlock()
}
