package moodle

import (
	"context"
	"errors"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// UserIDByUsernames returns the id of the first live (not deleted) local
// user among usernames, in the order given, or 0 when none exists. It
// locks nothing.
func UserIDByUsernames(ctx context.Context, q database.Querier, mnetHostID int64, usernames ...string) (int64, error) {
	for _, name := range usernames {
		var id int64
		err := q.Get(ctx, &id, "SELECT id FROM {user} WHERE username = ? AND mnethostid = ? AND deleted = 0", name, mnetHostID)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, database.ErrNotFound) {
			return 0, fmt.Errorf("user %q: %w", name, err)
		}
	}
	return 0, nil
}
