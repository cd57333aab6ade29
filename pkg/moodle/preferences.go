package moodle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Preference is one row of user_preferences.
type Preference struct {
	Name  string `db:"name"`
	Value string `db:"value"`
}

// UserPreferences returns a user's preferences in table order, as
// check_user_preferences_loaded() reads them into $USER->preference.
func UserPreferences(ctx context.Context, q database.Querier, userID int64) ([]Preference, error) {
	var prefs []Preference
	if err := q.Select(ctx, &prefs, "SELECT name, value FROM {user_preferences} WHERE userid = ? ORDER BY id", userID); err != nil {
		return nil, fmt.Errorf("preferences of user %d: %w", userID, err)
	}
	return prefs, nil
}

// SetUserPreference writes a preference as set_user_preference() does: the
// row is inserted or updated, then the userpreferenceschanged cache flag
// tells the user's other sessions to reload their preferences. It does
// nothing when the value is already stored.
func SetUserPreference(ctx context.Context, q database.Querier, site *Site, userID int64, name, value string, now time.Time) error {
	var cur Preference
	err := q.Get(ctx, &cur, "SELECT name, value FROM {user_preferences} WHERE userid = ? AND name = ?", userID, name)
	switch {
	case err == nil && cur.Value == value:
		return nil
	case err == nil:
		_, err = q.Exec(ctx, "UPDATE {user_preferences} SET value = ? WHERE userid = ? AND name = ?", value, userID, name)
	case errors.Is(err, database.ErrNotFound):
		_, err = q.Exec(ctx, "INSERT INTO {user_preferences} (userid, name, value) VALUES (?, ?, ?)", userID, name, value)
	}
	if err != nil {
		return fmt.Errorf("preference %s of user %d: %w", name, userID, err)
	}
	// mark_user_preferences_changed(): the flag lives as long as a session.
	return SetCacheFlag(ctx, q, "userpreferenceschanged", fmt.Sprint(userID), "1", now.Unix()+int64(site.SessionTimeout().Seconds()), now)
}

// SetCacheFlag writes a cache_flags row as set_cache_flag() does; an expiry
// in the past means a day from now.
func SetCacheFlag(ctx context.Context, q database.Querier, flagType, name, value string, expiry int64, now time.Time) error {
	t := now.Unix()
	if expiry < t {
		expiry = t + 24*3600
	}
	res, err := q.Exec(ctx, "UPDATE {cache_flags} SET value = ?, expiry = ?, timemodified = ? WHERE flagtype = ? AND name = ?",
		value, expiry, t, flagType, name)
	if err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			var exists int
			if err = q.Get(ctx, &exists, "SELECT COUNT(*) FROM {cache_flags} WHERE flagtype = ? AND name = ?", flagType, name); err == nil && exists == 0 {
				_, err = q.Exec(ctx, "INSERT INTO {cache_flags} (flagtype, name, timemodified, value, expiry) VALUES (?, ?, ?, ?, ?)",
					flagType, name, t, value, expiry)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("cache flag %s/%s: %w", flagType, name, err)
	}
	return nil
}
