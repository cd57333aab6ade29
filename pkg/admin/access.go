package admin

import (
	"errors"
	"net/http"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// The plugin's capabilities (db/access.php); sites that ran the plugin
// have them, with the roles the site gave them.
const (
	capManage = "local/ltiprovider:manage"
	capView   = "local/ltiprovider:view"
	// capUpdate stands in for both where the plugin's capabilities do not
	// exist: whoever may edit the course may provide it.
	capUpdate = "moodle/course:update"
)

// Access is what the person may do with a course's tools.
type Access struct {
	View   bool // see the list and launch URLs
	Manage bool // add, edit, delete; see secrets; reports and syncs
}

// courseScope is a course page's subject: the course, its context and
// what the person may do there.
type courseScope struct {
	course *moodle.Course
	ctx    moodle.Context
	access Access
}

// accessTo works out what the person may do in a course: nothing unless
// they can enter it (require_login($course)); site admins everything;
// otherwise the plugin's capabilities where they exist, else
// moodle/course:update.
func (q *request) accessTo(course *moodle.Course, cctx moodle.Context, now time.Time) (Access, error) {
	uid := q.id.UserID()
	if q.checker.IsSiteAdmin(uid) {
		return Access{View: true, Manage: true}, nil
	}
	ok, err := q.checker.CanAccessCourse(q.ctx, uid, course, cctx, now)
	if err != nil || !ok {
		return Access{}, err
	}
	var a Access
	manageExists, err := capabilityExists(q, capManage)
	if err != nil {
		return a, err
	}
	if manageExists {
		if a.Manage, err = q.checker.HasCapability(q.ctx, uid, capManage, cctx); err != nil {
			return a, err
		}
	} else if a.Manage, err = q.checker.HasCapability(q.ctx, uid, capUpdate, cctx); err != nil {
		return a, err
	}
	a.View = a.Manage
	if !a.View {
		viewExists, err := capabilityExists(q, capView)
		if err != nil {
			return a, err
		}
		if viewExists {
			if a.View, err = q.checker.HasCapability(q.ctx, uid, capView, cctx); err != nil {
				return a, err
			}
		}
	}
	return a, nil
}

// course loads a course page's subject and checks the person may at least
// view its tools (or manage them, when manage is set). It writes the
// refusal itself and returns false.
func (h *Handler) course(q *request, courseID int64, manage bool) (*courseScope, bool) {
	if courseID <= moodle.SiteCourseID {
		h.notFound(q.w, q.r, "There is no such course.")
		return nil, false
	}
	course, err := moodle.GetCourse(q.ctx, h.DB, courseID)
	if errors.Is(err, database.ErrNotFound) {
		h.notFound(q.w, q.r, "There is no such course.")
		return nil, false
	}
	if err != nil {
		h.fail(q.w, q.r, err)
		return nil, false
	}
	cctx, err := moodle.ContextOf(q.ctx, h.DB, moodle.ContextCourse, course.ID)
	if err != nil {
		h.fail(q.w, q.r, err)
		return nil, false
	}
	a, err := q.accessTo(course, cctx, h.now())
	if err != nil {
		h.fail(q.w, q.r, err)
		return nil, false
	}
	if !a.View || (manage && !a.Manage) {
		h.forbidden(q.w, q.r)
		return nil, false
	}
	return &courseScope{course: course, ctx: cctx, access: a}, true
}

// tool loads a tool and its course for a page that manages it.
func (h *Handler) tool(q *request, toolID int64) (*store.Tool, *courseScope, bool) {
	t, err := store.GetTool(q.ctx, h.DB, toolID)
	if errors.Is(err, database.ErrNotFound) {
		h.notFound(q.w, q.r, "There is no such tool.")
		return nil, nil, false
	}
	if err != nil {
		h.fail(q.w, q.r, err)
		return nil, nil, false
	}
	sc, ok := h.course(q, t.CourseID, true)
	return t, sc, ok
}

func capabilityExists(q *request, name string) (bool, error) {
	var n int
	err := q.checker.Q.Get(q.ctx, &n, "SELECT COUNT(*) FROM {capabilities} WHERE name = ?", name)
	return n > 0, err
}

// siteAdmin checks the settings page's rule: a site administrator, or
// moodle/site:config in the system context ($hassiteconfig).
func (h *Handler) siteAdmin(q *request) (bool, error) {
	if q.checker.IsSiteAdmin(q.id.UserID()) {
		return true, nil
	}
	sys, err := moodle.SystemContext(q.ctx, h.DB)
	if err != nil {
		return false, err
	}
	return q.checker.HasCapability(q.ctx, q.id.UserID(), "moodle/site:config", sys)
}

// requirePost guards state changes: bounded body, CSRF token, same origin.
func (h *Handler) requirePost(q *request) bool {
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, 1<<20)
	if err := q.r.ParseForm(); err != nil {
		h.badRequest(q.w, q.r, "The form could not be read.")
		return false
	}
	if !h.sameOrigin(q.r) || !h.validToken(q.id, q.r.PostFormValue("sesskey")) {
		h.render(q.w, q.r, http.StatusForbidden, "message", &pageData{Title: "Invalid session key",
			Message: "This form was not sent from this site, or your session has changed. Go back, reload the page and try again."})
		return false
	}
	return true
}
