package moodleauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/memcache"
)

// MemcachedData reads session data where Moodle's memcached handler (the
// PHP memcached extension) keeps it: key <prefix><sid>, a plain string.
type MemcachedData struct {
	Client memcache.Client
	Prefix string // $CFG->session_memcached_prefix
}

// Data returns a session's data.
func (m MemcachedData) Data(ctx context.Context, sid string) ([]byte, error) {
	data, flags, err := m.Client.Get(ctx, m.Prefix+sid, maxSessionData)
	switch {
	case errors.Is(err, memcache.ErrNotFound):
		return nil, ErrSessionUnreadable
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrSessionUnreadable, err)
	case flags != 0:
		return nil, fmt.Errorf("%w: memcached value with flags %d, not a plain string", ErrSessionUnreadable, flags)
	}
	return data, nil
}
