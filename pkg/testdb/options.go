package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"

	sqlfiles "github.com/moodle-ltiprovider/moodle-ltiprovider/sql"
)

// Option changes what New's database contains.
type Option func(*options)

type options struct {
	prefix     string
	prepareKey string
	prepare    func(ctx context.Context, db *sql.DB, prefix string) error
}

// WithPrefix loads the fixture with another table prefix than mdl_ (the
// default, which LTIPROVIDER_TEST_PREFIX overrides), to check that nothing
// hard-codes mdl_.
func WithPrefix(prefix string) Option {
	return func(o *options) { o.prefix = prefix }
}

// WithPrepare runs fn once on the template after the fixture is loaded, e.g.
// the service's migrations; every database New hands out then starts from the
// result. Templates are shared between processes and runs and found by key,
// so key must change whenever fn's effect changes (a migration's version or a
// hash of the migration files). fn may create tables and rows; views,
// triggers, routines and events are refused, because cloning would lose them.
func WithPrepare(key string, fn func(ctx context.Context, db *sql.DB, prefix string) error) Option {
	return func(o *options) {
		o.prepareKey = key
		o.prepare = fn
	}
}

// Moodle lets an administrator choose the prefix; table names stay under
// MySQL's 64 characters with a short one, and lower case keeps them portable.
var prefixPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,9}$`)

func buildOptions(opts []Option) (options, error) {
	o := options{prefix: sqlfiles.FixturePrefix}
	if p := os.Getenv(envPrefix); p != "" {
		o.prefix = p
	}
	for _, opt := range opts {
		opt(&o)
	}
	if !prefixPattern.MatchString(o.prefix) {
		return o, fmt.Errorf("testdb: table prefix %q: want 1-10 characters of a-z, 0-9, _ starting with a letter", o.prefix)
	}
	if (o.prepare == nil) != (o.prepareKey == "") {
		return o, fmt.Errorf("testdb: WithPrepare needs both a key and a function")
	}
	return o, nil
}
