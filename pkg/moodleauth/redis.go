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
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phpserialize"
)

// RedisStore reads the session hashes of Moodle's redis handler
// (\core\session\redis): key <prefix>session_<sid>, fields PHP-serialised
// by phpredis' SERIALIZER_PHP.
type RedisStore struct {
	Client *redis.Client
	Prefix string // $CFG->session_redis_prefix
	// Compressor is $CFG->session_redis_compressor: none, gzip or zstd.
	Compressor string
}

// NewRedisStore connects to the Redis server of Moodle's sessions as
// config.php describes it. It refuses igbinary, which it cannot read.
func NewRedisStore(s config.Session) (*RedisStore, error) {
	if s.RedisSerializerIgbinary {
		return nil, errors.New("moodleauth: Moodle stores Redis sessions with igbinary, which the service cannot read")
	}
	if strings.Contains(s.RedisHost, ",") {
		return nil, errors.New("moodleauth: Redis cluster session stores are not supported")
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
	return &RedisStore{Client: redis.NewClient(opts), Prefix: s.RedisPrefix, Compressor: s.RedisCompressor}, nil
}

// Data reads a session's data: the sessdata field, PHP-serialised by
// phpredis, compressed first when Moodle compresses (gzip only; zstd is
// not read).
func (s *RedisStore) Data(ctx context.Context, sid string) ([]byte, error) {
	v, err := s.Client.HGet(ctx, s.Prefix+"session_"+sid, "sessdata").Result()
	if errors.Is(err, redis.Nil) {
		return nil, ErrSessionUnreadable
	}
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	val, err := phpserialize.Unmarshal([]byte(v))
	data, ok := val.(string)
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: sessdata is not a PHP string", ErrSessionUnreadable)
	}
	switch s.Compressor {
	case "", "none":
		return []byte(data), nil
	case "gzip":
		b, err := gunzip([]byte(data))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSessionUnreadable, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: %s compression", ErrSessionUnreadable, s.Compressor)
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
	userID, err := phpInt(vals[0])
	if err != nil {
		return Record{}, fmt.Errorf("redis session userid: %w", err)
	}
	modified, err := phpInt(vals[1])
	if err != nil {
		return Record{}, fmt.Errorf("redis session timemodified: %w", err)
	}
	created, err := phpInt(vals[2])
	if err != nil {
		return Record{}, fmt.Errorf("redis session timecreated: %w", err)
	}
	return Record{UserID: userID, TimeCreated: created, TimeModified: modified}, nil
}

// phpInt reads a whole number serialised by PHP: i:5; or s:1:"5"; (Moodle
// writes both, depending on where the value came from).
func phpInt(v any) (int64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("unexpected %T", v)
	}
	switch {
	case strings.HasPrefix(s, "i:") && strings.HasSuffix(s, ";"):
		return strconv.ParseInt(s[2:len(s)-1], 10, 64)
	case strings.HasPrefix(s, "s:") && strings.HasSuffix(s, `";`):
		_, rest, ok := strings.Cut(s[2:], `:"`)
		if !ok {
			break
		}
		return strconv.ParseInt(strings.TrimSuffix(rest, `";`), 10, 64)
	case s == "N;":
		return 0, nil
	}
	return 0, fmt.Errorf("not a PHP-serialised number: %.40q", s)
}
