package moodle

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// UserKey is a user_private_key row: a key that logs a user in to one
// script without a password (tool_mobile autologin, RSS, calendar export).
type UserKey struct {
	Script        string
	UserID        int64
	Instance      *int64 // nil for NULL
	IPRestriction string // "" for NULL (no restriction)
	ValidUntil    time.Time
	Value         string // filled by CreateUserKey
}

// CreateUserKey inserts a key as create_user_key() does and returns its
// value: 32 lowercase hex characters like Moodle's md5-based values, but
// drawn from crypto/rand (128 bits), so no uniqueness loop is needed.
func CreateUserKey(ctx context.Context, q database.Querier, k UserKey, now time.Time) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	k.Value = hex.EncodeToString(b[:])
	var ip, until any
	if k.IPRestriction != "" {
		ip = k.IPRestriction
	}
	if !k.ValidUntil.IsZero() {
		until = k.ValidUntil.Unix()
	}
	_, err := q.Exec(ctx, "INSERT INTO {user_private_key} (script, value, userid, instance, iprestriction, validuntil, timecreated) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?)", k.Script, k.Value, k.UserID, k.Instance, ip, until, now.Unix())
	if err != nil {
		return "", fmt.Errorf("user key %s for user %d: %w", k.Script, k.UserID, err)
	}
	return k.Value, nil
}

// DeleteUserKeys removes a user's keys for one script, as delete_user_key().
func DeleteUserKeys(ctx context.Context, q database.Querier, script string, userID int64) error {
	if _, err := q.Exec(ctx, "DELETE FROM {user_private_key} WHERE script = ? AND userid = ?", script, userID); err != nil {
		return fmt.Errorf("deleting %s keys of user %d: %w", script, userID, err)
	}
	return nil
}
