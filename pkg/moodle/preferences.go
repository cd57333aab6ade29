package moodle

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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

// CourseAccess is a row of user_lastaccess: when the user last entered a
// course (unix seconds, as text, the way PHP reads it).
type CourseAccess struct {
	CourseID   int64
	TimeAccess string
}

// UserAccessesAndPreferences returns a user's course accesses and
// preferences, each in table order, as get_complete_user_data() and
// check_user_preferences_loaded() read them, in one query instead of two.
func UserAccessesAndPreferences(ctx context.Context, q database.Querier, userID int64) ([]CourseAccess, []Preference, error) {
	// The numbers of user_lastaccess come back as text in the union's
	// columns (those of user_preferences), with no collation to clash.
	var rows []struct {
		Part  int    `db:"part"`
		ID    int64  `db:"id"`
		Name  string `db:"name"`
		Value string `db:"value"`
	}
	err := q.Select(ctx, &rows, `SELECT 0 AS part, id, courseid AS name, timeaccess AS value FROM {user_lastaccess} WHERE userid = ?
		UNION ALL SELECT 1, id, name, value FROM {user_preferences} WHERE userid = ?
		ORDER BY part, id`, userID, userID)
	if err != nil {
		return nil, nil, fmt.Errorf("course accesses and preferences of user %d: %w", userID, err)
	}
	var accesses []CourseAccess
	var prefs []Preference
	for _, r := range rows {
		if r.Part == 1 {
			prefs = append(prefs, Preference{Name: r.Name, Value: r.Value})
			continue
		}
		course, err := strconv.ParseInt(r.Name, 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("course accesses of user %d: course %q: %w", userID, r.Name, err)
		}
		accesses = append(accesses, CourseAccess{CourseID: course, TimeAccess: r.Value})
	}
	return accesses, prefs, nil
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

// AddUserPreference writes a preference the caller knows the user does
// not have (it read them all in the same transaction), as
// set_user_preference() does for a new one: the row, then the
// userpreferenceschanged flag. It saves SetUserPreference's read.
func AddUserPreference(ctx context.Context, q database.Querier, site *Site, userID int64, name, value string, now time.Time) error {
	if _, err := q.Exec(ctx, "INSERT INTO {user_preferences} (userid, name, value) VALUES (?, ?, ?)", userID, name, value); err != nil {
		return fmt.Errorf("preference %s of user %d: %w", name, userID, err)
	}
	return SetCacheFlag(ctx, q, "userpreferenceschanged", fmt.Sprint(userID), "1", now.Unix()+int64(site.SessionTimeout().Seconds()), now)
}

// SetCacheFlag writes a cache_flags row as set_cache_flag() does (the row
// updated if the flag exists, inserted otherwise); an expiry in the past
// means a day from now. A new flag, the usual case (a user's first role or
// preference change in a while), takes one statement: the insert happens
// only when no such flag exists, else the existing one is updated.
func SetCacheFlag(ctx context.Context, q database.Querier, flagType, name, value string, expiry int64, now time.Time) error {
	t := now.Unix()
	if expiry < t {
		expiry = t + 24*3600
	}
	res, err := q.Exec(ctx, `INSERT INTO {cache_flags} (flagtype, name, timemodified, value, expiry)
		SELECT ?, ?, ?, ?, ? FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM {cache_flags} WHERE flagtype = ? AND name = ?)`,
		flagType, name, t, value, expiry, flagType, name)
	if err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			_, err = q.Exec(ctx, "UPDATE {cache_flags} SET value = ?, expiry = ?, timemodified = ? WHERE flagtype = ? AND name = ?",
				value, expiry, t, flagType, name)
		}
	}
	if err != nil {
		return fmt.Errorf("cache flag %s/%s: %w", flagType, name, err)
	}
	return nil
}
