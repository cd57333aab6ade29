package moodleauth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phpredis"
)

// RedisStore reads the session hashes of Moodle's redis handler
// (\core\session\redis): key <prefix>session_<sid>, fields serialised by
// phpredis (PHP's serialize() or igbinary), the session data compressed
// first when Moodle compresses (pkg/phpredis).
type RedisStore struct {
	Client *redis.Client
	Prefix string // $CFG->session_redis_prefix
	Format phpredis.Format
}

// NewRedisStore connects to the Redis server of Moodle's sessions as
// config.php describes it.
func NewRedisStore(s config.Session) (*RedisStore, error) {
	if strings.Contains(s.RedisHost, ",") {
		return nil, errors.New("moodleauth: Redis cluster session stores are not supported")
	}
	format, err := phpredis.FormatOf(s)
	if err != nil {
		return nil, fmt.Errorf("moodleauth: %w", err)
	}
	opts := &redis.Options{
		Addr:        net.JoinHostPort(s.RedisHost, strconv.Itoa(s.RedisPort)),
		Password:    s.RedisAuth,
		DB:          s.RedisDatabase,
		DialTimeout: s.RedisConnectionTimeout,
		ReadTimeout: 3 * time.Second,
	}
	if s.RedisEncrypt {
		opts.TLSConfig = &tls.Config{ServerName: s.RedisHost, MinVersion: tls.VersionTLS12}
	}
	return &RedisStore{Client: redis.NewClient(opts), Prefix: s.RedisPrefix, Format: format}, nil
}

// Data reads a session's data: the sessdata field, serialised by phpredis
// and compressed first when Moodle compresses.
func (s *RedisStore) Data(ctx context.Context, sid string) ([]byte, error) {
	v, err := s.Client.HGet(ctx, s.Prefix+"session_"+sid, "sessdata").Result()
	if errors.Is(err, redis.Nil) {
		return nil, ErrSessionUnreadable
	}
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	val, err := s.Format.Scalar(v)
	data, ok := val.(string)
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: sessdata is not a serialised string", ErrSessionUnreadable)
	}
	b, err := s.Format.Decompress([]byte(data), maxSessionData)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSessionUnreadable, err)
	}
	return b, nil
}

// Lookup reads userid and timemodified of a session hash.
func (s *RedisStore) Lookup(ctx context.Context, sid string) (Record, error) {
	vals, err := s.Client.HMGet(ctx, s.Prefix+"session_"+sid, "userid", "timemodified", "timecreated").Result()
	if err != nil {
		return Record{}, fmt.Errorf("redis: %w", err)
	}
	if len(vals) != 3 || vals[0] == nil {
		return Record{}, ErrNoSession
	}
	var n [3]int64
	for i, name := range []string{"userid", "timemodified", "timecreated"} {
		raw, ok := vals[i].(string)
		if !ok {
			return Record{}, fmt.Errorf("redis session %s: unexpected %T", name, vals[i])
		}
		if n[i], err = s.Format.Int(raw); err != nil {
			return Record{}, fmt.Errorf("redis session %s: %w", name, err)
		}
	}
	return Record{UserID: n[0], TimeModified: n[1], TimeCreated: n[2]}, nil
}
