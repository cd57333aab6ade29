package session

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phpserialize"
)

// login is one user's login in progress: the $USER and $SESSION objects
// complete_user_login() leaves, and the column values it changed.
type login struct {
	userID   int64
	username string
	user     *phpserialize.Object // $USER
	session  *phpserialize.Object // $SESSION
	now      time.Time
	ip       string
	// firstAccess is set when the user had none (firstaccess was 0).
	firstAccess bool
	// newUser: created in this transaction, with nothing of theirs yet.
	newUser   bool
	lastLogin string // the previous currentlogin, now lastlogin
}

// userRow is the user's row as get_complete_user_data() reads it: every
// column in table order, values as PHP strings, NULL as nil.
type userRow struct {
	cols []string
	vals []any
}

func (r userRow) get(name string) string {
	for i, c := range r.cols {
		if c == name {
			if s, ok := r.vals[i].(string); ok {
				return s
			}
			return ""
		}
	}
	return ""
}

func readUserRow(ctx context.Context, q database.Querier, userID int64) (userRow, error) {
	rows, err := q.Query(ctx, "SELECT * FROM {user} WHERE id = ?", userID)
	if err != nil {
		return userRow{}, fmt.Errorf("user %d: %w", userID, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return userRow{}, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return userRow{}, err
		}
		return userRow{}, fmt.Errorf("user %d: %w", userID, database.ErrNotFound)
	}
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return userRow{}, err
	}
	r := userRow{cols: cols, vals: make([]any, len(cols))}
	for i, b := range raw {
		if b != nil {
			r.vals[i] = string(b)
		}
	}
	return r, rows.Err()
}

