package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// States of a grade row (local_ltiprovider_grade.state).
const (
	// GradeWaiting: nothing to send; Hold says why (no grade yet, …).
	GradeWaiting = "waiting"
	// GradePending: Score waits to be delivered (a NULL Score: the grade
	// was removed and the consumer's copy is to be deleted), at or after
	// NextAttempt.
	GradePending = "pending"
	// GradeSending: a worker is delivering it until ClaimUntil.
	GradeSending = "sending"
	// GradeSent: the consumer confirmed SentScore, which is Score.
	GradeSent = "sent"
	// GradeFailed: Score could not be delivered (the consumer refused it,
	// retries ran out, or it is out of range). It is tried again when the
	// grade changes or an administrator asks for a resend.
	GradeFailed = "failed"
)

// GradeRow is one row of the grade passback queue: one target, the value
// Moodle shows now and what the consumer has.
type GradeRow struct {
	ID          int64  `db:"id"`
	ToolID      int64  `db:"toolid"`
	UserID      int64  `db:"userid"`
	OutcomeID   int64  `db:"outcomeid"`
	LTIUserID   int64  `db:"ltiuserid"`
	ConsumerKey string `db:"consumerkey"`
	ServiceURL  string `db:"serviceurl"`
	SourcedID   string `db:"sourcedid"`
	// Score is the value to deliver, exact decimal text from 0 to 1.
	Score sql.NullString `db:"score"`
	// Version grows whenever Score or the target changes; a delivery
	// confirms the version it sent, so a newer value is never lost.
	Version     int64  `db:"version"`
	State       string `db:"state"`
	Hold        string `db:"hold"` // why the current grade is not sent; "" if it is
	Resend      bool   `db:"resend"`
	Attempts    int    `db:"attempts"`
	NextAttempt int64  `db:"nextattempt"`
	ClaimedBy   string `db:"claimedby"`
	ClaimUntil  int64  `db:"claimuntil"`
	// SentScore is what the consumer confirmed last (NULL: nothing, or
	// deleted), at TimeSent, to the target SentTarget (GradeTarget.Hash).
	SentScore    sql.NullString `db:"sentscore"`
	SentTarget   string         `db:"senttarget"`
	TimeSent     int64          `db:"timesent"`
	LastError    sql.NullString `db:"lasterror"`
	TimeError    int64          `db:"timeerror"`
	TimeCreated  int64          `db:"timecreated"`
	TimeModified int64          `db:"timemodified"`
}

// Target returns where the row delivers.
func (r *GradeRow) Target() GradeTarget {
	return GradeTarget{ToolID: r.ToolID, UserID: r.UserID, OutcomeID: r.OutcomeID, LTIUserID: r.LTIUserID,
		ConsumerKey: r.ConsumerKey, ServiceURL: r.ServiceURL, SourcedID: r.SourcedID}
}

// SetTarget points the row at t.
func (r *GradeRow) SetTarget(t GradeTarget) {
	r.ToolID, r.UserID, r.OutcomeID, r.LTIUserID = t.ToolID, t.UserID, t.OutcomeID, t.LTIUserID
	r.ConsumerKey, r.ServiceURL, r.SourcedID = t.ConsumerKey, t.ServiceURL, t.SourcedID
}

const gradeColumns = `id, toolid, userid, outcomeid, ltiuserid, consumerkey, serviceurl, sourcedid, score, version, state, hold,
	resend, attempts, nextattempt, claimedby, claimuntil, sentscore, senttarget, timesent, lasterror, timeerror,
	timecreated, timemodified`

