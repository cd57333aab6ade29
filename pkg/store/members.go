package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// MembershipSource is where a tool's roster can be read: the
// ext_ims_lis_memberships_url and _id a consumer sent with a launch, with
// the consumer key it was signed with and the secret the plugin kept.
type MembershipSource struct {
	LTIUserID   int64  `db:"id"`
	UserID      int64  `db:"userid"`
	URL         string `db:"membershipsurl"`
	ID          string `db:"membershipsid"`
	ConsumerKey string `db:"consumerkey"`
	// LegacySecret is the secret the plugin stored with the row ("" for
	// rows the service wrote); it signs only when the tool has no secret.
	LegacySecret string `db:"consumersecret"`
	LastAccess   int64  `db:"lastaccess"`
}

// MembershipSources returns the distinct memberships services of a tool's
// users, most recently used first (the plugin's order: lastaccess DESC).
// One consumer context is listed once (same URL, id and key).
func MembershipSources(ctx context.Context, q database.Querier, toolID int64) ([]MembershipSource, error) {
	var rows []MembershipSource
	err := q.Select(ctx, &rows, `SELECT id, userid, membershipsurl, membershipsid, COALESCE(consumerkey, '') AS consumerkey,
		COALESCE(consumersecret, '') AS consumersecret, COALESCE(lastaccess, 0) AS lastaccess
		FROM {local_ltiprovider_user}
		WHERE toolid = ? AND membershipsurl IS NOT NULL AND membershipsurl <> '' AND membershipsid IS NOT NULL AND membershipsid <> ''
		ORDER BY lastaccess DESC, id DESC`, toolID)
	if err != nil {
		return nil, fmt.Errorf("memberships services of tool %d: %w", toolID, err)
	}
	seen := map[string]bool{}
	out := rows[:0]
	for _, r := range rows {
		k := r.URL + "\x00" + r.ID + "\x00" + r.ConsumerKey
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// ToolUserIDs returns the Moodle users that have a local_ltiprovider_user
// row for a tool: the users this service (or the plugin) brought in.
func ToolUserIDs(ctx context.Context, q database.Querier, toolID int64) (map[int64]bool, error) {
	var ids []int64
	if err := q.Select(ctx, &ids, "SELECT DISTINCT userid FROM {local_ltiprovider_user} WHERE toolid = ?", toolID); err != nil {
		return nil, fmt.Errorf("users of tool %d: %w", toolID, err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// EnsureToolUser gives a user brought in by membership sync the
// local_ltiprovider_user row a launch would have made (consumer key, no
// outcome service, no stored secret, lastaccess 0: the user has not
// launched), so the service knows it brought them into the course. An
// existing row is left as it is, except that a missing consumer key is
// filled in. Callers hold the user's row lock, as provision.User leaves it.
func EnsureToolUser(ctx context.Context, q database.Querier, toolID, userID int64, consumerKey string) (created bool, err error) {
	var row struct {
		ID          int64  `db:"id"`
		ConsumerKey string `db:"consumerkey"`
	}
	err = q.Get(ctx, &row, "SELECT id, COALESCE(consumerkey, '') AS consumerkey FROM {local_ltiprovider_user} WHERE toolid = ? AND userid = ? ORDER BY id LIMIT 1", toolID, userID)
	switch {
	case errors.Is(err, database.ErrNotFound):
		_, err = q.Exec(ctx, `INSERT INTO {local_ltiprovider_user} (userid, toolid, serviceurl, sourceid, consumerkey, consumersecret,
			lastgrade, lastsync, lastaccess, membershipsurl, membershipsid) VALUES (?, ?, '', '', ?, '', 0, 0, 0, '', '')`,
			userID, toolID, consumerKey)
		if err != nil {
			return false, fmt.Errorf("recording member %d of tool %d: %w", userID, toolID, err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("user %d of tool %d: %w", userID, toolID, err)
	case row.ConsumerKey == "" && consumerKey != "":
		if _, err := q.Exec(ctx, "UPDATE {local_ltiprovider_user} SET consumerkey = ? WHERE id = ?", consumerKey, row.ID); err != nil {
			return false, fmt.Errorf("user %d of tool %d: %w", userID, toolID, err)
		}
	}
	return false, nil
}

// UnenrolCandidates returns the users a tool's member sync may unenrol
// from its course for a consumer key: LTI accounts (usernames the service
// makes) with a local_ltiprovider_user row of this tool and key, holding an
// enrolment of the course's manual instance, and brought into the course
// by no other consumer key (no row of another key for any tool of the
// course). Local teachers and students, and anyone another consumer
// brought in, are never among them.
func UnenrolCandidates(ctx context.Context, q database.Querier, toolID, courseID int64, consumerKey string) ([]int64, error) {
	var ids []int64
	err := q.Select(ctx, &ids, `SELECT DISTINCT lu.userid FROM {local_ltiprovider_user} lu
		JOIN {user} u ON u.id = lu.userid AND u.deleted = 0 AND u.username LIKE 'ltiprovider%'
		JOIN {user_enrolments} ue ON ue.userid = lu.userid
		JOIN {enrol} e ON e.id = ue.enrolid AND e.courseid = ? AND e.enrol = 'manual'
		WHERE lu.toolid = ? AND COALESCE(lu.consumerkey, '') = ?
		  AND NOT EXISTS (SELECT 1 FROM {local_ltiprovider_user} o JOIN {local_ltiprovider} t ON t.id = o.toolid
		                   WHERE o.userid = lu.userid AND t.courseid = ? AND COALESCE(o.consumerkey, '') <> ?)
		ORDER BY lu.userid`, courseID, toolID, consumerKey, courseID, consumerKey)
	if err != nil {
		return nil, fmt.Errorf("users to check in course %d: %w", courseID, err)
	}
	return ids, nil
}

// lastSyncName is the plugin's config_plugins row of a tool's last member
// sync time, reused so sites that ran the plugin keep their schedule.
func lastSyncName(toolID int64) string { return "membershipslastsync-" + strconv.FormatInt(toolID, 10) }

// LastMemberSync returns when a tool's members were last synced (0:
// never).
func LastMemberSync(ctx context.Context, q database.Querier, toolID int64) (int64, error) {
	var v string
	err := q.Get(ctx, &v, "SELECT value FROM {config_plugins} WHERE plugin = 'local_ltiprovider' AND name = ?", lastSyncName(toolID))
	if errors.Is(err, database.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("last member sync of tool %d: %w", toolID, err)
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, nil
}

// SetLastMemberSync records when a tool's members were synced.
func SetLastMemberSync(ctx context.Context, q database.Querier, toolID, when int64) error {
	_, err := q.Exec(ctx, `INSERT INTO {config_plugins} (plugin, name, value) VALUES ('local_ltiprovider', ?, ?)
		ON DUPLICATE KEY UPDATE value = VALUES(value)`, lastSyncName(toolID), strconv.FormatInt(when, 10))
	if err != nil {
		return fmt.Errorf("recording member sync of tool %d: %w", toolID, err)
	}
	return nil
}

// MemberSyncStatus is the result of a tool's last member sync
// (local_ltiprovider_membersync).
type MemberSyncStatus struct {
	ToolID       int64          `db:"toolid"`
	TimeStarted  int64          `db:"timestarted"`
	TimeFinished int64          `db:"timefinished"`
	Status       string         `db:"status"` // "ok", "partial" or "failed"
	Members      int64          `db:"members"`
	Created      int64          `db:"created"`
	Enrolled     int64          `db:"enrolled"`
	Unenrolled   int64          `db:"unenrolled"`
	Skipped      int64          `db:"skipped"`
	Error        sql.NullString `db:"error"`
}

// SaveMemberSyncStatus replaces a tool's last member sync result.
func SaveMemberSyncStatus(ctx context.Context, q database.Querier, s *MemberSyncStatus) error {
	_, err := q.Exec(ctx, `INSERT INTO {local_ltiprovider_membersync} (toolid, timestarted, timefinished, status, members,
		created, enrolled, unenrolled, skipped, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON DUPLICATE KEY UPDATE timestarted = VALUES(timestarted), timefinished = VALUES(timefinished), status = VALUES(status),
		members = VALUES(members), created = VALUES(created), enrolled = VALUES(enrolled), unenrolled = VALUES(unenrolled),
		skipped = VALUES(skipped), error = VALUES(error)`,
		s.ToolID, s.TimeStarted, s.TimeFinished, s.Status, s.Members, s.Created, s.Enrolled, s.Unenrolled, s.Skipped, s.Error)
	if err != nil {
		return fmt.Errorf("saving member sync status of tool %d: %w", s.ToolID, err)
	}
	return nil
}

// GetMemberSyncStatus returns a tool's last member sync result;
// database.ErrNotFound when it never ran.
func GetMemberSyncStatus(ctx context.Context, q database.Querier, toolID int64) (*MemberSyncStatus, error) {
	var s MemberSyncStatus
	err := q.Get(ctx, &s, `SELECT toolid, timestarted, timefinished, status, members, created, enrolled, unenrolled, skipped, error
		FROM {local_ltiprovider_membersync} WHERE toolid = ?`, toolID)
	if err != nil {
		return nil, fmt.Errorf("member sync status of tool %d: %w", toolID, err)
	}
	return &s, nil
}

// Actions in the member log.
const (
	MemberCreated    = "created"
	MemberEnrolled   = "enrolled"
	MemberUnenrolled = "unenrolled"
)

// MemberLogEntry is one line of local_ltiprovider_memberlog.
type MemberLogEntry struct {
	ID          int64  `db:"id"`
	ToolID      int64  `db:"toolid"`
	CourseID    int64  `db:"courseid"`
	UserID      int64  `db:"userid"`
	Action      string `db:"action"`
	Detail      string `db:"detail"`
	TimeCreated int64  `db:"timecreated"`
}

// LogMember records an enrolment or unenrolment made by member sync.
func LogMember(ctx context.Context, q database.Querier, e MemberLogEntry) error {
	_, err := q.Exec(ctx, `INSERT INTO {local_ltiprovider_memberlog} (toolid, courseid, userid, action, detail, timecreated)
		VALUES (?, ?, ?, ?, ?, ?)`, e.ToolID, e.CourseID, e.UserID, e.Action, e.Detail, e.TimeCreated)
	if err != nil {
		return fmt.Errorf("logging member %s: %w", e.Action, err)
	}
	return nil
}

// MemberLog returns a tool's member log, newest first, at most limit
// entries.
func MemberLog(ctx context.Context, q database.Querier, toolID int64, limit int) ([]MemberLogEntry, error) {
	var out []MemberLogEntry
	err := q.Select(ctx, &out, `SELECT id, toolid, courseid, userid, action, COALESCE(detail, '') AS detail, timecreated
		FROM {local_ltiprovider_memberlog} WHERE toolid = ? ORDER BY timecreated DESC, id DESC LIMIT ?`, toolID, limit)
	if err != nil {
		return nil, fmt.Errorf("member log of tool %d: %w", toolID, err)
	}
	return out, nil
}

// PurgeMemberSync deletes member log entries older than before, and the
// status rows and schedule entries of tools that no longer exist.
func PurgeMemberSync(ctx context.Context, q database.Querier, before int64) (int64, error) {
	var total int64
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{"DELETE FROM {local_ltiprovider_memberlog} WHERE timecreated < ?", []any{before}},
		{`DELETE s FROM {local_ltiprovider_membersync} s LEFT JOIN {local_ltiprovider} t ON t.id = s.toolid WHERE t.id IS NULL`, nil},
		{`DELETE c FROM {config_plugins} c LEFT JOIN {local_ltiprovider} t
			ON t.id = CAST(SUBSTRING(c.name, LENGTH('membershipslastsync-') + 1) AS UNSIGNED)
			WHERE c.plugin = 'local_ltiprovider' AND c.name LIKE 'membershipslastsync-%' AND t.id IS NULL`, nil},
	} {
		res, err := q.Exec(ctx, stmt.sql, stmt.args...)
		if err != nil {
			return total, fmt.Errorf("purging member sync data: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}
