package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Report is what a launch left in Moodle's and the service's tables for
// one user, read back after the browser arrived at Moodle.
type Report struct {
	User       ReportUser
	Created    bool // the user was created by the latest launch
	Launch     *store.Launch
	Tool       *store.Tool
	Course     *moodle.Course
	Enrolments []ReportEnrolment
	Roles      []ReportRole
	Groups     []ReportGroup
	ToolUser   *store.ToolUser
	Outcomes   []store.Outcome
	Keys       []store.ConsumerKey
	Session    *ReportSession
	Events     []ReportEvent
	Grades     []store.GradeReportRow
	Items      []GradeItem
	// ItemGrades are the user's grades of Items, by item id ("" none).
	ItemGrades map[int64]string
	// CourseTotal is the user's course total as "final / max", "" none.
	CourseTotal string
}

// ReportUser is the user row, as far as a launch writes it.
type ReportUser struct {
	ID          int64  `db:"id"`
	Username    string `db:"username"`
	FirstName   string `db:"firstname"`
	LastName    string `db:"lastname"`
	Email       string `db:"email"`
	Auth        string `db:"auth"`
	Lang        string `db:"lang"`
	TimeCreated int64  `db:"timecreated"`
	LastLogin   int64  `db:"currentlogin"`
	LastIP      string `db:"lastip"`
}

// ReportEnrolment is one of the user's enrolments in the tool's course.
type ReportEnrolment struct {
	Method      string `db:"enrol"`
	Status      int    `db:"status"`
	TimeStart   int64  `db:"timestart"`
	TimeEnd     int64  `db:"timeend"`
	TimeCreated int64  `db:"timecreated"`
}

// ReportRole is a role assignment in the course or one of its activities.
type ReportRole struct {
	Role         string `db:"shortname"`
	ContextLevel int    `db:"contextlevel"`
	InstanceID   int64  `db:"instanceid"`
	TimeModified int64  `db:"timemodified"`
}

// ReportGroup is a group membership in the course.
type ReportGroup struct {
	Name      string `db:"name"`
	IDNumber  string `db:"idnumber"`
	TimeAdded int64  `db:"timeadded"`
}

// ReportSession is the Moodle session the browser presented.
type ReportSession struct {
	SID         string
	UserID      int64
	TimeCreated int64
	FirstIP     string
	// Data says where the session data is: "sessdata column (N bytes)"
	// or "file <path> (N bytes, mode)".
	Data string
}

// ReportEvent is a row of Moodle's standard log.
type ReportEvent struct {
	Name        string `db:"eventname"`
	Component   string `db:"component"`
	UserID      int64  `db:"userid"`
	RelatedUser int64  `db:"relateduserid"`
	ContextID   int64  `db:"contextid"`
	TimeCreated int64  `db:"timecreated"`
}