// GradeRowsOfTool returns the queue rows of a tool (with userIDs, of those
// users only), by user.
func GradeRowsOfTool(ctx context.Context, q database.Querier, toolID int64, userIDs ...int64) ([]GradeRow, error) {
	filter, args := inInts("userid", userIDs)
	var rows []GradeRow
	err := q.Select(ctx, &rows, "SELECT "+gradeColumns+" FROM {local_ltiprovider_grade} WHERE toolid = ?"+filter+" ORDER BY userid, id",
		append([]any{toolID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("grade rows of tool %d: %w", toolID, err)
	}
	return rows, nil
}

// InsertGradeRow adds a row for a new target and sets its ID. A row for
// the same target inserted meanwhile is database.ErrDuplicate.
func InsertGradeRow(ctx context.Context, q database.Querier, r *GradeRow) error {
	id, err := q.Insert(ctx, `INSERT INTO {local_ltiprovider_grade} (toolid, userid, outcomeid, ltiuserid, consumerkey, serviceurl,
		sourcedid, score, version, state, hold, resend, attempts, nextattempt, sentscore, senttarget, timesent, lasterror, timeerror,
		timecreated, timemodified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ToolID, r.UserID, r.OutcomeID, r.LTIUserID, r.ConsumerKey, r.ServiceURL, r.SourcedID, r.Score, r.Version, r.State,
		r.Hold, r.Resend, r.Attempts, r.NextAttempt, r.SentScore, r.SentTarget, r.TimeSent, r.LastError, r.TimeError,
		r.TimeCreated, r.TimeModified)
	if err != nil {
		return fmt.Errorf("inserting grade row of user %d, tool %d: %w", r.UserID, r.ToolID, err)
	}
	r.ID = id
	return nil
}

// UpdateGradePlan writes what the planner decided (target, score, state,
// hold, resend flag, attempts, next attempt, last error, version) if the
// row still has the version and state the planner read. It reports false
// when the row changed meanwhile; the next run decides again.
func UpdateGradePlan(ctx context.Context, q database.Querier, r *GradeRow, readVersion int64, readState string) (bool, error) {
	res, err := q.Exec(ctx, `UPDATE {local_ltiprovider_grade} SET consumerkey = ?, serviceurl = ?, sourcedid = ?, score = ?,
		version = ?, state = ?, hold = ?, resend = ?, attempts = ?, nextattempt = ?, lasterror = ?, timeerror = ?, timemodified = ?
		WHERE id = ? AND version = ? AND state = ?`,
		r.ConsumerKey, r.ServiceURL, r.SourcedID, r.Score, r.Version, r.State, r.Hold, r.Resend, r.Attempts, r.NextAttempt,
		r.LastError, r.TimeError, r.TimeModified, r.ID, readVersion, readState)
	if err != nil {
		return false, fmt.Errorf("updating grade row %d: %w", r.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DueGrade is a queue row ready for delivery, with the signing secrets:
// the tool's current secret and, for plugin-era rows, the secret the plugin
// stored with the user (used only when the tool has none).
type DueGrade struct {
	GradeRow
	ToolSecret   string `db:"toolsecret"`
	LegacySecret string `db:"legacysecret"`
}

// DueFilter narrows delivery to some tools or users; empty means all.
type DueFilter struct {
	ToolIDs []int64
	UserIDs []int64
}

// DueGrades returns up to limit rows whose delivery is due at now: pending
// rows past their next attempt, and rows whose delivery claim expired (a
// replica died while sending). Rows of disabled tools, or tools that no
// longer send grades, wait.
func DueGrades(ctx context.Context, q database.Querier, now int64, limit int, f DueFilter) ([]DueGrade, error) {
	toolFilter, toolArgs := inInts("g.toolid", f.ToolIDs)
	userFilter, userArgs := inInts("g.userid", f.UserIDs)
	args := append(append(append([]any{now, now}, toolArgs...), userArgs...), limit)
	var rows []DueGrade
	err := q.Select(ctx, &rows, `SELECT g.id, g.toolid, g.userid, g.outcomeid, g.ltiuserid, g.consumerkey, g.serviceurl,
		g.sourcedid, g.score, g.version, g.state, g.hold, g.resend, g.attempts, g.nextattempt, g.claimedby, g.claimuntil,
		g.sentscore, g.senttarget, g.timesent, g.lasterror, g.timeerror, g.timecreated, g.timemodified,
		COALESCE(t.secret, '') AS toolsecret, COALESCE(lu.consumersecret, '') AS legacysecret
		FROM {local_ltiprovider_grade} g
		JOIN {local_ltiprovider} t ON t.id = g.toolid AND t.disabled = 0 AND t.sendgrades = 1
		LEFT JOIN {local_ltiprovider_user} lu ON g.ltiuserid <> 0 AND lu.id = g.ltiuserid
		WHERE ((g.state = 'pending' AND g.nextattempt <= ?) OR (g.state = 'sending' AND g.claimuntil < ?))`+toolFilter+userFilter+`
		ORDER BY g.nextattempt, g.id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("due grades: %w", err)
	}
	return rows, nil
}

// ClaimGrade makes token the only deliverer of the row's version until
// until. It reports false when the row is not due any more (another worker
// claimed it, or its value changed).
func ClaimGrade(ctx context.Context, q database.Querier, id, version int64, token string, until, now int64) (bool, error) {
	res, err := q.Exec(ctx, `UPDATE {local_ltiprovider_grade} SET state = 'sending', claimedby = ?, claimuntil = ?,
		attempts = attempts + 1, timemodified = ?
		WHERE id = ? AND version = ? AND ((state = 'pending' AND nextattempt <= ?) OR (state = 'sending' AND claimuntil < ?))`,
		token, until, now, id, version, now, now)
	if err != nil {
		return false, fmt.Errorf("claiming grade row %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// GradeDelivered records that the consumer confirmed the claimed version's
// score (NULL: the deletion) at the target. If a newer value arrived while
// sending, the row goes back to pending for it. It reports false when the
// claim was lost.
func GradeDelivered(ctx context.Context, q database.Querier, id int64, token string, version int64, score sql.NullString, target string, now int64) (bool, error) {
	res, err := q.Exec(ctx, `UPDATE {local_ltiprovider_grade} SET sentscore = ?, senttarget = ?, timesent = ?,
		state = IF(version = ?, IF(score IS NULL, 'waiting', 'sent'), 'pending'),
		attempts = IF(version = ?, attempts, 0), nextattempt = ?, claimedby = '', claimuntil = 0,
		lasterror = IF(version = ?, NULL, lasterror), timemodified = ?
		WHERE id = ? AND claimedby = ? AND state = 'sending'`,
		score, target, now, version, version, now, version, now, id, token)
	if err != nil {
		return false, fmt.Errorf("recording delivery of grade row %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// GradeRetry puts a claimed row back to pending until next, with the
// error; after maxAttempts attempts it is failed instead.
func GradeRetry(ctx context.Context, q database.Querier, id int64, token string, next int64, msg string, maxAttempts int, now int64) (bool, error) {
	res, err := q.Exec(ctx, `UPDATE {local_ltiprovider_grade} SET
		state = IF(attempts >= ?, 'failed', 'pending'), nextattempt = ?, claimedby = '', claimuntil = 0,
		lasterror = IF(attempts >= ?, CONCAT('gave up after ', attempts, ' attempts: ', ?), ?), timeerror = ?, timemodified = ?
		WHERE id = ? AND claimedby = ? AND state = 'sending'`,
		maxAttempts, next, maxAttempts, msg, msg, now, now, id, token)
	if err != nil {
		return false, fmt.Errorf("rescheduling grade row %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// GradeRefused records that the consumer refused the claimed version. If a
// newer value arrived meanwhile, that one is pending instead.
func GradeRefused(ctx context.Context, q database.Querier, id int64, token string, version int64, msg string, now int64) (bool, error) {
	res, err := q.Exec(ctx, `UPDATE {local_ltiprovider_grade} SET state = IF(version = ?, 'failed', 'pending'),
		attempts = IF(version = ?, attempts, 0), nextattempt = ?, claimedby = '', claimuntil = 0,
		lasterror = ?, timeerror = ?, timemodified = ?
		WHERE id = ? AND claimedby = ? AND state = 'sending'`,
		version, version, now, msg, now, now, id, token)
	if err != nil {
		return false, fmt.Errorf("recording failure of grade row %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseGrade gives a claim back untried (the service is stopping): the
// row is pending again at once and the attempt is not counted.
func ReleaseGrade(ctx context.Context, q database.Querier, id int64, token string, now int64) (bool, error) {
	res, err := q.Exec(ctx, `UPDATE {local_ltiprovider_grade} SET state = 'pending', attempts = GREATEST(attempts - 1, 0),
		nextattempt = ?, claimedby = '', claimuntil = 0, timemodified = ?
		WHERE id = ? AND claimedby = ? AND state = 'sending'`, now, now, id, token)
	if err != nil {
		return false, fmt.Errorf("releasing grade row %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ResendGrades asks for the current grades of a tool's users to be sent
// again on the next run, even if the consumer already has them (failed
// ones included): for userIDs, or every user when userIDs is empty. It
// returns how many rows were marked.
func ResendGrades(ctx context.Context, q database.Querier, toolID int64, userIDs []int64, now int64) (int64, error) {
	filter, args := inInts("userid", userIDs)
	res, err := q.Exec(ctx, "UPDATE {local_ltiprovider_grade} SET resend = 1, timemodified = ? WHERE toolid = ?"+filter,
		append([]any{now, toolID}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("resend for tool %d: %w", toolID, err)
	}
	return res.RowsAffected()
}

// GradeReportRow is one line of the grade sync report: a target with its
// user, the value Moodle shows now, and what the consumer last confirmed.
type GradeReportRow struct {
	GradeRow
	Username  string `db:"username"`
	Firstname string `db:"firstname"`
	Lastname  string `db:"lastname"`
}

// GradeReport returns a tool's grade rows (with userIDs, of those users)
// with the users' names, by last name, for the report page and the CLI.
func GradeReport(ctx context.Context, q database.Querier, toolID int64, userIDs ...int64) ([]GradeReportRow, error) {
	filter, args := inInts("g.userid", userIDs)
	var rows []GradeReportRow
	err := q.Select(ctx, &rows, `SELECT g.id, g.toolid, g.userid, g.outcomeid, g.ltiuserid, g.consumerkey, g.serviceurl,
		g.sourcedid, g.score, g.version, g.state, g.hold, g.resend, g.attempts, g.nextattempt, g.claimedby, g.claimuntil,
		g.sentscore, g.senttarget, g.timesent, g.lasterror, g.timeerror, g.timecreated, g.timemodified,
		COALESCE(u.username, '') AS username, COALESCE(u.firstname, '') AS firstname, COALESCE(u.lastname, '') AS lastname
		FROM {local_ltiprovider_grade} g LEFT JOIN {user} u ON u.id = g.userid
		WHERE g.toolid = ?`+filter+` ORDER BY u.lastname, u.firstname, g.userid, g.id`, append([]any{toolID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("grade report of tool %d: %w", toolID, err)
	}
	return rows, nil
}

// SetToolGradeSync records when a tool's grades were last worked out, in
// the plugin's column local_ltiprovider.lastsync.
func SetToolGradeSync(ctx context.Context, q database.Querier, toolID, when int64) error {
	if _, err := q.Exec(ctx, "UPDATE {local_ltiprovider} SET lastsync = ? WHERE id = ?", when, toolID); err != nil {
		return fmt.Errorf("tool %d: %w", toolID, err)
	}
	return nil
}

// GradeStateCounts counts a tool's rows by state, for summaries.
func GradeStateCounts(ctx context.Context, q database.Querier, toolID int64) (map[string]int, error) {
	var rows []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := q.Select(ctx, &rows, "SELECT state, COUNT(*) AS n FROM {local_ltiprovider_grade} WHERE toolid = ? GROUP BY state", toolID); err != nil {
		return nil, fmt.Errorf("grade states of tool %d: %w", toolID, err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

// PurgeGradeRows deletes queue rows whose tool, target row or user is gone
// (deleted tools, users deleted in Moodle), and returns how many.
func PurgeGradeRows(ctx context.Context, q database.Querier) (int64, error) {
	res, err := q.Exec(ctx, `DELETE g FROM {local_ltiprovider_grade} g
		LEFT JOIN {local_ltiprovider} t ON t.id = g.toolid
		LEFT JOIN {local_ltiprovider_outcome} o ON g.outcomeid <> 0 AND o.id = g.outcomeid
		LEFT JOIN {local_ltiprovider_user} lu ON g.ltiuserid <> 0 AND lu.id = g.ltiuserid
		LEFT JOIN {user} u ON u.id = g.userid
		WHERE t.id IS NULL OR u.id IS NULL OR u.deleted = 1
		   OR (g.outcomeid <> 0 AND o.id IS NULL) OR (g.ltiuserid <> 0 AND lu.id IS NULL)`)
	if err != nil {
		return 0, fmt.Errorf("purging grade rows: %w", err)
	}
	return res.RowsAffected()
}
