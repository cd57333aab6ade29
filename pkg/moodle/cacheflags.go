package moodle

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// SetCacheFlag does what set_cache_flag() does: update the (flagtype, name)
// row, or insert it when there is none. It never relies on MySQL's
// affected-row count, which is 0 for an unchanged row.
func SetCacheFlag(ctx context.Context, q database.Querier, flagtype, name, value string, expiry, now int64) error {
	var id int64
	err := q.Get(ctx, &id, "SELECT id FROM {cache_flags} WHERE name = ? AND flagtype = ? LIMIT 1", name, flagtype)
	switch {
	case err == nil:
		_, err = q.Exec(ctx, "UPDATE {cache_flags} SET value = ?, expiry = ?, timemodified = ? WHERE id = ?", value, expiry, now, id)
	case errors.Is(err, database.ErrNotFound):
		_, err = q.Exec(ctx, "INSERT INTO {cache_flags} (flagtype, name, value, expiry, timemodified) VALUES (?, ?, ?, ?, ?)",
			flagtype, name, value, expiry, now)
	}
	if err != nil {
		return fmt.Errorf("cache flag %s/%s: %w", flagtype, name, err)
	}
	return nil
}

// MarkUserDirty is mark_user_dirty(): a logged-in user's session reloads
// their roles and capabilities on their next request.
func MarkUserDirty(ctx context.Context, q database.Querier, env Env, userID int64) error {
	now := env.Unix()
	timeout := int64(8 * 3600)
	if env.Site != nil {
		timeout = int64(env.Site.SessionTimeout().Seconds())
	}
	return SetCacheFlag(ctx, q, "accesslib/dirtyusers", strconv.FormatInt(userID, 10), "1", now+timeout, now)
}
