package manage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

func strconvFormat(n int64) string { return strconv.FormatInt(n, 10) }

// UserDefaults are the person's own profile values the plugin's form used
// as defaults for new tools (city, country, timezone, lang, institution).
type UserDefaults struct {
	City, Country, Timezone, Lang, Institution string
}

// UserDefaultsOf reads a user's profile values for the form's defaults.
func UserDefaultsOf(ctx context.Context, q database.Querier, userID int64) (UserDefaults, error) {
	var u UserDefaults
	var row struct {
		City        string `db:"city"`
		Country     string `db:"country"`
		Timezone    string `db:"timezone"`
		Lang        string `db:"lang"`
		Institution string `db:"institution"`
	}
	err := q.Get(ctx, &row, "SELECT city, country, timezone, lang, institution FROM {user} WHERE id = ?", userID)
	if err != nil {
		return u, err
	}
	return UserDefaults(row), nil
}

// NewTool returns a tool for the whole course with the defaults of the
// plugin's form: editingteacher and student roles, a fresh secret, user
// defaults from the site ($CFG->defaultcity, $CFG->country, $CFG->lang)
// and then the person's own profile, as edit_form.php did.
func NewTool(ctx context.Context, q database.Querier, site *moodle.Site, ch *Choices, who *UserDefaults, now time.Time) (*store.Tool, error) {
	inst, err := roleOr(ctx, q, "editingteacher", 3)
	if err != nil {
		return nil, err
	}
	learn, err := roleOr(ctx, q, "student", 5)
	if err != nil {
		return nil, err
	}
	t := store.NewTool(ch.Course.ID, ch.CourseContext.ID, inst, learn, now.Unix())
	var u UserDefaults
	if who != nil {
		u = *who
	}
	t.City = firstNonEmpty(phpValue(site.Get("defaultcity")), u.City)
	t.Country = firstNonEmpty(phpValue(site.Get("country")), u.Country)
	t.Timezone = firstNonEmpty(u.Timezone, "99")
	t.Lang = firstNonEmpty(u.Lang, phpValue(site.Get("lang")), "en")
	// The form offered only assignable roles; a default the person may not
	// assign fell back to the list's first entry, as the browser showed it.
	t.CRoleInst = assignableOr(ch, t.CRoleInst)
	t.CRoleLearn = assignableOr(ch, t.CRoleLearn)
	t.ARoleInst.Int64 = assignableOr(ch, t.ARoleInst.Int64)
	t.ARoleLearn.Int64 = assignableOr(ch, t.ARoleLearn.Int64)
	t.Institution = u.Institution
	return t, nil
}

func roleOr(ctx context.Context, q database.Querier, shortname string, def int64) (int64, error) {
	id, err := moodle.RoleIDByShortname(ctx, q, shortname)
	if errors.Is(err, database.ErrNotFound) {
		return def, nil
	}
	return id, err
}

func assignableOr(ch *Choices, id int64) int64 {
	if len(ch.Roles) == 0 {
		return id
	}
	for _, r := range ch.Roles {
		if r.ID == id {
			return id
		}
	}
	return ch.Roles[0].ID
}

// phpValue is a config value as PHP's empty() sees it: "0" is unset.
func phpValue(v string) string {
	if v == "0" {
		return ""
	}
	return v
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// Save stores a validated tool: a new row, or every column of an existing
// one, with timemodified set to now.
func Save(ctx context.Context, q database.Querier, t *store.Tool, now time.Time) error {
	t.TimeModified = now.Unix()
	if !t.Encoding.Valid || t.Encoding.String == "" {
		t.Encoding = sql.NullString{String: "UTF-8", Valid: true}
	}
	if t.ID == 0 {
		if t.TimeCreated == 0 {
			t.TimeCreated = t.TimeModified
		}
		return store.InsertTool(ctx, q, t)
	}
	return store.UpdateTool(ctx, q, t)
}

// SetDisabled hides or shows a tool (edit.php's hide/show).
func SetDisabled(ctx context.Context, q database.Querier, id int64, disabled bool, now time.Time) error {
	res, err := q.Exec(ctx, "UPDATE {local_ltiprovider} SET disabled = ?, timemodified = ? WHERE id = ?", disabled, now.Unix(), id)
	if err != nil {
		return fmt.Errorf("tool %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := store.GetTool(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}

// RotateSecret gives a tool a fresh random secret and returns it.
func RotateSecret(ctx context.Context, q database.Querier, id int64, now time.Time) (string, error) {
	if _, err := store.GetTool(ctx, q, id); err != nil {
		return "", err
	}
	secret := store.NewSecret()
	if _, err := q.Exec(ctx, "UPDATE {local_ltiprovider} SET secret = ?, timemodified = ? WHERE id = ?", secret, now.Unix(), id); err != nil {
		return "", fmt.Errorf("tool %d: %w", id, err)
	}
	return secret, nil
}

// LaunchURL is a tool's launch URL, the plugin's tool.php?id=.
func LaunchURL(wwwroot string, id int64) string {
	return wwwroot + "/local/ltiprovider/tool.php?id=" + strconv.FormatInt(id, 10)
}
