package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// ToolUser is a row of the plugin's local_ltiprovider_user: one Moodle user
// of one tool, with the consumer's service data of the user's launches.
// There is no unique key on (toolid, userid) (sites that ran the plugin may
// hold duplicates); the service reads and updates the oldest row and never
// adds a second one.
type ToolUser struct {
	ID             int64          `db:"id"`
	UserID         int64          `db:"userid"`
	ToolID         int64          `db:"toolid"`
	ServiceURL     string         `db:"serviceurl"`
	SourceID       string         `db:"sourceid"`
	ConsumerKey    string         `db:"consumerkey"`
	ConsumerSecret string         `db:"consumersecret"`
	LastGrade      sql.NullInt64  `db:"lastgrade"`
	LastSync       sql.NullInt64  `db:"lastsync"`
	LastAccess     sql.NullInt64  `db:"lastaccess"`
	MembershipsURL sql.NullString `db:"membershipsurl"`
	MembershipsID  sql.NullString `db:"membershipsid"`
}

const toolUserColumns = `id, userid, toolid, COALESCE(serviceurl, '') AS serviceurl, COALESCE(sourceid, '') AS sourceid,
	COALESCE(consumerkey, '') AS consumerkey, COALESCE(consumersecret, '') AS consumersecret,
	lastgrade, lastsync, lastaccess, membershipsurl, membershipsid`

// GetToolUser returns the (oldest) row of a user of a tool;
// database.ErrNotFound when the user never launched it.
func GetToolUser(ctx context.Context, q database.Querier, toolID, userID int64) (*ToolUser, error) {
	var u ToolUser
	err := q.Get(ctx, &u, "SELECT "+toolUserColumns+" FROM {local_ltiprovider_user} WHERE toolid = ? AND userid = ? ORDER BY id LIMIT 1", toolID, userID)
	if err != nil {
		return nil, fmt.Errorf("user %d of tool %d: %w", userID, toolID, err)
	}
	return &u, nil
}

// ToolUserLaunch is what a launch records about its user.
type ToolUserLaunch struct {
	ToolID, UserID int64
	ConsumerKey    string
	// ServiceURL and SourceID are lis_outcome_service_url and
	// lis_result_sourcedid; MembershipsURL and MembershipsID are
	// ext_ims_lis_memberships_url and _id. Empty values never replace
	// stored ones.
	ServiceURL, SourceID          string
	MembershipsURL, MembershipsID string
	Now                           int64
	// NewUser says the user was created in this transaction, so has no
	// row yet: the row is inserted without looking for one.
	NewUser bool
}

// RecordToolUserLaunch keeps local_ltiprovider_user as the plugin did: a new
// row on the first launch (consumer key, service data, lastgrade and
// lastsync 0, lastaccess), lastaccess on every later one. Unlike the plugin
// it never blanks a good sourcedid or service URL with an empty one (a later
// instructor launch, another link), refreshes the memberships URL when the
// consumer sends a new one, and stores no secret: consumersecret is "" and
// grade sync signs with the tool's current secret.
//
// Callers must hold the user's row lock (a launch does), so that two
// launches of one user never insert two rows.
func RecordToolUserLaunch(ctx context.Context, q database.Querier, l ToolUserLaunch) error {
	if !l.NewUser {
		// A returning user, the usual case, takes one statement: the
		// oldest row updated by the rules above. No row changed means no
		// row yet, or one a launch of the same second already left as
		// this one would; a read tells which.
		res, err := q.Exec(ctx, `UPDATE {local_ltiprovider_user} SET lastaccess = ?,
			serviceurl = IF(? = '', serviceurl, ?), sourceid = IF(? = '', sourceid, ?),
			membershipsurl = IF(? = '', membershipsurl, ?), membershipsid = IF(? = '', membershipsid, ?),
			consumerkey = IF(COALESCE(consumerkey, '') = '' AND ? <> '', ?, consumerkey)
			WHERE toolid = ? AND userid = ? ORDER BY id LIMIT 1`,
			l.Now, l.ServiceURL, l.ServiceURL, l.SourceID, l.SourceID, l.MembershipsURL, l.MembershipsURL,
			l.MembershipsID, l.MembershipsID, l.ConsumerKey, l.ConsumerKey, l.ToolID, l.UserID)
		if err != nil {
			return fmt.Errorf("recording user %d of tool %d: %w", l.UserID, l.ToolID, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = GetToolUser(ctx, q, l.ToolID, l.UserID)
		if !errors.Is(err, database.ErrNotFound) {
			return err // nil: the row is as it should be
		}
	}
	_, err := q.Exec(ctx, `INSERT INTO {local_ltiprovider_user} (userid, toolid, serviceurl, sourceid, consumerkey,
		consumersecret, lastgrade, lastsync, lastaccess, membershipsurl, membershipsid)
		VALUES (?, ?, ?, ?, ?, '', 0, 0, ?, ?, ?)`,
		l.UserID, l.ToolID, l.ServiceURL, l.SourceID, l.ConsumerKey, l.Now, l.MembershipsURL, l.MembershipsID)
	if err != nil {
		return fmt.Errorf("recording user %d of tool %d: %w", l.UserID, l.ToolID, err)
	}
	return nil
}

// ActiveToolEnrolments counts the users of a tool (those with a
// local_ltiprovider_user row) who hold an active enrolment in the enrol
// instance at time now: the number maxenrolled caps. Users unenrolled or
// suspended in Moodle, or whose enrolment ended, no longer count (the
// plugin counted every row it ever wrote).
func ActiveToolEnrolments(ctx context.Context, q database.Querier, toolID, enrolID, now int64) (int64, error) {
	var n int64
	err := q.Get(ctx, &n, `SELECT COUNT(DISTINCT ue.userid) FROM {user_enrolments} ue
		JOIN {local_ltiprovider_user} lu ON lu.userid = ue.userid AND lu.toolid = ?
		WHERE ue.enrolid = ? AND ue.status = 0 AND ue.timestart < ? AND (ue.timeend = 0 OR ue.timeend > ?)`,
		toolID, enrolID, now, now)
	if err != nil {
		return 0, fmt.Errorf("counting enrolled users of tool %d: %w", toolID, err)
	}
	return n, nil
}

// UserHasConsumerKey reports whether a local_ltiprovider_user row records
// userID with exactly this consumer key (compared byte for byte: the
// column's collation ignores case).
func UserHasConsumerKey(ctx context.Context, q database.Querier, userID int64, key string) (bool, error) {
	var keys []string
	if err := q.Select(ctx, &keys, "SELECT DISTINCT consumerkey FROM {local_ltiprovider_user} WHERE userid = ? AND consumerkey IS NOT NULL", userID); err != nil {
		return false, fmt.Errorf("consumer keys of user %d: %w", userID, err)
	}
	for _, k := range keys {
		if k == key {
			return true, nil
		}
	}
	return false, nil
}
