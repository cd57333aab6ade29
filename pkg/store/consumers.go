package store

import (
	"context"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// ConsumerKey is an oauth_consumer_key a tool accepts: a row of
// local_ltiprovider_consumer. A tool with no keys accepts the key of its
// first verified launch and binds it; a tool with keys accepts only those.
type ConsumerKey struct {
	ID          int64  `db:"id"`
	ToolID      int64  `db:"toolid"`
	Key         string `db:"consumerkey"`
	TimeCreated int64  `db:"timecreated"`
}

// KeyHash is the indexed form of a consumer key.
func KeyHash(consumerKey string) string {
	sum := sha1.Sum([]byte(consumerKey))
	return hex.EncodeToString(sum[:])
}

// ConsumerKeysOfTool returns the keys bound to a tool, oldest first.
func ConsumerKeysOfTool(ctx context.Context, q database.Querier, toolID int64) ([]ConsumerKey, error) {
	var keys []ConsumerKey
	err := q.Select(ctx, &keys, "SELECT id, toolid, consumerkey, timecreated FROM {local_ltiprovider_consumer} WHERE toolid = ? ORDER BY id", toolID)
	if err != nil {
		return nil, fmt.Errorf("consumer keys of tool %d: %w", toolID, err)
	}
	return keys, nil
}

// ConsumerKeyBound reports whether a tool accepts a key, and how many keys
// the tool has in all (0: the tool binds the key of its next launch).
func ConsumerKeyBound(ctx context.Context, q database.Querier, toolID int64, consumerKey string) (bound bool, total int, err error) {
	var row struct {
		Total int `db:"total"`
		Match int `db:"matching"`
	}
	// The hash compares the exact bytes; the column's collation would
	// compare keys case-insensitively.
	err = q.Get(ctx, &row, "SELECT COUNT(*) AS total, COALESCE(SUM(keyhash = ?), 0) AS matching "+
		"FROM {local_ltiprovider_consumer} WHERE toolid = ?", KeyHash(consumerKey), toolID)
	if err != nil {
		return false, 0, fmt.Errorf("consumer keys of tool %d: %w", toolID, err)
	}
	return row.Match > 0, row.Total, nil
}

// BindConsumerKey makes a tool accept a key. Binding a key twice is not an
// error and changes nothing.
func BindConsumerKey(ctx context.Context, q database.Querier, toolID int64, consumerKey string, now int64) error {
	if consumerKey == "" {
		return fmt.Errorf("binding a consumer key to tool %d: the key is empty", toolID)
	}
	_, err := q.Exec(ctx, "INSERT INTO {local_ltiprovider_consumer} (toolid, consumerkey, keyhash, timecreated) VALUES (?, ?, ?, ?) "+
		"ON DUPLICATE KEY UPDATE keyhash = keyhash", toolID, consumerKey, KeyHash(consumerKey), now)
	if err != nil {
		return fmt.Errorf("binding a consumer key to tool %d: %w", toolID, err)
	}
	return nil
}

// UnbindConsumerKey stops a tool accepting a key. It reports whether the
// key was bound. A tool left without keys binds the key of its next launch.
func UnbindConsumerKey(ctx context.Context, q database.Querier, toolID int64, consumerKey string) (bool, error) {
	res, err := q.Exec(ctx, "DELETE FROM {local_ltiprovider_consumer} WHERE toolid = ? AND keyhash = ?",
		toolID, KeyHash(consumerKey))
	if err != nil {
		return false, fmt.Errorf("unbinding a consumer key of tool %d: %w", toolID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// LockTool takes the tool's row lock until the transaction ends, so that
// decisions about the tool (binding its first consumer key) are made by
// one launch at a time. A missing tool is database.ErrNotFound.
func LockTool(ctx context.Context, q database.Querier, toolID int64) error {
	var id int64
	err := q.Get(ctx, &id, "SELECT id FROM {local_ltiprovider} WHERE id = ? FOR UPDATE", toolID)
	if errors.Is(err, database.ErrNotFound) {
		return fmt.Errorf("tool %d: %w", toolID, err)
	}
	return err
}

// A consumer key's users are the same Moodle accounts on every tool
// (usernames hash the key and user_id, not the tool), so whoever holds the
// secret of any tool that accepts a key can log in as any of that key's
// users. Letting one more tool accept a key that tools with other secrets
// already use therefore hands those users to that tool's managers: it is a
// site administrator's decision, never a course manager's or a request's.

// KeyUsedWithOtherSecret reports whether key is accepted by, or recorded
// for the users of, a tool other than toolID whose secret is not secret.
func KeyUsedWithOtherSecret(ctx context.Context, q database.Querier, toolID int64, key, secret string) (bool, error) {
	var secrets []string
	err := q.Select(ctx, &secrets, `SELECT t.secret FROM {local_ltiprovider_consumer} c JOIN {local_ltiprovider} t ON t.id = c.toolid
		WHERE c.keyhash = ? AND c.toolid <> ?
		UNION
		SELECT t.secret FROM {local_ltiprovider_user} u JOIN {local_ltiprovider} t ON t.id = u.toolid
		WHERE u.consumerkey = ? AND u.toolid <> ?`, KeyHash(key), toolID, key, toolID)
	if err != nil {
		return false, fmt.Errorf("tools using a consumer key: %w", err)
	}
	for _, s := range secrets {
		// Compared here, byte for byte: the column's collation ignores case.
		if subtle.ConstantTimeCompare([]byte(s), []byte(secret)) != 1 {
			return true, nil
		}
	}
	return false, nil
}
