package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Tool is one provided course or activity: a row of local_ltiprovider.
// Field names follow the plugin's columns.
type Tool struct {
	ID                int64          `db:"id"`
	CourseID          int64          `db:"courseid"`
	ContextID         int64          `db:"contextid"`
	Disabled          bool           `db:"disabled"`
	SendGrades        bool           `db:"sendgrades"`
	ForceNavigation   bool           `db:"forcenavigation"`
	CRoleInst         int64          `db:"croleinst"`
	CRoleLearn        int64          `db:"crolelearn"`
	ARoleInst         sql.NullInt64  `db:"aroleinst"`
	ARoleLearn        sql.NullInt64  `db:"arolelearn"`
	Secret            string         `db:"secret"`
	Encoding          sql.NullString `db:"encoding"`
	Institution       string         `db:"institution"`
	Lang              string         `db:"lang"`
	Timezone          string         `db:"timezone"`
	MailDisplay       int            `db:"maildisplay"`
	City              string         `db:"city"`
	Country           string         `db:"country"`
	HidePageHeader    bool           `db:"hidepageheader"`
	HidePageFooter    bool           `db:"hidepagefooter"`
	HideLeftBlocks    bool           `db:"hideleftblocks"`
	HideRightBlocks   bool           `db:"hiderightblocks"`
	CustomCSS         string         `db:"customcss"`
	EnrolStartDate    int64          `db:"enrolstartdate"`
	EnrolPeriod       int64          `db:"enrolperiod"`
	EnrolEndDate      int64          `db:"enrolenddate"`
	MaxEnrolled       int64          `db:"maxenrolled"`
	UserProfileUpdate int            `db:"userprofileupdate"`
	SyncMembers       bool           `db:"syncmembers"`
	SyncMode          int            `db:"syncmode"`
	SyncPeriod        int64          `db:"syncperiod"`
	TimeModified      int64          `db:"timemodified"`
	TimeCreated       int64          `db:"timecreated"`
	LastSync          int64          `db:"lastsync"`
	RequireCompletion bool           `db:"requirecompletion"`
	EnrolInst         bool           `db:"enrolinst"`
	EnrolLearn        bool           `db:"enrollearn"`
	AddToGroup        string         `db:"addtogroup"`
	SendCompletion    bool           `db:"sendcompletion"`
}

// Sync modes of membership sync (the plugin's syncmode values).
const (
	SyncEnrolAndUnenrol = 1
	SyncEnrolNew        = 2
	SyncUnenrolMissing  = 3
)

// toolColumns reads NULLs of plugin-era rows as the install.xml defaults,
// so the struct needs no Null types for them.
const toolColumns = `id, courseid, contextid, disabled, sendgrades, forcenavigation, croleinst, crolelearn,
	aroleinst, arolelearn, COALESCE(secret, '') AS secret, encoding, institution, lang, timezone, maildisplay,
	city, country, hidepageheader, hidepagefooter, hideleftblocks, hiderightblocks,
	COALESCE(customcss, '') AS customcss, enrolstartdate, enrolperiod, enrolenddate, maxenrolled,
	COALESCE(userprofileupdate, 1) AS userprofileupdate, COALESCE(syncmembers, 0) AS syncmembers,
	COALESCE(syncmode, 0) AS syncmode, COALESCE(syncperiod, 0) AS syncperiod, timemodified, timecreated,
	COALESCE(lastsync, 0) AS lastsync, COALESCE(requirecompletion, 0) AS requirecompletion,
	COALESCE(enrolinst, 1) AS enrolinst, COALESCE(enrollearn, 1) AS enrollearn,
	COALESCE(addtogroup, '') AS addtogroup, COALESCE(sendcompletion, 0) AS sendcompletion`

// GetTool returns a tool by id; a missing tool is database.ErrNotFound.
func GetTool(ctx context.Context, q database.Querier, id int64) (*Tool, error) {
	var t Tool
	if err := q.Get(ctx, &t, "SELECT "+toolColumns+" FROM {local_ltiprovider} WHERE id = ?", id); err != nil {
		return nil, fmt.Errorf("tool %d: %w", id, err)
	}
	return &t, nil
}

// ToolsByContext returns the tools that provide one context (course or
// module), oldest first.
func ToolsByContext(ctx context.Context, q database.Querier, contextID int64) ([]Tool, error) {
	var tools []Tool
	err := q.Select(ctx, &tools, "SELECT "+toolColumns+" FROM {local_ltiprovider} WHERE contextid = ? ORDER BY id", contextID)
	return tools, err
}

// ToolsByCourse returns the tools of one course, oldest first.
func ToolsByCourse(ctx context.Context, q database.Querier, courseID int64) ([]Tool, error) {
	var tools []Tool
	err := q.Select(ctx, &tools, "SELECT "+toolColumns+" FROM {local_ltiprovider} WHERE courseid = ? ORDER BY id", courseID)
	return tools, err
}

// ListTools returns every tool, oldest first.
func ListTools(ctx context.Context, q database.Querier) ([]Tool, error) {
	var tools []Tool
	err := q.Select(ctx, &tools, "SELECT "+toolColumns+" FROM {local_ltiprovider} ORDER BY id")
	return tools, err
}

// ToolNotSelected says why SelectTools refused a tool asked for by id.
type ToolNotSelected struct {
	ID      int64
	Missing bool // no such tool; otherwise the job's filter left it out
}

func (e *ToolNotSelected) Error() string {
	if e.Missing {
		return fmt.Sprintf("tool %d does not exist", e.ID)
	}
	return fmt.Sprintf("tool %d is not selected", e.ID)
}

