package jobs

import (
	"context"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// MemberLogRetention is how long the membership sync log is kept.
const MemberLogRetention = 365 * 24 * time.Hour

// HousekeepingResult counts what housekeeping removed.
type HousekeepingResult struct {
	Nonces     int64 // expired OAuth nonces
	GradeRows  int64 // queue rows of deleted tools, targets or users
	MemberRows int64 // old member log entries, status and schedule rows of deleted tools
}

// Empty reports whether nothing was removed.
func (r HousekeepingResult) Empty() bool { return r == HousekeepingResult{} }

// Housekeeping removes what has expired or lost its owner.
func Housekeeping(ctx context.Context, q database.Querier, now time.Time) (HousekeepingResult, error) {
	var r HousekeepingResult
	var err error
	if r.Nonces, err = store.PurgeNonces(ctx, q, now); err != nil {
		return r, err
	}
	if r.GradeRows, err = store.PurgeGradeRows(ctx, q); err != nil {
		return r, err
	}
	if r.MemberRows, err = store.PurgeMemberSync(ctx, q, now.Add(-MemberLogRetention).Unix()); err != nil {
		return r, err
	}
	return r, nil
}
