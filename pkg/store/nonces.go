package store

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
)

// Nonces is the MySQL store of OAuth nonces (oauth1.NonceStore). It writes
// outside any launch transaction on purpose: a nonce is spent once its
// signature verified, even if the launch then fails.
type Nonces struct {
	DB  database.Querier
	Now func() time.Time
}

// Use records the nonce; a second use of the same (key, nonce) is
// oauth1.ErrReplay, also when two requests race (primary key).
func (n *Nonces) Use(ctx context.Context, consumerKey, nonce string, expires time.Time) error {
	sum := sha1.Sum([]byte(consumerKey + "\x00" + nonce))
	_, err := n.DB.Exec(ctx, "INSERT INTO {local_ltiprovider_nonce} (noncehash, expires) VALUES (?, ?)",
		hex.EncodeToString(sum[:]), expires.Unix())
	if errors.Is(err, database.ErrDuplicate) {
		return oauth1.ErrReplay
	}
	if err != nil {
		return fmt.Errorf("recording nonce: %w", err)
	}
	return nil
}

// PurgeNonces deletes expired nonces and returns how many; housekeeping
// runs it. Expired nonces cannot be replayed: their timestamps are outside
// the window.
func PurgeNonces(ctx context.Context, q database.Querier, now time.Time) (int64, error) {
	res, err := q.Exec(ctx, "DELETE FROM {local_ltiprovider_nonce} WHERE expires < ?", now.Unix())
	if err != nil {
		return 0, fmt.Errorf("purging nonces: %w", err)
	}
	return res.RowsAffected()
}
