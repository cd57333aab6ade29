package migrate

import (
	"context"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
)

func ensureSettings(ctx context.Context, db *database.DB) ([]string, error) {
	written, err := settings.EnsureDefaults(ctx, db)
	if err != nil {
		return written, fmt.Errorf("migrate: %w", err)
	}
	return written, nil
}
