package moodle

import (
	"context"
	"errors"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// User is the part of a user row the service reads.
type User struct {
	ID           int64  `db:"id"`
	Auth         string `db:"auth"`
	Confirmed    bool   `db:"confirmed"`
	Deleted      bool   `db:"deleted"`
	Suspended    bool   `db:"suspended"`
	MnetHostID   int64  `db:"mnethostid"`
	Username     string `db:"username"`
	Firstname    string `db:"firstname"`
	Lastname     string `db:"lastname"`
	Email        string `db:"email"`
	Institution  string `db:"institution"`
	City         string `db:"city"`
	Country      string `db:"country"`
	Lang         string `db:"lang"`
	Timezone     string `db:"timezone"`
	MailDisplay  int    `db:"maildisplay"`
	TimeCreated  int64  `db:"timecreated"`
	TimeModified int64  `db:"timemodified"`
}

const userColumns = `id, auth, confirmed, deleted, suspended, mnethostid, username, firstname, lastname, email,
	institution, city, country, lang, timezone, maildisplay, timecreated, timemodified`

// Lengths of the user columns a launch fills from outside data (install.xml).
const (
	MaxUsernameLen    = 100
	MaxFirstnameLen   = 100
	MaxLastnameLen    = 100
	MaxEmailLen       = 100
	MaxInstitutionLen = 255
	MaxCityLen        = 120
	MaxLangLen        = 30
	MaxTimezoneLen    = 100
)

// GetUser reads a user by id; database.ErrNotFound when missing.
func GetUser(ctx context.Context, q database.Querier, id int64) (*User, error) {
	var u User
	if err := q.Get(ctx, &u, "SELECT "+userColumns+" FROM {user} WHERE id = ?", id); err != nil {
		return nil, fmt.Errorf("user %d: %w", id, err)
	}
	return &u, nil
}

// LockUserByUsername reads a user by (username, mnethostid), Moodle's
// unique key, and holds the row's lock until the transaction ends, so that
// two requests for one user take turns. database.ErrNotFound when missing.
func LockUserByUsername(ctx context.Context, q database.Querier, username string, mnetHostID int64) (*User, error) {
	var u User
	err := q.Get(ctx, &u, "SELECT "+userColumns+" FROM {user} WHERE username = ? AND mnethostid = ? FOR UPDATE", username, mnetHostID)
	if err != nil {
		return nil, fmt.Errorf("user %q: %w", username, err)
	}
	return &u, nil
}

// RenameUser changes a username, as set_field('user', 'username', …) does
// (no event).
func RenameUser(ctx context.Context, q database.Querier, id int64, username string) error {
	if _, err := q.Exec(ctx, "UPDATE {user} SET username = ? WHERE id = ?", username, id); err != nil {
		return fmt.Errorf("renaming user %d: %w", id, err)
	}
	return nil
}

// Profile is the part of a user that a launch sets and may update.
type Profile struct {
	Firstname   string
	Lastname    string
	Email       string
	Institution string
	City        string
	Country     string
	Lang        string
	Timezone    string
	MailDisplay int
}

// Differs reports whether the user's stored profile differs from p (the
// plugin's local_ltiprovider_user_match, on the fields a launch sets).
func (u *User) Differs(p Profile) bool {
	return u.Firstname != p.Firstname || u.Lastname != p.Lastname || u.Email != p.Email ||
		u.Institution != p.Institution || u.City != p.City || u.Country != p.Country ||
		u.Lang != p.Lang || u.Timezone != p.Timezone || u.MailDisplay != p.MailDisplay
}

// NewUser is a user to create: what user_create_user() is given.
type NewUser struct {
	Auth       string
	Username   string
	MnetHostID int64
	Profile
	// CalendarType and the mail preferences are the defaults
	// user_create_user() applies: $CFG->calendartype and
	// $CFG->defaultpreference_*. NewUserDefaults reads them.
	CalendarType  string
	MailFormat    int
	MailDigest    int
	AutoSubscribe int
	TrackForums   int
}

// NewUserDefaults returns a NewUser carrying the site's defaults for the
// columns user_create_user() fills from config (core_user property
// defaults): calendar type, mail format, digest, display, forum
// subscription and tracking, language, city and country.
func NewUserDefaults(s *Site) NewUser {
	country := s.Get("country")
	if country == "0" {
		country = "" // $CFG->country defaults to 0, which is no country
	}
	lang := s.Get("lang")
	if lang == "" {
		lang = "en"
	}
	cal := s.Get("calendartype")
	if cal == "" {
		cal = "gregorian"
	}
	return NewUser{
		MnetHostID:    s.MnetLocalhostID(),
		CalendarType:  cal,
		MailFormat:    int(s.Int("defaultpreference_mailformat", 1)),
		MailDigest:    int(s.Int("defaultpreference_maildigest", 0)),
		AutoSubscribe: int(s.Int("defaultpreference_autosubscribe", 1)),
		TrackForums:   int(s.Int("defaultpreference_trackforums", 0)),
		Profile: Profile{
			MailDisplay: int(s.Int("defaultpreference_maildisplay", 2)),
			Lang:        lang,
			City:        s.Get("defaultcity"),
			Country:     country,
			Timezone:    "99",
		},
	}
}

// CreateUser writes what user_create_user($user, false) writes: the user
// row (every column Moodle's insert would give it, the password empty so
// that no password can log in, as auth_lti does), the user's context below
// the system context, and the user_created event.
func CreateUser(ctx context.Context, q database.Querier, a Actor, u NewUser) (*User, Context, error) {
	id, err := q.Insert(ctx, `INSERT INTO {user} (auth, confirmed, policyagreed, deleted, suspended, mnethostid, username,
		password, idnumber, firstname, lastname, email, emailstop, phone1, phone2, institution, department, address,
		city, country, lang, calendartype, theme, timezone, firstaccess, lastaccess, lastlogin, currentlogin, lastip,
		secret, picture, description, descriptionformat, mailformat, maildigest, maildisplay, autosubscribe,
		trackforums, timecreated, timemodified, trustbitmask)
		VALUES (?, 1, 0, 0, 0, ?, ?, '', '', ?, ?, ?, 0, '', '', ?, '', '', ?, ?, ?, ?, '', ?, 0, 0, 0, 0, '',
		'', 0, NULL, 1, ?, ?, ?, ?, ?, ?, ?, 0)`,
		u.Auth, u.MnetHostID, u.Username, u.Firstname, u.Lastname, u.Email, u.Institution,
		u.City, u.Country, u.Lang, u.CalendarType, u.Timezone,
		u.MailFormat, u.MailDigest, u.MailDisplay, u.AutoSubscribe, u.TrackForums, a.Time, a.Time)
	if err != nil {
		return nil, Context{}, fmt.Errorf("creating user %q: %w", u.Username, err)
	}
	sys, err := SystemContext(ctx, q)
	if err != nil {
		return nil, Context{}, err
	}
	uctx, err := CreateContext(ctx, q, ContextUser, id, sys)
	if err != nil {
		return nil, Context{}, err
	}
	err = a.Log.Write(ctx, q, a.event(Event{
		Name: `\core\event\user_created`, Component: "core", Action: "created", Target: "user",
		ObjectTable: "user", ObjectID: id, CRUD: "c", EduLevel: LevelOther,
		Context: uctx, RelatedUser: id,
	}))
	if err != nil {
		return nil, Context{}, err
	}
	user := &User{ID: id, Auth: u.Auth, Confirmed: true, MnetHostID: u.MnetHostID, Username: u.Username,
		Firstname: u.Firstname, Lastname: u.Lastname, Email: u.Email, Institution: u.Institution, City: u.City,
		Country: u.Country, Lang: u.Lang, Timezone: u.Timezone, MailDisplay: u.MailDisplay,
		TimeCreated: a.Time, TimeModified: a.Time}
	return user, uctx, nil
}

// UpdateProfile writes a new profile over a user's, with timemodified, and
// the user_updated event, as user_update_user() would. timecreated is
// left alone.
func UpdateProfile(ctx context.Context, q database.Querier, a Actor, u *User, p Profile) error {
	_, err := q.Exec(ctx, `UPDATE {user} SET firstname = ?, lastname = ?, email = ?, institution = ?, city = ?,
		country = ?, lang = ?, timezone = ?, maildisplay = ?, timemodified = ? WHERE id = ?`,
		p.Firstname, p.Lastname, p.Email, p.Institution, p.City, p.Country, p.Lang, p.Timezone, p.MailDisplay, a.Time, u.ID)
	if err != nil {
		return fmt.Errorf("updating user %d: %w", u.ID, err)
	}
	uctx, err := UserContext(ctx, q, u.ID)
	if err != nil {
		return err
	}
	if err := a.Log.Write(ctx, q, a.event(Event{
		Name: `\core\event\user_updated`, Component: "core", Action: "updated", Target: "user",
		ObjectTable: "user", ObjectID: u.ID, CRUD: "u", EduLevel: LevelOther,
		Context: uctx, RelatedUser: u.ID,
	})); err != nil {
		return err
	}
	u.Firstname, u.Lastname, u.Email, u.Institution, u.City = p.Firstname, p.Lastname, p.Email, p.Institution, p.City
	u.Country, u.Lang, u.Timezone, u.MailDisplay, u.TimeModified = p.Country, p.Lang, p.Timezone, p.MailDisplay, a.Time
	return nil
}

// UserContext returns a user's context, creating it when missing as
// context_user::instance() does.
func UserContext(ctx context.Context, q database.Querier, userID int64) (Context, error) {
	c, err := ContextOf(ctx, q, ContextUser, userID)
	if !errors.Is(err, database.ErrNotFound) {
		return c, err
	}
	sys, err := SystemContext(ctx, q)
	if err != nil {
		return Context{}, err
	}
	return CreateContext(ctx, q, ContextUser, userID, sys)
}
