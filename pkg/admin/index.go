package admin

import (
	"net/http"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/accesslib"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/manage"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

type toolRow struct {
	Tool      store.Tool
	Name      string
	Missing   bool // its context is gone (the plugin deleted such tools on sight)
	LaunchURL string
	Secret    string // empty for people who only view
	EditURL   string
	DeleteURL string
	ReportURL string
	SyncURL   string
}

type indexBody struct {
	Access        Access
	Tools         []toolRow
	AddURL        string
	NoFrameEmbeds bool
	SettingsURL   string
}

// index is index.php?courseid=: the course's tools (the plugin's list).
func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	q, ok := h.begin(w, r)
	if !ok {
		return
	}
	courseID, ok := intParam(r, "courseid")
	if !ok {
		h.badRequest(w, r, "A course id is required.")
		return
	}
	sc, ok := h.course(q, courseID, false)
	if !ok {
		return
	}
	tools, err := store.ToolsByCourse(q.ctx, h.DB, sc.course.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ch, err := manage.LoadChoices(q.ctx, accesslib.Checker{Q: h.DB, Site: q.site}, manage.Actor{UserID: q.id.UserID()}, sc.course)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body := &indexBody{Access: sc.access, NoFrameEmbeds: !q.site.Bool("allowframembedding")}
	for _, t := range tools {
		row := toolRow{Tool: t, LaunchURL: manage.LaunchURL(h.WWWRoot, t.ID)}
		row.Name, ok = ch.ContextName(t.ContextID)
		if !ok {
			row.Name, row.Missing = "Missing course or activity", true
		}
		if sc.access.Manage {
			row.Secret = t.Secret
			row.EditURL = h.url("edit.php", "id", t.ID)
			row.DeleteURL = h.url("edit.php", "id", t.ID, "delete", 1)
			if t.SendGrades {
				row.ReportURL = h.url("syncreport.php", "id", t.ID)
			}
			if t.SyncMembers {
				row.SyncURL = h.url("syncmembers.php", "id", t.ID)
			}
		}
		body.Tools = append(body.Tools, row)
	}
	if sc.access.Manage {
		body.AddURL = h.url("edit.php", "id", -1, "courseid", sc.course.ID)
	}
	if admin, err := h.siteAdmin(q); err == nil && admin {
		body.SettingsURL = h.url("settings.php")
	}
	h.render(w, r, http.StatusOK, "index", &pageData{Title: "List of tools provided", Course: sc.course,
		CourseID: sc.course.ID, User: q.id.User, Sesskey: h.token(q.id), Body: body})
}
