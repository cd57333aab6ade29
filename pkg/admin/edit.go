package admin

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/accesslib"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/manage"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// sections group the form's fields as the plugin's form did.
var sections = []struct {
	Legend string
	Fields []string
}{
	{"Tool settings", []string{"contextid", "forcenavigation", "enrolperiod", "enrolstartdate", "enrolenddate", "maxenrolled",
		"addtogroup", "enrolinst", "enrollearn", "croleinst", "crolelearn", "aroleinst", "arolelearn"}},
	{"Remote system", []string{"secret", "encoding"}},
	{"User default values", []string{"userprofileupdate", "maildisplay", "city", "country", "timezone", "lang", "institution"}},
	{"Outcomes service settings", []string{"sendgrades", "requirecompletion", "sendcompletion"}},
	{"Memberships service settings", []string{"syncmembers", "syncperiod", "syncmode"}},
	{"Layout and CSS", []string{"hidepageheader", "hidepagefooter", "hideleftblocks", "hiderightblocks", "customcss"}},
}

type option struct {
	Value, Label string
	Selected     bool
}

type formField struct {
	Name, Label, Help, Value, Error string
	Widget                          string // checkbox, select, text, date, duration, textarea
	Options                         []option
	Checked, Disabled               bool
	Unit                            string // for duration
	MaxLen                          int
}

type formSection struct {
	Legend string
	Fields []formField
}

type editBody struct {
	Keys      *keysBody // nil for a new tool
	New       bool
	ToolID    int64
	CourseID  int64
	LaunchURL string
	Sections  []formSection
	Errors    []fieldError
	CancelURL string
	Action    string
}

type fieldError struct{ Field, Label, Message string }

// keysBody is the consumer keys section of an existing tool's page.
type keysBody struct {
	Keys  []store.ConsumerKey
	Value string // what was typed, when it was refused
	Error string
}

type deleteBody struct {
	ToolID    int64
	Name      string
	CancelURL string
	Action    string
}

