package store

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Outcome is where one user's grade for one resource link goes back: a row
// of local_ltiprovider_outcome.
type Outcome struct {
	ID             int64  `db:"id"`
	ToolID         int64  `db:"toolid"`
	UserID         int64  `db:"userid"`
	LinkHash       string `db:"linkhash"`
	ConsumerKey    string `db:"consumerkey"`
	ResourceLinkID string `db:"resourcelinkid"`
	ServiceURL     string `db:"serviceurl"`
	SourcedID      string `db:"sourcedid"`
	TimeCreated    int64  `db:"timecreated"`
	TimeModified   int64  `db:"timemodified"`
}

// LinkHash identifies a consumer's resource link in an index.
func LinkHash(consumerKey, resourceLinkID string) string {
	sum := sha1.Sum([]byte(consumerKey + "\x00" + resourceLinkID))
	return hex.EncodeToString(sum[:])
}

const outcomeColumns = "id, toolid, userid, linkhash, consumerkey, resourcelinkid, serviceurl, sourcedid, timecreated, timemodified"

// SaveOutcome records the outcome service of a launch. Only launches that
// carry both a service URL and a sourcedid are saved, so a launch without
// them (an instructor, another link) never erases a good one.
func SaveOutcome(ctx context.Context, q database.Querier, o *Outcome) error {
	if o.ServiceURL == "" || o.SourcedID == "" {
		return nil
	}
	o.LinkHash = LinkHash(o.ConsumerKey, o.ResourceLinkID)
	_, err := q.Exec(ctx, `INSERT INTO {local_ltiprovider_outcome}
		(toolid, userid, linkhash, consumerkey, resourcelinkid, serviceurl, sourcedid, timecreated, timemodified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE serviceurl = VALUES(serviceurl), sourcedid = VALUES(sourcedid), timemodified = VALUES(timemodified)`,
		o.ToolID, o.UserID, o.LinkHash, o.ConsumerKey, o.ResourceLinkID, o.ServiceURL, o.SourcedID, o.TimeCreated, o.TimeModified)
	if err != nil {
		return fmt.Errorf("saving outcome of user %d, tool %d: %w", o.UserID, o.ToolID, err)
	}
	return nil
}

// OutcomesOfTool returns every outcome row of a tool, by user then link.
func OutcomesOfTool(ctx context.Context, q database.Querier, toolID int64) ([]Outcome, error) {
	var out []Outcome
	err := q.Select(ctx, &out, "SELECT "+outcomeColumns+" FROM {local_ltiprovider_outcome} WHERE toolid = ? ORDER BY userid, id", toolID)
	return out, err
}

// OutcomesOfUser returns a user's outcome rows for one tool.
func OutcomesOfUser(ctx context.Context, q database.Querier, toolID, userID int64) ([]Outcome, error) {
	var out []Outcome
	err := q.Select(ctx, &out, "SELECT "+outcomeColumns+" FROM {local_ltiprovider_outcome} WHERE toolid = ? AND userid = ? ORDER BY id", toolID, userID)
	return out, err
}
