package oauth1

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"
)

// expiringNonces forgets a nonce once its expiry has passed, as the MySQL
// store's housekeeping (PurgeNonces) does.
type expiringNonces struct {
	mu      sync.Mutex
	now     func() time.Time
	expires map[string]time.Time
}

func (m *expiringNonces) Use(_ context.Context, key, nonce string, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, e := range m.expires {
		if e.Before(m.now()) {
			delete(m.expires, k)
		}
	}
	if _, ok := m.expires[key+"\x00"+nonce]; ok {
		return ErrReplay
	}
	m.expires[key+"\x00"+nonce] = expires
	return nil
}

// A nonce is kept for as long as its timestamp is acceptable: a request
// stamped at the far edge of the window (a consumer whose clock runs
// ahead) stays acceptable until timestamp + window, so its nonce must not
// expire before then, or the same request can be replayed once
// housekeeping purged it.
func TestNonceOutlivesItsTimestamp(t *testing.T) {
	const window = 5 * time.Minute
	start := time.Unix(1795754326, 0)
	for _, skew := range []time.Duration{window, time.Minute, 0, -window} {
		clock := start
		store := &expiringNonces{now: func() time.Time { return clock }, expires: map[string]time.Time{}}
		v := &Verifier{Window: window, Nonces: store, Now: func() time.Time { return clock }}
		ts := strconv.FormatInt(start.Add(skew).Unix(), 10)
		p := Params{{"oauth_consumer_key", "k"}, {"oauth_nonce", "n1"}, {"oauth_signature_method", HMACSHA1},
			{"oauth_version", "1.0"}, {"oauth_timestamp", ts}, {"resource_link_id", "1"}}
		base, _ := BaseString("POST", "https://m.example/local/ltiprovider/tool.php", p)
		sig, _ := Sign(HMACSHA1, base, "s")
		req := Request{Method: "POST", URL: "https://m.example/local/ltiprovider/tool.php", Params: append(p, Param{"oauth_signature", sig})}
		if err := v.Verify(context.Background(), req, "s"); err != nil {
			t.Fatalf("skew %v: first use: %v", skew, err)
		}
		// Replays every 10 s for as long as the timestamp is acceptable are
		// all refused; afterwards the timestamp is too old.
		for clock = start.Add(10 * time.Second); clock.Before(start.Add(skew + window + time.Minute)); clock = clock.Add(10 * time.Second) {
			err := v.Verify(context.Background(), req, "s")
			if err == nil {
				t.Fatalf("skew %v: replay accepted %v after the first use", skew, clock.Sub(start))
			}
			if !errors.Is(err, ErrReplay) && !errors.Is(err, ErrExpired) {
				t.Fatalf("skew %v: %v", skew, err)
			}
		}
	}
}
