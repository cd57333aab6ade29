package store

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// GradeTarget is one place a user's grade goes back to: the outcome
// service of one resource link (a local_ltiprovider_outcome row), or, for a
// user who has not launched since the plugin's days, the service URL and
// sourcedid the plugin kept in local_ltiprovider_user.
type GradeTarget struct {
	ToolID int64 `db:"toolid"`
	UserID int64 `db:"userid"`
	// OutcomeID is the local_ltiprovider_outcome row; 0 for a plugin-era
	// target.
	OutcomeID int64 `db:"outcomeid"`
	// LTIUserID is the local_ltiprovider_user row of a plugin-era target; 0
	// otherwise.
	LTIUserID   int64  `db:"ltiuserid"`
	ConsumerKey string `db:"consumerkey"`
	ServiceURL  string `db:"serviceurl"`
	SourcedID   string `db:"sourcedid"`
}

// Hash identifies the consumer-side result the target points at (service
// URL and sourcedid), to notice when a relaunch changed it.
func (t GradeTarget) Hash() string {
	sum := sha1.Sum([]byte(t.ServiceURL + "\x00" + t.SourcedID))
	return hex.EncodeToString(sum[:])
}

// GradeTargetsOfTool returns where the grades of a tool's users go: every
// outcome row with a service URL and sourcedid, plus the plugin-era
// local_ltiprovider_user rows of users who have no outcome row for the
// tool yet (duplicates of one service URL and sourcedid counted once).
// Deleted users are left out. With userIDs, only those users.
func GradeTargetsOfTool(ctx context.Context, q database.Querier, toolID int64, userIDs ...int64) ([]GradeTarget, error) {
	userFilter, args := inInts("x.userid", userIDs)
	query := `SELECT x.* FROM (
		SELECT o.toolid, o.userid, o.id AS outcomeid, 0 AS ltiuserid, o.consumerkey, o.serviceurl, o.sourcedid
		  FROM {local_ltiprovider_outcome} o
		 WHERE o.toolid = ? AND o.serviceurl <> '' AND o.sourcedid <> ''
		UNION ALL
		SELECT lu.toolid, lu.userid, 0 AS outcomeid, lu.id AS ltiuserid, COALESCE(lu.consumerkey, '') AS consumerkey,
		       lu.serviceurl, lu.sourceid AS sourcedid
		  FROM {local_ltiprovider_user} lu
		 WHERE lu.toolid = ? AND lu.serviceurl IS NOT NULL AND lu.serviceurl <> ''
		   AND lu.sourceid IS NOT NULL AND lu.sourceid <> ''
		   AND NOT EXISTS (SELECT 1 FROM {local_ltiprovider_outcome} o2 WHERE o2.toolid = lu.toolid AND o2.userid = lu.userid)
		) x
		JOIN {user} u ON u.id = x.userid AND u.deleted = 0` + userFilter + `
		ORDER BY x.userid, x.outcomeid, x.ltiuserid`
	var all []GradeTarget
	if err := q.Select(ctx, &all, query, append([]any{toolID, toolID}, args...)...); err != nil {
		return nil, fmt.Errorf("grade targets of tool %d: %w", toolID, err)
	}
	// The plugin never enforced one row per tool and user; identical
	// leftovers would send the same grade twice.
	seen := map[string]bool{}
	out := all[:0]
	for _, t := range all {
		if t.LTIUserID != 0 {
			key := fmt.Sprintf("%d\x00%s", t.UserID, t.Hash())
			if seen[key] {
				continue
			}
			seen[key] = true
		}
		out = append(out, t)
	}
	return out, nil
}

// inInts returns " AND col IN (?, …)" and its arguments, or nothing for an
// empty list.
func inInts(col string, ids []int64) (string, []any) {
	if len(ids) == 0 {
		return "", nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return " AND " + col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}