// startLogin builds $USER and $SESSION for userID as get_complete_user_data()
// and complete_user_login() do, with the login times of "now" applied.
func (m *Manager) startLogin(ctx context.Context, q database.Querier, site *moodle.Site, userID int64, ip string, newUser bool) (*login, error) {
	row, err := readUserRow(ctx, q, userID)
	if errors.Is(err, database.ErrNotFound) {
		return nil, refuse("your Moodle account does not exist")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case row.get("deleted") != "0":
		return nil, refuse("your Moodle account has been deleted")
	case row.get("suspended") != "0":
		return nil, refuse("your Moodle account is suspended")
	case userID <= 0 || userID == site.Int("siteguest", -1):
		return nil, refuse("the guest account cannot be logged in this way")
	}
	now := m.now()
	l := &login{userID: userID, username: row.get("username"), now: now, ip: ip, user: phpserialize.StdClass(), session: phpserialize.StdClass(),
		newUser: newUser}
	for i, col := range row.cols {
		if col == "password" || col == "description" {
			continue // set_user() unsets both
		}
		l.user.Set(col, row.vals[i])
	}
	l.user.Set("lang", m.cleanLang(row.get("lang")))

	var accesses []moodle.CourseAccess
	var prefs []moodle.Preference
	if !newUser {
		var err error
		if accesses, prefs, err = moodle.UserAccessesAndPreferences(ctx, q, userID); err != nil {
			return nil, err
		}
	}
	last := phpserialize.NewArray()
	for _, a := range accesses {
		last.Set(a.CourseID, a.TimeAccess)
	}
	l.user.Set("lastcourseaccess", last)
	l.user.Set("currentcourseaccess", phpserialize.NewArray())
	if truthy(siteValue(m.cfg, site, "allowcohortthemes")) {
		theme, err := cohortTheme(ctx, q, userID)
		if err != nil {
			return nil, err
		}
		if theme != "" {
			l.user.Set("cohorttheme", theme)
		}
	}
	profile, err := m.profileFields(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	l.user.Set("profile", profile)
	sesskey, err := randomString(10)
	if err != nil {
		return nil, err
	}
	l.user.Set("sesskey", sesskey)
	pref := phpserialize.NewArray()
	for _, p := range prefs {
		pref.Set(p.Name, p.Value)
	}
	pref.Set("_lastloaded", now.Unix())
	l.user.Set("preference", pref)

	// update_user_login_times(): PHP assigns ints, so these become i: values.
	if row.get("firstaccess") == "0" {
		l.firstAccess = true
		l.user.Set("firstaccess", now.Unix())
	}
	l.lastLogin = row.get("currentlogin")
	l.user.Set("lastlogin", l.lastLogin)
	l.user.Set("currentlogin", now.Unix())
	l.user.Set("lastaccess", now.Unix())
	l.session.Set("userpreviousip", row.get("lastip"))
	l.user.Set("lastip", ip)
	// set_login_session_preferences().
	l.session.Set("justloggedin", true)
	return l, nil
}

// saveLoginTimes writes what update_user_login_times() writes.
func (l *login) saveLoginTimes(ctx context.Context, q database.Querier) error {
	t := l.now.Unix()
	query := "UPDATE {user} SET lastlogin = ?, currentlogin = ?, lastaccess = ?, lastip = ?"
	args := []any{l.lastLogin, t, t, l.ip}
	if l.firstAccess {
		query += ", firstaccess = ?"
		args = append(args, t)
	}
	if _, err := q.Exec(ctx, query+" WHERE id = ?", append(args, l.userID)...); err != nil {
		return fmt.Errorf("login times of user %d: %w", l.userID, err)
	}
	return nil
}

// markMessagesMigrated does what complete_user_login() does for a user
// without the core_message_migrate_data preference and without legacy
// messages: set it to 1. With legacy messages Moodle queues a migration
// task instead; the service leaves that to the next Moodle login.
func (l *login) markMessagesMigrated(ctx context.Context, q database.Querier, site *moodle.Site) error {
	pref, _ := l.user.Get("preference")
	prefs := pref.(*phpserialize.Array)
	v, had := prefs.Get("core_message_migrate_data")
	if had && truthy(fmt.Sprint(v)) {
		return nil
	}
	var legacy int
	var err error
	if !l.newUser { // a user created in this transaction has no messages
		err = q.Get(ctx, &legacy, "SELECT (SELECT COUNT(*) FROM {message} WHERE useridfrom = ? OR useridto = ?) + "+
			"(SELECT COUNT(*) FROM {message_read} WHERE useridfrom = ? OR useridto = ?)", l.userID, l.userID, l.userID, l.userID)
	}
	if database.IsMissingTable(err) {
		legacy, err = 0, nil // a later Moodle without the legacy tables
	}
	if err != nil || legacy > 0 {
		return err
	}
	set := moodle.SetUserPreference
	if !had {
		// The user's preferences were read above in this transaction
		// (under the launch's lock on the user's row): this one is new.
		// Should another login have added it meanwhile, the unique key
		// refuses the row and the transaction runs again.
		set = moodle.AddUserPreference
	}
	if err := set(ctx, q, site, l.userID, "core_message_migrate_data", "1", l.now); err != nil {
		return err
	}
	prefs.Set("core_message_migrate_data", "1")
	return nil
}

// event is the \core\event\user_loggedin record complete_user_login()
// triggers.
func (l *login) event(system moodle.Context) moodle.Event {
	return moodle.Event{
		Name: `\core\event\user_loggedin`, Component: "core", Action: "loggedin", Target: "user",
		ObjectTable: "user", ObjectID: l.userID, CRUD: "r", EduLevel: moodle.LevelOther, Context: system,
		UserID: l.userID, Other: moodle.Fields{{Key: "username", Value: l.username}, {Key: "extrauserinfo", Value: []any{}}},
		TimeCreated: l.now.Unix(), Origin: "web", IP: l.ip,
	}
}

// data is the session as PHP's php serialize handler writes it.
func (l *login) data() ([]byte, error) {
	return phpserialize.MarshalSession([]phpserialize.Entry{{Key: "USER", Value: l.user}, {Key: "SESSION", Value: l.session}})
}

var safeDir = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// cleanLang is clean_param(PARAM_LANG): a language pack that is not
// installed becomes "". Packs other than en live in <dataroot>/lang.
func (m *Manager) cleanLang(lang string) string {
	if lang == "en" {
		return lang
	}
	if !safeDir.MatchString(lang) {
		return ""
	}
	if m.cfg.Moodle.DataRoot == "" {
		return lang // cannot tell; Moodle checks again when it uses it
	}
	if _, err := os.Stat(filepath.Join(m.cfg.Moodle.DataRoot, "lang", lang, "langconfig.php")); err != nil {
		return ""
	}
	return lang
}

// cohortTheme is cohort_get_user_cohort_theme(): the theme of the user's
// visible cohorts when they all agree.
func cohortTheme(ctx context.Context, q database.Querier, userID int64) (string, error) {
	var themes []sql.NullString
	err := q.Select(ctx, &themes, "SELECT c.theme FROM {cohort} c JOIN {cohort_members} cm ON c.id = cm.cohortid "+
		"WHERE cm.userid = ? AND c.visible = 1 ORDER BY c.id", userID)
	if err != nil {
		return "", fmt.Errorf("cohorts of user %d: %w", userID, err)
	}
	theme := ""
	for _, t := range themes {
		if t.String == "" {
			continue
		}
		if theme != "" && theme != t.String {
			return "", nil
		}
		theme = t.String
	}
	return theme, nil
}

// profileField is a custom profile field's definition.
type profileField struct {
	ID        int64          `db:"id"`
	Shortname string         `db:"shortname"`
	Datatype  string         `db:"datatype"`
	Default   sql.NullString `db:"defaultdata"`
}

// profileFieldCache keeps the site's custom profile fields, in the order
// profile_user_record() walks them (category, then field order), for ttl:
// they are site settings, the same for every login.
type profileFieldCache struct {
	ttl time.Duration

	mu     sync.Mutex
	fields []profileField
	read   time.Time
}

func (c *profileFieldCache) get(ctx context.Context, q database.Querier) ([]profileField, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.read.IsZero() && time.Since(c.read) < c.ttl {
		return c.fields, nil
	}
	var fields []profileField
	err := q.Select(ctx, &fields, `SELECT uif.id, uif.shortname, uif.datatype, uif.defaultdata
		FROM {user_info_field} uif
		LEFT JOIN {user_info_category} uic ON uif.categoryid = uic.id
		ORDER BY uic.sortorder ASC, uif.sortorder ASC, uif.id ASC`)
	if err != nil {
		return nil, fmt.Errorf("custom profile fields: %w", err)
	}
	c.fields, c.read = fields, time.Now()
	return fields, nil
}

// profileFields is profile_user_record(): each custom field's value for
// the user, or its default, in category and field order; textarea fields
// stay out of $USER. A site without custom fields costs no query.
func (m *Manager) profileFields(ctx context.Context, q database.Querier, userID int64) (*phpserialize.Array, error) {
	profile := phpserialize.NewArray()
	fields, err := m.fields.get(ctx, q)
	if err != nil || len(fields) == 0 {
		return profile, err
	}
	var data []struct {
		FieldID int64  `db:"fieldid"`
		Data    string `db:"data"`
	}
	if err := q.Select(ctx, &data, "SELECT fieldid, data FROM {user_info_data} WHERE userid = ?", userID); err != nil {
		return nil, fmt.Errorf("profile fields of user %d: %w", userID, err)
	}
	values := make(map[int64]string, len(data))
	for _, d := range data {
		values[d.FieldID] = d.Data
	}
	for _, f := range fields {
		if f.Datatype == "textarea" {
			continue
		}
		var v any
		if d, ok := values[f.ID]; ok {
			v = d
		} else if f.Default.Valid {
			v = f.Default.String
		}
		profile.Set(f.Shortname, v)
	}
	return profile, nil
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString is Moodle's random_string(): [A-Za-z0-9], here from
// crypto/rand without modulo bias.
func randomString(n int) (string, error) {
	out := make([]byte, 0, n)
	var b [1]byte
	for len(out) < n {
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		if int(b[0]) < 248 { // 248 = 4 × 62
			out = append(out, alnum[int(b[0])%62])
		}
	}
	return string(out), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
