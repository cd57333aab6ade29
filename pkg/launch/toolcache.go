package launch

import (
	"context"
	"sync"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// maxToolTTL bounds how long a tool read by id is reused. Replicas of the
// service share the database and hear of no change another one (or the
// CLI) makes, so the cache is invalidated by age alone: a tool disabled,
// edited or given a new secret is seen by every launch within this time.
// (A launch signed with a secret newer than the cached one is not refused
// meanwhile: a signature that fails against a cached tool is checked
// again against the tool as stored.)
const maxToolTTL = 5 * time.Second

// toolCache keeps the tools launches name by id (?id=), saving a query per
// launch. Only tools that exist are kept, so the ids of the launch URL,
// which anyone can send, cannot grow it.
type toolCache struct {
	ttl time.Duration

	mu    sync.Mutex
	tools map[int64]cachedTool
}

type cachedTool struct {
	tool store.Tool
	read time.Time
}

func newToolCache(ttl time.Duration) *toolCache {
	return &toolCache{ttl: min(ttl, maxToolTTL), tools: map[int64]cachedTool{}}
}

// get returns the tool, from the cache when it is fresh enough (cached
// true), else from the database. Callers get their own copy.
func (c *toolCache) get(ctx context.Context, q database.Querier, id int64) (tool *store.Tool, cached bool, err error) {
	c.mu.Lock()
	e, ok := c.tools[id]
	c.mu.Unlock()
	if ok && time.Since(e.read) < c.ttl {
		t := e.tool
		return &t, true, nil
	}
	t, err := c.reload(ctx, q, id)
	return t, false, err
}

// reload reads the tool from the database and caches it; a missing tool
// is dropped from the cache.
func (c *toolCache) reload(ctx context.Context, q database.Querier, id int64) (*store.Tool, error) {
	read := time.Now()
	t, err := store.GetTool(ctx, q, id)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		delete(c.tools, id)
		return nil, err
	}
	c.tools[id] = cachedTool{tool: *t, read: read}
	return t, nil
}
