package admin

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// reportRow is one LTI user of a tool in the grade sync report.
type reportRow struct {
	UserID     int64  `db:"userid"`
	FirstName  string `db:"firstname"`
	LastName   string `db:"lastname"`
	LastSync   int64  `db:"lastsync"`
	LastGrade  string `db:"lastgrade"`
	LastAccess int64  `db:"lastaccess"`
	ServiceURL string `db:"serviceurl"`
	SourceID   string `db:"sourceid"`
	// Targets are where this user's grades go (one per resource link), with
	// what grade sync last delivered there.
	Targets []reportTarget `db:"-"`
}

// reportTarget is one grade target of a user: what the consumer confirmed
// last, when, and the state of the next delivery.
type reportTarget struct {
	Sent       string // the score the consumer confirmed, "" for none
	TimeSent   int64
	State      string
	Note       string // why a grade waits, or the consumer's last error
	ServiceURL string
	SourcedID  string
}

type reportBody struct {
	ToolID            int64
	ToolName          string
	RequireCompletion bool
	FirstName         string
	LastName          string
	Rows              []reportRow
	Total             int
	Page, Pages       int
	PrevURL, NextURL  string
	Action            string
	CanResend         bool
	Result            *SyncResult
	BackURL           string
}

const reportPageSize = 50

// syncReport is syncreport.php?id=: the tool's LTI users, when their grade
// was last sent and what, with forced resend for some or all of them.
func (h *Handler) syncReport(w http.ResponseWriter, r *http.Request) {
	h.report(w, r, nil)
}

func (h *Handler) report(w http.ResponseWriter, r *http.Request, result *SyncResult) {
	q, ok := h.begin(w, r)
	if !ok {
		return
	}
	id, _ := intParam(r, "id")
	t, sc, ok := h.tool(q, id)
	if !ok {
		return
	}
	ch, _, err := h.choices(q, sc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	first := strings.TrimSpace(r.URL.Query().Get("firstname"))
	last := strings.TrimSpace(r.URL.Query().Get("lastname"))
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 0 {
		page = 0
	}
	where := "lu.toolid = ? AND u.deleted = 0"
	args := []any{t.ID}
	if first != "" {
		where += " AND u.firstname LIKE ?"
		args = append(args, likePattern(first))
	}
	if last != "" {
		where += " AND u.lastname LIKE ?"
		args = append(args, likePattern(last))
	}
	var total int
	if err := h.DB.Get(q.ctx, &total, "SELECT COUNT(*) FROM {local_ltiprovider_user} lu JOIN {user} u ON u.id = lu.userid WHERE "+where, args...); err != nil {
		h.fail(w, r, err)
		return
	}
	body := &reportBody{ToolID: t.ID, RequireCompletion: t.RequireCompletion, FirstName: first, LastName: last,
		Total: total, Page: page, Action: h.url("syncreport.php"), CanResend: h.Grades != nil, Result: result,
		BackURL: h.url("index.php", "courseid", sc.course.ID)}
	body.ToolName, _ = ch.ContextName(t.ContextID)
	body.Pages = (total + reportPageSize - 1) / reportPageSize
	err = h.DB.Select(q.ctx, &body.Rows, `SELECT lu.userid, u.firstname, u.lastname, COALESCE(lu.lastsync, 0) AS lastsync,
		COALESCE(CAST(lu.lastgrade AS CHAR), '') AS lastgrade, COALESCE(lu.lastaccess, 0) AS lastaccess,
		COALESCE(lu.serviceurl, '') AS serviceurl, COALESCE(lu.sourceid, '') AS sourceid
		FROM {local_ltiprovider_user} lu JOIN {user} u ON u.id = lu.userid
		WHERE `+where+` ORDER BY u.lastname, u.firstname, lu.id LIMIT ? OFFSET ?`,
		append(args, reportPageSize, page*reportPageSize)...)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.attachTargets(q.ctx, t.ID, body.Rows); err != nil {
		h.fail(w, r, err)
		return
	}
	if page > 0 {
		body.PrevURL = h.url("syncreport.php", "id", t.ID, "firstname", first, "lastname", last, "page", page-1)
	}
	if page+1 < body.Pages {
		body.NextURL = h.url("syncreport.php", "id", t.ID, "firstname", first, "lastname", last, "page", page+1)
	}
	status := http.StatusOK
	h.render(w, r, status, "syncreport", &pageData{Title: "Grades synchronization report", Course: sc.course,
		CourseID: sc.course.ID, User: q.id.User, Sesskey: h.token(q.id), Body: body})
}

// attachTargets adds to each row the grade sync state of the user's
// targets. A plugin-era user that grade sync has not worked out yet shows
// the plugin's own record (last grade as a whole number).
func (h *Handler) attachTargets(ctx context.Context, toolID int64, rows []reportRow) error {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.UserID
	}
	if len(ids) == 0 {
		return nil
	}
	grades, err := store.GradeReport(ctx, h.DB, toolID, ids...)
	if err != nil {
		return err
	}
	byUser := map[int64][]reportTarget{}
	for _, g := range grades {
		note := g.Hold
		if g.LastError.Valid && g.LastError.String != "" && (g.State == store.GradeFailed || g.State == store.GradePending) {
			note = g.LastError.String
		}
		byUser[g.UserID] = append(byUser[g.UserID], reportTarget{Sent: g.SentScore.String, TimeSent: g.TimeSent,
			State: g.State, Note: note, ServiceURL: g.ServiceURL, SourcedID: g.SourcedID})
	}
	for i := range rows {
		if t, ok := byUser[rows[i].UserID]; ok {
			rows[i].Targets = t
			continue
		}
		if rows[i].ServiceURL != "" {
			rows[i].Targets = []reportTarget{{Sent: rows[i].LastGrade, TimeSent: rows[i].LastSync, State: "not worked out yet",
				ServiceURL: rows[i].ServiceURL, SourcedID: rows[i].SourceID}}
		}
	}
	return nil
}

// syncReportPost forces a resend of grades: for the selected users, all
// users, or all users ignoring completion.
func (h *Handler) syncReportPost(w http.ResponseWriter, r *http.Request) {
	q, ok := h.begin(w, r)
	if !ok || !h.requirePost(q) {
		return
	}
	id, _ := intParam(r, "id")
	t, _, ok := h.tool(q, id)
	if !ok {
		return
	}
	if h.Grades == nil {
		h.render(w, r, http.StatusServiceUnavailable, "message", &pageData{Title: "Not available",
			Message: "Forced grade sending is not available on this service yet."})
		return
	}
	var users []int64
	switch r.PostFormValue("action") {
	case "selected":
		for _, v := range r.PostForm["user"] {
			uid, err := strconv.ParseInt(v, 10, 64)
			if err != nil || uid <= 0 {
				h.badRequest(w, r, "The selected users could not be read.")
				return
			}
			users = append(users, uid)
		}
		if len(users) == 0 {
			h.badRequest(w, r, "Must select at least one user.")
			return
		}
	case "all", "allomitcompletion":
	default:
		h.badRequest(w, r, "Unknown action.")
		return
	}
	res, err := h.Grades.ForceResend(q.ctx, t.ID, users, r.PostFormValue("action") == "allomitcompletion")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.logAction(q, "forced grade resend", t.ID)
	r.URL.RawQuery = "id=" + strconv.FormatInt(t.ID, 10)
	h.report(w, r, &res)
}

// likePattern escapes LIKE wildcards in a search term (MySQL's default
// escape is backslash) and matches it anywhere.
func likePattern(s string) string {
	s = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
	return "%" + s + "%"
}
