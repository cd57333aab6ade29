package provision

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Person is an LTI user as a consumer describes them. Only ConsumerKey and
// UserID identify them; the rest fills the profile.
type Person struct {
	// ConsumerKey is the oauth_consumer_key that verified the request:
	// never a key the request merely claims.
	ConsumerKey string
	UserID      string // user_id
	GivenName   string // lis_person_name_given
	FamilyName  string // lis_person_name_family
	Email       string // lis_person_contact_email_primary (or Sakai's emailprimary)
	ContextID   string // context_id, the plugin's fallback last name
	Locale      string // launch_presentation_locale
}

// Username is the plugin's username of an LTI user:
// "ltiprovider" + md5(key + "::" + key + ":" + user_id), so users created
// by the plugin are found again. Identity is the pair (consumer key,
// user_id), never an email address.
func Username(consumerKey, userID string) string {
	sum := md5.Sum([]byte(consumerKey + "::" + consumerKey + ":" + userID))
	return "ltiprovider" + hex.EncodeToString(sum[:])
}

// LegacyUsername is the username of plugin versions before the consumer
// key was part of the hash: "ltiprovider" + md5(key + ":" + user_id). The
// plugin renamed such users to Username on their next launch, and so does
// the service.
func LegacyUsername(consumerKey, userID string) string {
	sum := md5.Sum([]byte(consumerKey + ":" + userID))
	return "ltiprovider" + hex.EncodeToString(sum[:])
}

// UserResult says what User did.
type UserResult struct {
	User    *moodle.User
	Created bool // a new Moodle user
	Updated bool // the profile was overwritten from the launch
	Renamed bool // a legacy username was upgraded
}

// User finds the Moodle user of an LTI person, or creates it, and applies
// the profile update policy. It holds the user's row lock until the
// transaction ends, so concurrent launches of one user take turns (and
// two first launches end with one user: the second insert hits the unique
// username, and database.WithTx reruns it). Suspended, deleted and
// unconfirmed accounts are refused.
func User(ctx context.Context, q database.Querier, env Env, tool *store.Tool, p Person) (*UserResult, error) {
	if p.ConsumerKey == "" || p.UserID == "" {
		return nil, refuse("The launch does not identify its user (consumer key and user_id are required).")
	}
	mnet := env.Site.MnetLocalhostID()
	username := Username(p.ConsumerKey, p.UserID)
	res := &UserResult{}
	// Both usernames in one query: the plugin's, and the legacy one it
	// renamed from.
	found, err := moodle.LockUsersByUsername(ctx, q, mnet, username, LegacyUsername(p.ConsumerKey, p.UserID))
	if err != nil {
		return nil, err
	}
	u := found[0]
	if u == nil && found[1] != nil {
		// The legacy name hashes key + ":" + user_id, which two consumers
		// can share (key "https", user "//lms.example:42" against key
		// "https://lms.example", user "42"). Adopt the account only for the
		// consumer key the plugin recorded for it.
		ours, err := store.UserHasConsumerKey(ctx, q, found[1].ID, p.ConsumerKey)
		if err != nil {
			return nil, err
		}
		if ours {
			u = found[1]
		}
	}
	if u != nil && u == found[1] {
		if err := moodle.RenameUser(ctx, q, u.ID, username); err != nil {
			return nil, err
		}
		u.Username, res.Renamed = username, true
	}
	profile := ProfileOf(env, tool, p)
	switch {
	case u == nil:
		nu := moodle.NewUserDefaults(env.Site)
		nu.Auth = env.Settings.DefaultAuthMethod
		nu.Username = username
		nu.MnetHostID = mnet
		nu.Profile = profile
		created, _, err := moodle.CreateUser(ctx, q, env.Actor, nu)
		if err != nil {
			return nil, err
		}
		res.User, res.Created = created, true
		return res, nil
	}
	if err := CheckActive(u); err != nil {
		return nil, err
	}
	res.User = u
	if u.Differs(profile) && UpdatesProfile(env, tool) {
		if err := moodle.UpdateProfile(ctx, q, env.Actor, u, profile); err != nil {
			return nil, err
		}
		res.Updated = true
	}
	return res, nil
}

// CheckActive refuses a user Moodle would not let in: deleted, suspended,
// or not confirmed (CVE-2025-67848: suspended users logged in through LTI).
func CheckActive(u *moodle.User) error {
	switch {
	case u.Deleted:
		return refuse("Your account on this site has been deleted. Please contact the site administrator.")
	case u.Suspended:
		return refuse("Your account on this site is suspended. Please contact the site administrator.")
	case !u.Confirmed:
		return refuse("Your account on this site is not confirmed. Please contact the site administrator.")
	}
	return nil
}

// UpdatesProfile is the profile update policy: the site setting
// userprofileupdate (1 always, 0 never), or the tool's own setting when
// the site delegates (-1).
func UpdatesProfile(env Env, tool *store.Tool) bool {
	policy := env.Settings.UserProfileUpdate
	if policy == -1 {
		policy = tool.UserProfileUpdate
	}
	return policy == 1
}

// ProfileOf is the profile a launch gives its user (the plugin's
// local_ltiprovider_populate): names and email from the consumer, the rest
// from the tool's user defaults. Where the plugin's fallback would leave a
// name or the email empty, something better is used, because Moodle sends
// users with an empty first name, last name or email to their profile page
// instead of the course:
//
//   - first name: lis_person_name_given, else user_id;
//   - last name: lis_person_name_family, else context_id, else the
//     consumer key;
//   - email: the consumer's address if valid, else md5(user_id)@ltiuser.com;
//   - city and country: the tool's, else the site's defaults;
//   - language: the tool's, else launch_presentation_locale when that
//     language pack is installed, else the site's;
//   - timezone and email display: the tool's.
//
// Values are kept as sent (HTML included: Moodle escapes on output), cut to
// the column sizes.
func ProfileOf(env Env, tool *store.Tool, p Person) moodle.Profile {
	def := moodle.NewUserDefaults(env.Site)
	pr := moodle.Profile{
		Firstname:   firstNonEmpty(p.GivenName, p.UserID),
		Lastname:    firstNonEmpty(p.FamilyName, p.ContextID, p.ConsumerKey),
		Email:       moodle.CleanEmail(p.Email),
		Institution: cut(tool.Institution, moodle.MaxInstitutionLen),
		City:        cut(firstNonEmpty(tool.City, def.City), moodle.MaxCityLen),
		Country:     firstNonEmpty(tool.Country, def.Country),
		Lang:        tool.Lang,
		Timezone:    cut(firstNonEmpty(tool.Timezone, "99"), moodle.MaxTimezoneLen),
		MailDisplay: tool.MailDisplay,
	}
	pr.Firstname = cut(pr.Firstname, moodle.MaxFirstnameLen)
	pr.Lastname = cut(pr.Lastname, moodle.MaxLastnameLen)
	if pr.Email == "" {
		sum := md5.Sum([]byte(p.UserID))
		pr.Email = hex.EncodeToString(sum[:]) + "@ltiuser.com"
	}
	if pr.Lang == "" {
		pr.Lang = firstNonEmpty(moodle.InstalledLanguage(env.DataRoot, p.Locale), def.Lang)
	}
	if len(pr.Country) > 2 {
		pr.Country = ""
	}
	return pr
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// cut shortens s to at most n characters (MySQL counts characters).
func cut(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// String describes a person for logs, without personal data.
func (p Person) String() string {
	return fmt.Sprintf("LTI user %s", Username(p.ConsumerKey, p.UserID))
}
