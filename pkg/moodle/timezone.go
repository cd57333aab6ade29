package moodle

import (
	"context"
	"fmt"
	"time"
	_ "time/tzdata" // Moodle's timezones by name, even where the system has no zoneinfo

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// ServerLocation is the timezone Moodle computes dates in for a visitor who
// is not logged in (core_date::get_user_timezone(99)): $CFG->forcetimezone
// when set, else $CFG->timezone, else the server's own (time.Local). An
// unknown name falls back the same way.
func ServerLocation(s *Site) *time.Location {
	for _, name := range []string{s.Get("forcetimezone"), s.Get("timezone")} {
		if name == "" || name == "99" {
			continue
		}
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.Local
}

// Midnight is 00:00 of t's day in loc, as make_timestamp(Y, m, d, 0, 0, 0)
// gives it.
func Midnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// UserLocation is core_date::get_user_timezone() for a user: the site's
// $CFG->forcetimezone when set, else the user's own timezone, else the
// site's (ServerLocation). User 0 (nobody) gets the site's.
func UserLocation(ctx context.Context, q database.Querier, s *Site, userID int64) (*time.Location, error) {
	if f := s.Get("forcetimezone"); f != "" && f != "99" {
		if loc, err := time.LoadLocation(f); err == nil {
			return loc, nil
		}
	}
	if userID != 0 {
		var tz string
		if err := q.Get(ctx, &tz, "SELECT timezone FROM {user} WHERE id = ?", userID); err != nil {
			return nil, fmt.Errorf("timezone of user %d: %w", userID, err)
		}
		if tz != "" && tz != "99" {
			if loc, err := time.LoadLocation(tz); err == nil {
				return loc, nil
			}
		}
	}
	return ServerLocation(s), nil
}
