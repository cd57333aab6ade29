package moodle

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Site is Moodle's configuration as PHP sees it: the rows of the config
// table, with the values of config.php on top (config.php wins in Moodle).
type Site struct {
	values map[string]string
}

// Forced gives the $CFG values config.php sets; *config.Config is one.
type Forced interface {
	Forced(name string) (string, bool)
	ForcedNames() []string
}

// LoadSite reads the config table.
func LoadSite(ctx context.Context, q database.Querier, forced Forced) (*Site, error) {
	var rows []struct {
		Name  string `db:"name"`
		Value string `db:"value"`
	}
	if err := q.Select(ctx, &rows, "SELECT name, value FROM {config}"); err != nil {
		return nil, fmt.Errorf("moodle config: %w", err)
	}
	s := &Site{values: make(map[string]string, len(rows))}
	for _, r := range rows {
		s.values[r.Name] = r.Value
	}
	// config.php wins, also for settings that have no row (cookiehttponly,
	// sslproxy, … live only in config.php).
	if forced != nil {
		for _, name := range forced.ForcedNames() {
			if v, ok := forced.Forced(name); ok {
				s.values[name] = v
			}
		}
	}
	return s, nil
}

// NewSite builds a Site from values, for tests and tools.
func NewSite(values map[string]string) *Site { return &Site{values: values} }

// Get returns a setting, "" when absent.
func (s *Site) Get(name string) string { return s.values[name] }

// Lookup returns a setting and whether it exists.
func (s *Site) Lookup(name string) (string, bool) {
	v, ok := s.values[name]
	return v, ok
}

// Int returns a whole-number setting, def when absent or not a number.
func (s *Site) Int(name string, def int64) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s.values[name]), 10, 64)
	if err != nil {
		return def
	}
	return n
}

// Bool is PHP's truthiness of a setting: empty and "0" are false.
func (s *Site) Bool(name string) bool {
	v := s.values[name]
	return v != "" && v != "0"
}

// List splits a comma-separated setting (enrol_plugins_enabled, siteadmins).
func (s *Site) List(name string) []string {
	var out []string
	for _, f := range strings.Split(s.values[name], ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Has reports whether a comma-separated setting contains item.
func (s *Site) Has(name, item string) bool {
	for _, v := range s.List(name) {
		if v == item {
			return true
		}
	}
	return false
}

// MnetLocalhostID is $CFG->mnet_localhost_id, the mnethostid of local users.
func (s *Site) MnetLocalhostID() int64 { return s.Int("mnet_localhost_id", 1) }

// SessionTimeout is $CFG->sessiontimeout (8 hours when unset, as setup.php).
func (s *Site) SessionTimeout() time.Duration {
	return time.Duration(s.Int("sessiontimeout", 8*3600)) * time.Second
}

// SiteAdmins are the ids in $CFG->siteadmins.
func (s *Site) SiteAdmins() []int64 {
	var ids []int64
	for _, v := range s.List("siteadmins") {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// IsSiteAdmin reports whether userID is in $CFG->siteadmins.
func (s *Site) IsSiteAdmin(userID int64) bool {
	for _, id := range s.SiteAdmins() {
		if id == userID {
			return true
		}
	}
	return false
}

// SiteCache keeps the Site for a short while, so a launch does not read the
// whole config table. A change an administrator makes in Moodle is seen
// within TTL.
type SiteCache struct {
	DB     database.Querier
	Forced Forced
	TTL    time.Duration
	Now    func() time.Time

	mu      sync.Mutex
	site    *Site
	fetched time.Time
}

// Get returns the cached Site, reading it again when it is older than TTL.
func (c *SiteCache) Get(ctx context.Context) (*Site, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.site != nil && now().Sub(c.fetched) < c.TTL {
		return c.site, nil
	}
	site, err := LoadSite(ctx, c.DB, c.Forced)
	if err != nil {
		return nil, err
	}
	c.site, c.fetched = site, now()
	return site, nil
}

// Invalidate drops the cached Site, after the service changed Moodle's
// config itself.
func (c *SiteCache) Invalidate() {
	c.mu.Lock()
	c.site = nil
	c.mu.Unlock()
}
