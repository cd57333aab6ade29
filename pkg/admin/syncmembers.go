package admin

import (
	"net/http"
)

type membersBody struct {
	ToolID    int64
	ToolName  string
	SyncMode  int
	Available bool
	Result    *SyncResult
	Action    string
	BackURL   string
}

// syncMembers is GET syncmembers.php?id=: what a forced member sync will
// do, with the button to run it. (The plugin ran it on GET; a change
// needs a POST with the session's token here.)
func (h *Handler) syncMembers(w http.ResponseWriter, r *http.Request) {
	h.members(w, r, false)
}

// syncMembersPost runs the tool's member sync now.
func (h *Handler) syncMembersPost(w http.ResponseWriter, r *http.Request) {
	h.members(w, r, true)
}

func (h *Handler) members(w http.ResponseWriter, r *http.Request, run bool) {
	q, ok := h.begin(w, r)
	if !ok || (run && !h.requirePost(q)) {
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
	body := &membersBody{ToolID: t.ID, SyncMode: t.SyncMode, Available: h.Members != nil && t.SyncMembers,
		Action: h.url("syncmembers.php"), BackURL: h.url("index.php", "courseid", sc.course.ID)}
	body.ToolName, _ = ch.ContextName(t.ContextID)
	status := http.StatusOK
	if run {
		if !body.Available {
			h.render(w, r, http.StatusServiceUnavailable, "message", &pageData{Title: "Not available",
				Message: "Member synchronization is not available for this tool on this service."})
			return
		}
		res, err := h.Members.SyncTool(q.ctx, t.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.logAction(q, "forced member sync", t.ID)
		body.Result = &res
	}
	h.render(w, r, status, "syncmembers", &pageData{Title: "Force sync members", Course: sc.course, CourseID: sc.course.ID,
		User: q.id.User, Sesskey: h.token(q.id), Body: body})
}
