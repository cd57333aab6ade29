package session

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phpredis"
)

// redisStore is Moodle 4.5's \core\session\redis (lib/classes/session/
// redis.php). It keeps no sessions rows. phpredis runs with
// OPT_SERIALIZER = SERIALIZER_PHP (or SERIALIZER_IGBINARY) and OPT_PREFIX
// = session_redis_prefix, so every key carries the prefix and every hash
// value is serialised (pkg/phpredis):
//
//	<prefix>session_<sid>  hash: id, state, sid, userid, sessdata,
//	                       timecreated, timemodified, firstip, lastip
//	<prefix>user_<userid>  hash: <sid> → login time
//
// Both expire after sessiontimeout + session_update_timemodified_frequency
// + 60 seconds, as get_maxlifetime() gives for a logged-in user.
type redisStore struct {
	client  redis.UniversalClient
	prefix  string
	format  phpredis.Format
	timeout time.Duration // Moodle's session lifetime in Redis
	log     *slog.Logger
}

// newRedisClient connects like redis::init(): a comma-separated host list
// is a cluster; a host may carry its port or be a Unix socket path.
func newRedisClient(cfg config.Session) (redis.UniversalClient, error) {
	var hosts []string
	for _, h := range strings.Split(cfg.RedisHost, ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("session_redis_host is not set")
	}
	timeout := cfg.RedisConnectionTimeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	port := cfg.RedisPort
	if port == 0 {
		port = 6379
	}
	var addrs []string
	network := "tcp"
	for _, h := range hosts {
		switch {
		case strings.HasPrefix(h, "/") || strings.HasPrefix(h, "unix://"):
			network = "unix"
			addrs = append(addrs, strings.TrimPrefix(h, "unix://"))
		case strings.Contains(h, ":"):
			addrs = append(addrs, h)
		default:
			addrs = append(addrs, net.JoinHostPort(h, strconv.Itoa(port)))
		}
	}
	var tlsConf *tls.Config
	if cfg.RedisEncrypt && network == "tcp" {
		host, _, _ := net.SplitHostPort(addrs[0])
		tlsConf = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	if len(addrs) > 1 {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Password: cfg.RedisAuth, TLSConfig: tlsConf,
			DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout}), nil
	}
	return redis.NewClient(&redis.Options{Network: network, Addr: addrs[0], Password: cfg.RedisAuth, DB: cfg.RedisDatabase,
		TLSConfig: tlsConf, DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout}), nil
}

func (r redisStore) sessionKey(sid string) string { return r.prefix + "session_" + sid }
func (r redisStore) userKey(userID int64) string {
	return r.prefix + "user_" + strconv.FormatInt(userID, 10)
}

// ser is phpredis's serializer applied to one value.
func (r redisStore) ser(v any) string {
	s, err := r.format.Value(v)
	if err != nil {
		panic(err) // only strings and int64 are passed
	}
	return s
}

// sessionHash is the hash add_session() writes, with the session data the
// login request's write() adds (compressed first when Moodle compresses).
func (r redisStore) sessionHash(s newSession) (map[string]any, error) {
	data, err := r.format.Compress(s.data)
	if err != nil {
		return nil, err
	}
	ser := r.ser
	t := s.now.Unix()
	return map[string]any{
		"id": ser(s.sid), "state": ser("0"), "sid": ser(s.sid), "userid": ser(s.userID),
		"sessdata": ser(string(data)), "timecreated": ser(t), "timemodified": ser(t),
		"firstip": ser(s.ip), "lastip": ser(s.ip),
	}, nil
}

func (r redisStore) write(ctx context.Context, tx *database.Tx, s newSession) error {
	hash, err := r.sessionHash(s)
	if err != nil {
		return err
	}
	sk, uk := r.sessionKey(s.sid), r.userKey(s.userID)
	// Registered first: a write that half succeeded is undone too.
	tx.OnRollback(func() { r.remove(s.sid, s.userID) })
	_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, uk, s.sid, r.ser(s.now.Unix()))
		p.Expire(ctx, uk, r.timeout)
		p.HSet(ctx, sk, hash)
		p.Expire(ctx, sk, r.timeout)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis session: %w", err)
	}
	return nil
}

// remove deletes a session written by this launch (on rollback).
func (r redisStore) remove(sid string, userID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.client.HDel(ctx, r.userKey(userID), sid).Err(); err != nil {
		r.log.Warn("cannot remove a rolled-back redis session", "err", err)
	}
	if err := r.client.Unlink(ctx, r.sessionKey(sid)).Err(); err != nil {
		r.log.Warn("cannot remove a rolled-back redis session", "err", err)
	}
}

// destroy is redis::destroy(): the user's index entry and the session hash.
func (r redisStore) destroy(ctx context.Context, q database.Querier, sid string) error {
	if !validSID(sid) {
		return nil
	}
	afterCommit(q, func() {
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		uid, err := r.client.HGet(dctx, r.sessionKey(sid), "userid").Result()
		if err != nil && err != redis.Nil {
			r.log.Warn("cannot destroy a redis session", "err", err)
			return
		}
		if id, perr := r.format.Int(uid); perr == nil && id != 0 {
			r.client.HDel(dctx, r.userKey(id), sid)
		}
		if err := r.client.Unlink(dctx, r.sessionKey(sid)).Err(); err != nil {
			r.log.Warn("cannot destroy a redis session", "err", err)
		}
	})
	return nil
}

// sessionsOf is redis::get_sessions_by_userid(): the sids in the user's
// index whose session hash still exists.
func (r redisStore) sessionsOf(ctx context.Context, q database.Querier, userID int64) ([]sessionRef, error) {
	sids, err := r.client.HKeys(ctx, r.userKey(userID)).Result()
	if err != nil {
		return nil, fmt.Errorf("redis sessions of user %d: %w", userID, err)
	}
	var refs []sessionRef
	for _, sid := range sids {
		tc, err := r.client.HGet(ctx, r.sessionKey(sid), "timecreated").Result()
		if err == redis.Nil {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("redis session: %w", err)
		}
		ref := sessionRef{SID: sid}
		if n, err := r.format.Int(tc); err == nil {
			ref.TimeCreated = n
		}
		refs = append(refs, ref)
	}
	return refs, nil
}
