package launch

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// Users of plugin versions that hashed only key:user_id are renamed to the
// current username and kept, as the plugin did.
func TestLegacyUsernameRenamed(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	sum := md5.Sum([]byte("consumer-A:77"))
	legacy := "ltiprovider" + hex.EncodeToString(sum[:])
	e.tdb.Exec(t, `INSERT INTO {user} (auth, confirmed, mnethostid, username, firstname, lastname, email, timecreated, timemodified)
		VALUES ('nologin', 1, 1, ?, 'Old', 'User', 'old@lms.example', 1, 1)`, legacy)
	id := e.row("SELECT id FROM {user} WHERE username = ?", legacy)["id"]
	// The plugin recorded the consumer key of the user's launches; only that
	// key adopts the account (TestLegacyUserNotAdoptedByAnotherKey).
	e.tdb.Exec(t, `INSERT INTO {local_ltiprovider_user} (userid, toolid, serviceurl, sourceid, consumerkey, consumersecret,
		lastgrade, lastsync, lastaccess) VALUES (?, ?, '', '', 'consumer-A', '', 0, 0, 1)`, id, tool.ID)
	e.wantRedirect(e.launch(tool, launchForm("77")), "/course/view.php?id=3")
	if got := e.userID("consumer-A", "77"); got != id {
		t.Fatalf("user %s, want the legacy user %s renamed", got, id)
	}
	if n := e.tdb.Count(t, "user", "username = ?", legacy); n != 0 {
		t.Error("legacy username still there")
	}
	// The user had no context (the plugin wrote rows without one): the
	// profile update created it.
	e.row("SELECT id FROM {context} WHERE contextlevel = 30 AND instanceid = ?", id)
}

// Where the plugin's fallbacks would leave the first name, last name or
// email empty (which sends Moodle users to their profile page), something
// better is used; the tool's defaults fill the rest.
func TestProfileFallbacks(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool(func(t *store.Tool) {
		t.City, t.Country, t.Institution, t.Timezone, t.Lang, t.MailDisplay = "Lyon", "FR", "Uni", "Europe/Paris", "", 0
	})
	f := launchForm("55", "lis_person_name_given", "", "lis_person_name_family", "", "context_id", "",
		"lis_person_contact_email_primary", "not an email", "launch_presentation_locale", "en-GB")
	e.wantRedirect(e.launch(tool, f), "/course/view.php?id=3")
	sum := md5.Sum([]byte("55"))
	wantFields(t, "user", e.row("SELECT * FROM {user} WHERE username = ?", username("consumer-A", "55")), map[string]any{
		"firstname": "55", "lastname": "consumer-A", "email": hex.EncodeToString(sum[:]) + "@ltiuser.com",
		"city": "Lyon", "country": "FR", "institution": "Uni", "timezone": "Europe/Paris", "lang": "en", "maildisplay": 0})
	// The Sakai field wins, as in the plugin; long names are cut to the
	// column's 100 characters.
	long := strings.Repeat("é", 150)
	e.wantRedirect(e.launch(tool, launchForm("56", "lis_person_contact_emailprimary", "sakai@lms.example",
		"lis_person_name_given", long, "lis_person_name_family", "")), "/course/view.php?id=3")
	wantFields(t, "user", e.row("SELECT * FROM {user} WHERE username = ?", username("consumer-A", "56")), map[string]any{
		"email": "sakai@lms.example", "firstname": strings.Repeat("é", 100), "lastname": "ctx-9"})
}

// An existing enrolment is left alone, but one that no longer gives access
// is not treated as access: the user is told, unless another enrolment
// lets them in. A course without a usable manual instance is an error for
// the user, not silence.
func TestExistingAndImpossibleEnrolments(t *testing.T) {
	e := newEnv(t)
	ret := "https://lms.example/mod/lti/return.php"
	tool := e.courseTool()
	e.wantRedirect(e.launch(tool, launchForm("1")), "/course/view.php?id=3")
	uid := e.userID("consumer-A", "1")
	e.tdb.Exec(t, "UPDATE {user_enrolments} SET status = 1 WHERE userid = ?", uid)
	e.wantConsumerError(e.launch(tool, launchForm("1")), ret, "suspended")
	// A self enrolment (enabled) lets them in; the manual one stays suspended.
	e.tdb.Exec(t, "UPDATE {enrol} SET status = 0 WHERE id = 6")
	e.tdb.Exec(t, "INSERT INTO {user_enrolments} (status, enrolid, userid, timestart, timeend, timecreated, timemodified) VALUES (0, 6, ?, 0, 0, 1, 1)", uid)
	e.wantRedirect(e.launch(tool, launchForm("1")), "/course/view.php?id=3")
	wantFields(t, "manual enrolment", e.row("SELECT status FROM {user_enrolments} WHERE userid = ? AND enrolid = 4", uid), map[string]any{"status": 1})

	// The manual instance disabled: new users are told.
	e.tdb.Exec(t, "UPDATE {enrol} SET status = 1 WHERE id = 4")
	e.wantConsumerError(e.launch(tool, launchForm("2")), ret, "manual enrolment method is missing or disabled")
	e.tdb.Exec(t, "UPDATE {enrol} SET status = 0 WHERE id = 4")
	// The manual plugin disabled on the site: the same.
	e.tdb.Exec(t, "UPDATE {config} SET value = 'guest,self' WHERE name = 'enrol_plugins_enabled'")
	e.wantConsumerError(e.launch(tool, launchForm("2")), ret, "manual enrolment method is missing or disabled")
	if n := e.tdb.Count(t, "user", "username = ?", username("consumer-A", "2")); n != 0 {
		t.Error("a refused user was created")
	}
	// enrollearn off: no enrolment, the user meets Moodle's enrolment page.
	noEnrol := e.courseTool(func(t *store.Tool) { t.EnrolLearn = false })
	e.wantRedirect(e.launch(noEnrol, launchForm("3")), "/course/view.php?id=3")
	if n := e.tdb.Count(t, "user_enrolments", "userid = ?", e.userID("consumer-A", "3")); n != 0 {
		t.Error("enrolled with enrollearn off")
	}
}

// A base64-encoded launch (custom_lti_message_encoded_base64=1) is
// decoded, as the plugin did, for tool resolution and provisioning.
func TestBase64EncodedLaunch(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	b64 := encodeB64
	f := launchForm("ignored")
	for k, vs := range f {
		switch k {
		case "lti_version", "lti_message_type", "oauth_consumer_key", "tool_consumer_instance_guid":
		default:
			f.Set(k, b64(vs[0]))
		}
	}
	f.Set("user_id", b64("900"))
	f.Set("resource_link_id", b64("PROV-PAGE"))
	f.Set("context_id", b64("PROV1"))
	f.Set("custom_lti_message_encoded_base64", "1")
	e.wantRedirect(e.post("", e.signed(e.launchURL(""), "consumer-A", tool.Secret, f)), "/mod/page/view.php?id=7")
	wantFields(t, "user", e.row("SELECT * FROM {user} WHERE username = ?", username("consumer-A", "900")),
		map[string]any{"firstname": "Givenignored"})
	f.Set("user_id", "%%%")
	resp := e.post("", e.signed(e.launchURL(""), "consumer-A", tool.Secret, f))
	e.wantConsumerError(resp, "https://lms.example/mod/lti/return.php", "could not be decoded")
}