// editForm is GET edit.php: the add or edit form, or the delete
// confirmation (delete=1).
func (h *Handler) editForm(w http.ResponseWriter, r *http.Request) {
	q, ok := h.begin(w, r)
	if !ok {
		return
	}
	id, _ := intParam(r, "id")
	if id <= 0 {
		courseID, ok := intParam(r, "courseid")
		if !ok {
			h.badRequest(w, r, "A course id is required.")
			return
		}
		sc, ok := h.course(q, courseID, true)
		if !ok {
			return
		}
		ch, ss, err := h.choices(q, sc)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		who, err := manage.UserDefaultsOf(q.ctx, h.DB, q.id.UserID())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		t, err := manage.NewTool(q.ctx, h.DB, q.site, ch, &who, h.now())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if ss.UserProfileUpdate != -1 {
			t.UserProfileUpdate = ss.UserProfileUpdate
		}
		h.showForm(q, sc, ch, ss, t, nil, nil, http.StatusOK)
		return
	}
	t, sc, ok := h.tool(q, id)
	if !ok {
		return
	}
	ch, ss, err := h.choices(q, sc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.FormValue("delete") != "" {
		name, _ := ch.ContextName(t.ContextID)
		h.render(w, r, http.StatusOK, "delete", &pageData{Title: "Delete a tool", Course: sc.course, CourseID: sc.course.ID,
			User: q.id.User, Sesskey: h.token(q.id), Body: &deleteBody{ToolID: t.ID, Name: name,
				CancelURL: h.url("index.php", "courseid", sc.course.ID), Action: h.url("edit.php")}})
		return
	}
	if ss.UserProfileUpdate != -1 {
		t.UserProfileUpdate = ss.UserProfileUpdate
	}
	h.showForm(q, sc, ch, ss, t, nil, nil, http.StatusOK)
}

func (h *Handler) choices(q *request, sc *courseScope) (*manage.Choices, *settings.Site, error) {
	ch, err := manage.LoadChoices(q.ctx, accesslib.Checker{Q: h.DB, Site: q.site}, manage.Actor{UserID: q.id.UserID()}, sc.course)
	if err != nil {
		return nil, nil, err
	}
	ss, err := settings.Load(q.ctx, h.DB)
	return ch, ss, err
}

// errInvalid rolls a transaction back when the form has errors.
var errInvalid = errors.New("invalid form")

// editPost is POST edit.php: save, hide, show or delete.
func (h *Handler) editPost(w http.ResponseWriter, r *http.Request) {
	q, ok := h.begin(w, r)
	if !ok || !h.requirePost(q) {
		return
	}
	id, _ := intParam(r, "id")
	if id > 0 {
		t, sc, ok := h.tool(q, id)
		if !ok {
			return
		}
		back := h.url("index.php", "courseid", sc.course.ID)
		switch {
		case r.PostFormValue("delete") != "":
			if r.PostFormValue("confirm") == "" {
				http.Redirect(w, r, h.url("edit.php", "id", t.ID, "delete", 1), http.StatusSeeOther)
				return
			}
			err := h.DB.WithTx(q.ctx, func(tx *database.Tx) error { return store.DeleteTool(q.ctx, tx, t.ID) })
			if err != nil {
				h.fail(w, r, err)
				return
			}
			h.logAction(q, "deleted tool", t.ID)
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		case r.PostFormValue("bindkey") != "":
			h.bindKey(q, sc, t)
			return
		case r.PostFormValue("unbindkey") != "":
			h.unbindKey(q, sc, t)
			return
		case r.PostFormValue("hide") != "" || r.PostFormValue("show") != "":
			hide := r.PostFormValue("hide") != ""
			err := h.DB.WithTx(q.ctx, func(tx *database.Tx) error { return manage.SetDisabled(q.ctx, tx, t.ID, hide, h.now()) })
			if err != nil {
				h.fail(w, r, err)
				return
			}
			h.logAction(q, map[bool]string{true: "disabled tool", false: "enabled tool"}[hide], t.ID)
			http.Redirect(w, r, back, http.StatusSeeOther)
			return
		}
		h.save(q, sc, t)
		return
	}
	courseID, ok := intParam(r, "courseid")
	if !ok {
		h.badRequest(w, r, "A course id is required.")
		return
	}
	sc, ok := h.course(q, courseID, true)
	if !ok {
		return
	}
	h.save(q, sc, nil)
}

// save validates the submitted form and stores the tool in one
// transaction; with errors nothing is written and the form comes back.
func (h *Handler) save(q *request, sc *courseScope, prev *store.Tool) {
	values := map[string]string{}
	for _, f := range manage.Fields {
		if f.Kind == manage.Duration {
			if v, ok := q.r.PostForm["enrolperiod_value"]; ok {
				n := v[len(v)-1]
				if n == "" {
					n = "0"
				}
				values[f.Name] = n + q.r.PostFormValue("enrolperiod_unit")
			}
			continue
		}
		if v, ok := q.r.PostForm[f.Name]; ok && len(v) > 0 {
			values[f.Name] = v[len(v)-1] // a checked box follows its hidden 0
		}
	}
	var (
		saved           *store.Tool
		errs            manage.Errors
		ch              *manage.Choices
		ss              *settings.Site
		loc             *time.Location
		attemptedValues *store.Tool
	)
	err := h.DB.WithTx(q.ctx, func(tx *database.Tx) error {
		var err error
		checker := accesslib.Checker{Q: tx, Site: q.site}
		if ch, err = manage.LoadChoices(q.ctx, checker, manage.Actor{UserID: q.id.UserID()}, sc.course); err != nil {
			return err
		}
		if ss, err = settings.Load(q.ctx, tx); err != nil {
			return err
		}
		loc = manage.SiteLocation(q.site)
		var t, before *store.Tool
		if prev == nil {
			who, err := manage.UserDefaultsOf(q.ctx, tx, q.id.UserID())
			if err != nil {
				return err
			}
			if t, err = manage.NewTool(q.ctx, tx, q.site, ch, &who, h.now()); err != nil {
				return err
			}
		} else {
			if before, err = store.GetTool(q.ctx, tx, prev.ID); err != nil {
				return err
			}
			copied := *before
			t = &copied
		}
		errs = manage.Apply(t, values, loc)
		for k, v := range manage.Validate(t, before, ch, ss) {
			if _, seen := errs[k]; !seen {
				errs[k] = v
			}
		}
		attemptedValues = t
		if len(errs) > 0 {
			return errInvalid
		}
		if err := manage.Save(q.ctx, tx, t, h.now()); err != nil {
			return err
		}
		saved = t
		return nil
	})
	switch {
	case errors.Is(err, errInvalid):
		h.showForm(q, sc, ch, ss, attemptedValues, errs, nil, http.StatusUnprocessableEntity)
		return
	case err != nil:
		h.fail(q.w, q.r, err)
		return
	}
	h.logAction(q, "saved tool", saved.ID)
	http.Redirect(q.w, q.r, h.url("index.php", "courseid", sc.course.ID), http.StatusSeeOther)
}

func (h *Handler) logAction(q *request, what string, toolID int64) {
	if h.Log != nil {
		h.Log.InfoContext(q.ctx, "admin: "+what, "tool", toolID, "userid", q.id.UserID())
	}
}

// showForm renders the form for t, with errs next to their fields, and
// for an existing tool its consumer keys (kf: a refused key to show again,
// or nil).
func (h *Handler) showForm(q *request, sc *courseScope, ch *manage.Choices, ss *settings.Site, t *store.Tool, errs manage.Errors, kf *keysBody, status int) {
	loc := manage.SiteLocation(q.site)
	body := &editBody{New: t.ID == 0, ToolID: t.ID, CourseID: sc.course.ID,
		CancelURL: h.url("index.php", "courseid", sc.course.ID), Action: h.url("edit.php")}
	if t.ID != 0 {
		body.LaunchURL = manage.LaunchURL(h.WWWRoot, t.ID)
		keys, err := store.ConsumerKeysOfTool(q.ctx, h.DB, t.ID)
		if err != nil {
			h.fail(q.w, q.r, err)
			return
		}
		if kf == nil {
			kf = &keysBody{}
		}
		kf.Keys = keys
		body.Keys = kf
	}
	for _, s := range sections {
		fs := formSection{Legend: s.Legend}
		for _, name := range s.Fields {
			f, _ := manage.LookupField(name)
			ff := formField{Name: f.Name, Label: f.Label, Help: f.Help, Value: manage.Value(t, f.Name, loc),
				Error: errs[f.Name], MaxLen: f.MaxLen}
			switch f.Kind {
			case manage.Bool:
				ff.Widget, ff.Checked = "checkbox", ff.Value == "1"
			case manage.Date:
				ff.Widget = "date"
			case manage.Duration:
				ff.Widget = "duration"
				ff.Value, ff.Unit = splitDuration(t.EnrolPeriod)
				ff.Options = unitOptions(ff.Unit)
			case manage.Choice:
				ff.Widget = "select"
				for _, o := range f.Options {
					ff.Options = append(ff.Options, option{o.Value, o.Label, o.Value == ff.Value})
				}
				if f.Name == "userprofileupdate" && ss != nil && ss.UserProfileUpdate != -1 {
					ff.Disabled = true
					ff.Help = "Set for the whole site (LTI Provider settings); it applies to every tool."
				}
			case manage.ContextChoice:
				ff.Widget = "select"
				ff.Options = append(ff.Options, option{strconv.FormatInt(ch.CourseContext.ID, 10), "Course", t.ContextID == ch.CourseContext.ID})
				for _, a := range ch.Activities {
					ff.Options = append(ff.Options, option{strconv.FormatInt(a.ContextID, 10), a.Name + " (" + a.ModName + ")", a.ContextID == t.ContextID})
				}
			case manage.RoleChoice:
				ff.Widget = "select"
				ff.Options = roleOptions(ch, ff.Value)
			default:
				ff.Widget = "text"
				if f.Name == "customcss" {
					ff.Widget = "textarea"
				}
			}
			fs.Fields = append(fs.Fields, ff)
		}
		body.Sections = append(body.Sections, fs)
	}
	for _, name := range errs.Names() {
		label := name
		if f, ok := manage.LookupField(name); ok {
			label = f.Label
		}
		body.Errors = append(body.Errors, fieldError{Field: name, Label: label, Message: errs[name]})
	}
	title := "Provide a tool for an external system"
	h.render(q.w, q.r, status, "edit", &pageData{Title: title, Course: sc.course, CourseID: sc.course.ID,
		User: q.id.User, Sesskey: h.token(q.id), Body: body})
}

// roleOptions offers the assignable roles, plus the stored one when the
// person could not choose it themselves (kept while unchanged).
func roleOptions(ch *manage.Choices, current string) []option {
	var opts []option
	found := false
	for _, r := range ch.Roles {
		v := strconv.FormatInt(r.ID, 10)
		opts = append(opts, option{v, r.DisplayName(), v == current})
		found = found || v == current
	}
	if !found && current != "" && current != "0" {
		id, _ := strconv.ParseInt(current, 10, 64)
		opts = append([]option{{current, ch.RoleName(id) + " (current)", true}}, opts...)
	}
	return opts
}

func splitDuration(sec int64) (string, string) {
	for _, u := range []struct {
		unit string
		n    int64
	}{{"w", 604800}, {"d", 86400}, {"h", 3600}, {"m", 60}} {
		if sec != 0 && sec%u.n == 0 {
			return strconv.FormatInt(sec/u.n, 10), u.unit
		}
	}
	if sec == 0 {
		return "0", "d"
	}
	return strconv.FormatInt(sec, 10), "s"
}

func unitOptions(sel string) []option {
	var out []option
	for _, u := range []option{{"w", "weeks", false}, {"d", "days", false}, {"h", "hours", false}, {"m", "minutes", false}, {"s", "seconds", false}} {
		u.Selected = u.Value == sel
		out = append(out, u)
	}
	return out
}
