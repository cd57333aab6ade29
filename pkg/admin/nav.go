package admin

import (
	"net/http"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// navLink is nav.json?courseid=: the "LTI Provider" entry the layout
// script adds to the course's secondary navigation (the plugin's link in
// the course administration), for people who may see the course's tools;
// {} for everyone else.
func (h *Handler) navLink(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Cookie")
	id, err := h.Auth.Identify(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	courseID, ok := intParam(r, "courseid")
	if !id.LoggedIn() || !ok || courseID <= moodle.SiteCourseID {
		web.JSON(w, http.StatusOK, struct{}{})
		return
	}
	if pending, err := h.Auth.MFAPending(r.Context(), id); pending || err != nil {
		web.JSON(w, http.StatusOK, struct{}{})
		return
	}
	site, err := h.Sites.Get(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := &request{w: w, r: r, ctx: r.Context(), id: id, site: site}
	q.checker.Q, q.checker.Site = h.DB, site
	course, err := moodle.GetCourse(q.ctx, h.DB, courseID)
	if err != nil {
		web.JSON(w, http.StatusOK, struct{}{})
		return
	}
	cctx, err := moodle.ContextOf(q.ctx, h.DB, moodle.ContextCourse, course.ID)
	if err != nil {
		web.JSON(w, http.StatusOK, struct{}{})
		return
	}
	a, err := q.accessTo(course, cctx, h.now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !a.View {
		web.JSON(w, http.StatusOK, struct{}{})
		return
	}
	web.JSON(w, http.StatusOK, map[string]string{"url": h.url("index.php", "courseid", course.ID), "label": "LTI Provider"})
}