// LoadReport reads what the latest launch of userID wrote. sid is the
// browser's Moodle session; sessionDir is where the file strategy keeps
// session files ("" when it is not used).
func LoadReport(ctx context.Context, q database.Querier, userID int64, sid, sessionDir string) (*Report, error) {
	r := &Report{ItemGrades: map[int64]string{}}
	err := q.Get(ctx, &r.User, `SELECT id, username, firstname, lastname, email, auth, lang, timecreated, currentlogin, lastip
		  FROM {user} WHERE id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("user %d: %w", userID, err)
	}
	if r.Session, err = loadSession(ctx, q, sid, sessionDir); err != nil {
		return nil, err
	}
	r.Launch, err = store.GetLaunch(ctx, q, userID)
	if errors.Is(err, database.ErrNotFound) {
		return r, nil // a user who never launched: nothing more to show
	}
	if err != nil {
		return nil, err
	}
	r.Created = r.User.TimeCreated >= r.Launch.TimeCreated
	if r.Tool, err = store.GetTool(ctx, q, r.Launch.ToolID); err != nil {
		return nil, err
	}
	if r.Course, err = moodle.GetCourse(ctx, q, r.Tool.CourseID); err != nil {
		return nil, err
	}
	courseCtx, err := moodle.ContextOf(ctx, q, moodle.ContextCourse, r.Course.ID)
	if err != nil {
		return nil, err
	}
	if err := q.Select(ctx, &r.Enrolments, `SELECT e.enrol, ue.status, ue.timestart, ue.timeend, ue.timecreated
		  FROM {user_enrolments} ue JOIN {enrol} e ON e.id = ue.enrolid
		 WHERE e.courseid = ? AND ue.userid = ? ORDER BY ue.id`, r.Course.ID, userID); err != nil {
		return nil, err
	}
	if err := q.Select(ctx, &r.Roles, `SELECT r.shortname, x.contextlevel, x.instanceid, ra.timemodified
		  FROM {role_assignments} ra JOIN {role} r ON r.id = ra.roleid JOIN {context} x ON x.id = ra.contextid
		 WHERE ra.userid = ? AND (x.id = ? OR x.path LIKE ?) ORDER BY ra.id`, userID, courseCtx.ID, courseCtx.Path+"/%"); err != nil {
		return nil, err
	}
	if err := q.Select(ctx, &r.Groups, `SELECT g.name, COALESCE(g.idnumber, '') AS idnumber, gm.timeadded
		  FROM {groups_members} gm JOIN {groups} g ON g.id = gm.groupid
		 WHERE g.courseid = ? AND gm.userid = ? ORDER BY gm.id`, r.Course.ID, userID); err != nil {
		return nil, err
	}
	r.ToolUser, err = store.GetToolUser(ctx, q, r.Tool.ID, userID)
	if err != nil && !errors.Is(err, database.ErrNotFound) {
		return nil, err
	}
	if r.Outcomes, err = store.OutcomesOfUser(ctx, q, r.Tool.ID, userID); err != nil {
		return nil, err
	}
	if r.Keys, err = store.ConsumerKeysOfTool(ctx, q, r.Tool.ID); err != nil {
		return nil, err
	}
	if err := q.Select(ctx, &r.Events, `SELECT eventname, component, userid, COALESCE(relateduserid, 0) AS relateduserid,
		       contextid, timecreated
		  FROM {logstore_standard_log}
		 WHERE (userid = ? OR relateduserid = ?) AND timecreated >= ? ORDER BY id`,
		userID, userID, r.Launch.TimeCreated); err != nil {
		return nil, err
	}
	if r.Grades, err = store.GradeReport(ctx, q, r.Tool.ID, userID); err != nil {
		return nil, err
	}
	return r, r.loadGrades(ctx, q)
}

// loadGrades reads the user's activity grades and course total.
func (r *Report) loadGrades(ctx context.Context, q database.Querier) error {
	var err error
	if r.Items, err = GradeItems(ctx, q, r.Course.ID); err != nil {
		return err
	}
	var rows []struct {
		ItemID   int64           `db:"itemid"`
		ItemType string          `db:"itemtype"`
		Final    sql.NullFloat64 `db:"finalgrade"`
		Max      float64         `db:"rawgrademax"`
	}
	err = q.Select(ctx, &rows, `SELECT gg.itemid, gi.itemtype, gg.finalgrade, gg.rawgrademax
		  FROM {grade_grades} gg JOIN {grade_items} gi ON gi.id = gg.itemid
		 WHERE gi.courseid = ? AND gg.userid = ?`, r.Course.ID, r.User.ID)
	if err != nil {
		return err
	}
	for _, g := range rows {
		if !g.Final.Valid {
			continue
		}
		if g.ItemType == "course" {
			r.CourseTotal = fmt.Sprintf("%g / %g", g.Final.Float64, g.Max)
		} else {
			r.ItemGrades[g.ItemID] = fmt.Sprintf("%g", g.Final.Float64)
		}
	}
	return nil
}

// loadSession reads the session row of sid and says where its data is.
func loadSession(ctx context.Context, q database.Querier, sid, sessionDir string) (*ReportSession, error) {
	if sid == "" {
		return nil, nil
	}
	var row struct {
		SID         string         `db:"sid"`
		UserID      int64          `db:"userid"`
		TimeCreated int64          `db:"timecreated"`
		FirstIP     string         `db:"firstip"`
		Data        sql.NullString `db:"sessdata"`
	}
	err := q.Get(ctx, &row, "SELECT sid, userid, timecreated, COALESCE(firstip, '') AS firstip, sessdata FROM {sessions} WHERE sid = ?", sid)
	if errors.Is(err, database.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s := &ReportSession{SID: row.SID, UserID: row.UserID, TimeCreated: row.TimeCreated, FirstIP: row.FirstIP}
	switch {
	case row.Data.Valid:
		s.Data = fmt.Sprintf("in the sessdata column (%d bytes, base64)", len(row.Data.String))
	case sessionDir != "":
		path := filepath.Join(sessionDir, "sess_"+sid)
		if st, err := os.Stat(path); err == nil {
			s.Data = fmt.Sprintf("in the file %s (%d bytes, mode %04o)", path, st.Size(), st.Mode().Perm())
		} else {
			s.Data = "no session file at " + path
		}
	default:
		s.Data = "outside the database (Redis)"
	}
	return s, nil
}
