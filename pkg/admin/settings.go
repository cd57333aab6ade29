package admin

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
)

type settingsBody struct {
	Fields []formField
	Errors []fieldError
	Saved  bool
	Action string
}

var settingLabels = map[string]string{
	"globalsharedsecret":           "Global Shared Secret",
	"userprofileupdate":            "User profile update",
	"defaultauthmethod":            "Default auth method",
	"fullnameformat":               "Fullname format for new created courses",
	"shortnameformat":              "Shortname format for new created courses",
	"idnumberformat":               "Idnumber format for new created courses",
	"duplicatecourseswithoutusers": "Duplicate courses without users",
	"rolesallowedcreatecontexts":   "Roles allowed to create contexts (from the remote site)",
	"rolesallowedcreateresources":  "Roles allowed to create resources (from the remote site)",
	"institutionadmininstructor":   "Institution administrators are instructors",
}

// settingsForm is settings.php: the plugin's site settings page, for site
// administrators.
func (h *Handler) settingsForm(w http.ResponseWriter, r *http.Request) {
	q, ok := h.begin(w, r)
	if !ok || !h.requireSiteAdmin(q) {
		return
	}
	ss, err := settings.Load(q.ctx, h.DB)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.showSettings(q, ss.Raw, nil, r.URL.Query().Get("saved") == "1", http.StatusOK)
}

func (h *Handler) requireSiteAdmin(q *request) bool {
	ok, err := h.siteAdmin(q)
	if err != nil {
		h.fail(q.w, q.r, err)
		return false
	}
	if !ok {
		h.forbidden(q.w, q.r)
	}
	return ok
}

// settingsPost validates and saves every setting in one transaction.
func (h *Handler) settingsPost(w http.ResponseWriter, r *http.Request) {
	q, ok := h.begin(w, r)
	if !ok || !h.requireSiteAdmin(q) || !h.requirePost(q) {
		return
	}
	values := map[string]string{}
	for _, d := range settings.Definitions {
		switch d.Name {
		case "rolesallowedcreatecontexts", "rolesallowedcreateresources":
			values[d.Name] = strings.Join(r.PostForm[d.Name], ",")
		case "duplicatecourseswithoutusers", "institutionadmininstructor":
			values[d.Name] = "0"
			if v := r.PostForm[d.Name]; len(v) > 0 && v[len(v)-1] == "1" {
				values[d.Name] = "1"
			}
		default:
			values[d.Name] = strings.TrimSpace(r.PostFormValue(d.Name))
		}
	}
	errs := map[string]string{}
	auths := enabledAuths(q)
	if !contains(auths, values["defaultauthmethod"]) {
		errs["defaultauthmethod"] = "is not an enabled authentication plugin"
	}
	// Check everything before writing anything, so a refused form leaves
	// the table exactly as it was.
	for _, d := range settings.Definitions {
		if d.Check == nil {
			continue
		}
		if err := d.Check(values[d.Name]); err != nil {
			if _, seen := errs[d.Name]; !seen {
				errs[d.Name] = err.Error()
			}
		}
	}
	if len(errs) > 0 {
		h.showSettings(q, values, errs, false, http.StatusUnprocessableEntity)
		return
	}
	err := h.DB.WithTx(q.ctx, func(tx *database.Tx) error {
		for _, d := range settings.Definitions {
			if err := settings.Set(q.ctx, tx, d.Name, values[d.Name]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if h.Log != nil {
		h.Log.InfoContext(q.ctx, "admin: saved site settings", "userid", q.id.UserID())
	}
	http.Redirect(w, r, h.url("settings.php", "saved", 1), http.StatusSeeOther)
}

func (h *Handler) showSettings(q *request, values, errs map[string]string, saved bool, status int) {
	body := &settingsBody{Saved: saved, Action: h.url("settings.php")}
	for _, d := range settings.Definitions {
		f := formField{Name: d.Name, Label: settingLabels[d.Name], Help: d.Help, Value: values[d.Name], Error: errs[d.Name]}
		switch d.Name {
		case "globalsharedsecret":
			f.Widget = "text"
		case "userprofileupdate":
			f.Widget = "select"
			for _, o := range [][2]string{{"-1", "Delegate"}, {"0", "Never"}, {"1", "Always"}} {
				f.Options = append(f.Options, option{o[0], o[1], o[0] == f.Value})
			}
		case "defaultauthmethod":
			f.Widget = "select"
			for _, a := range enabledAuths(q) {
				f.Options = append(f.Options, option{a, a, a == f.Value})
			}
		case "fullnameformat", "shortnameformat", "idnumberformat":
			f.Widget = "select"
			for i, n := range settings.NameFormats {
				v := strconv.Itoa(i)
				f.Options = append(f.Options, option{v, n, v == f.Value})
			}
		case "duplicatecourseswithoutusers", "institutionadmininstructor":
			f.Widget, f.Checked = "checkbox", f.Value == "1"
		case "rolesallowedcreatecontexts", "rolesallowedcreateresources":
			f.Widget = "checkboxes"
			chosen := settings.SplitList(f.Value)
			for _, role := range settings.LTIRoles {
				f.Options = append(f.Options, option{role, role, containsFold(chosen, role)})
			}
		}
		body.Fields = append(body.Fields, f)
	}
	for _, d := range settings.Definitions {
		if msg, ok := errs[d.Name]; ok {
			body.Errors = append(body.Errors, fieldError{Field: d.Name, Label: settingLabels[d.Name], Message: msg})
		}
	}
	h.render(q.w, q.r, status, "settings", &pageData{Title: "LTI Provider settings", User: q.id.User,
		Sesskey: h.token(q.id), Body: body})
}

// enabledAuths are the authentication plugins the site has enabled, the
// choices of defaultauthmethod (manual and nologin are always enabled).
func enabledAuths(q *request) []string {
	auths := []string{"manual", "nologin"}
	for _, a := range q.site.List("auth") {
		if !contains(auths, a) {
			auths = append(auths, a)
		}
	}
	return auths
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}