// SelectTools returns the tools a job works on: with no ids, every tool
// that keep accepts, oldest first; with ids, those tools, each of which
// must exist and be accepted (else a *ToolNotSelected).
func SelectTools(ctx context.Context, q database.Querier, ids []int64, keep func(*Tool) bool) ([]Tool, error) {
	var out []Tool
	if len(ids) == 0 {
		all, err := ListTools(ctx, q)
		if err != nil {
			return nil, err
		}
		for i := range all {
			if keep(&all[i]) {
				out = append(out, all[i])
			}
		}
		return out, nil
	}
	for _, id := range ids {
		t, err := GetTool(ctx, q, id)
		if errors.Is(err, database.ErrNotFound) {
			return nil, &ToolNotSelected{ID: id, Missing: true}
		} else if err != nil {
			return nil, err
		}
		if !keep(t) {
			return nil, &ToolNotSelected{ID: id}
		}
		out = append(out, *t)
	}
	return out, nil
}

// writableColumns are the columns InsertTool and UpdateTool write.
var writableColumns = strings.Fields(`courseid contextid disabled sendgrades forcenavigation croleinst crolelearn
	aroleinst arolelearn secret encoding institution lang timezone maildisplay city country hidepageheader
	hidepagefooter hideleftblocks hiderightblocks customcss enrolstartdate enrolperiod enrolenddate maxenrolled
	userprofileupdate syncmembers syncmode syncperiod timemodified timecreated lastsync requirecompletion
	enrolinst enrollearn addtogroup sendcompletion`)

func (t *Tool) values() []any {
	return []any{t.CourseID, t.ContextID, t.Disabled, t.SendGrades, t.ForceNavigation, t.CRoleInst, t.CRoleLearn,
		t.ARoleInst, t.ARoleLearn, t.Secret, t.Encoding, t.Institution, t.Lang, t.Timezone, t.MailDisplay, t.City,
		t.Country, t.HidePageHeader, t.HidePageFooter, t.HideLeftBlocks, t.HideRightBlocks, t.CustomCSS,
		t.EnrolStartDate, t.EnrolPeriod, t.EnrolEndDate, t.MaxEnrolled, t.UserProfileUpdate, t.SyncMembers,
		t.SyncMode, t.SyncPeriod, t.TimeModified, t.TimeCreated, t.LastSync, t.RequireCompletion, t.EnrolInst,
		t.EnrolLearn, t.AddToGroup, t.SendCompletion}
}

// InsertTool stores a new tool and sets its ID.
func InsertTool(ctx context.Context, q database.Querier, t *Tool) error {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(writableColumns)), ", ")
	id, err := q.Insert(ctx, "INSERT INTO {local_ltiprovider} ("+strings.Join(writableColumns, ", ")+") VALUES ("+marks+")", t.values()...)
	if err != nil {
		return fmt.Errorf("inserting tool: %w", err)
	}
	t.ID = id
	return nil
}

// UpdateTool writes every column of an existing tool.
func UpdateTool(ctx context.Context, q database.Querier, t *Tool) error {
	sets := strings.Join(writableColumns, " = ?, ") + " = ?"
	_, err := q.Exec(ctx, "UPDATE {local_ltiprovider} SET "+sets+" WHERE id = ?", append(t.values(), t.ID)...)
	if err != nil {
		return fmt.Errorf("updating tool %d: %w", t.ID, err)
	}
	return nil
}

// DeleteTool removes a tool and everything kept for it: its per-user rows
// (as the plugin did), bound consumer keys, outcome targets and grade queue.
func DeleteTool(ctx context.Context, q database.Querier, id int64) error {
	for _, table := range []string{"local_ltiprovider_user", "local_ltiprovider_consumer",
		"local_ltiprovider_outcome", "local_ltiprovider_grade"} {
		if _, err := q.Exec(ctx, "DELETE FROM {"+table+"} WHERE toolid = ?", id); err != nil {
			return fmt.Errorf("deleting %s rows of tool %d: %w", table, id, err)
		}
	}
	if _, err := q.Exec(ctx, "DELETE FROM {local_ltiprovider} WHERE id = ?", id); err != nil {
		return fmt.Errorf("deleting tool %d: %w", id, err)
	}
	return nil
}

// NewTool returns a tool for a course or module context with the defaults
// of the plugin's edit form (edit_form.php): instructors get the
// instructorRole (editingteacher) and learners the learnerRole (student), in
// the course and, for activities, in the module; a fresh random secret.
func NewTool(courseID, contextID, instructorRole, learnerRole, now int64) *Tool {
	return &Tool{
		CourseID: courseID, ContextID: contextID,
		SendGrades: true, ForceNavigation: true,
		CRoleInst: instructorRole, CRoleLearn: learnerRole,
		ARoleInst:  sql.NullInt64{Int64: instructorRole, Valid: true},
		ARoleLearn: sql.NullInt64{Int64: learnerRole, Valid: true},
		Secret:     NewSecret(),
		Encoding:   sql.NullString{String: "UTF-8", Valid: true},
		Lang:       "en", Timezone: "99", MailDisplay: 2,
		UserProfileUpdate: 1, SyncMode: SyncEnrolAndUnenrol, SyncPeriod: 1800,
		EnrolInst: true, EnrolLearn: true,
		TimeCreated: now, TimeModified: now,
	}
}

// NewSecret returns a random shared secret of 32 hex characters (128 bits),
// the length of the plugin's md5-based secrets.
func NewSecret() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("store: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}
