package session_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phpserialize"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/phptest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
)

// S is serialize() of a string.
func S(s string) string { return "s:" + strconv.Itoa(len(s)) + `:"` + s + `";` }

// I is serialize() of an int.
func I(n int64) string { return "i:" + strconv.FormatInt(n, 10) + ";" }

// wantStudent1 is, byte for byte, the session complete_user_login() leaves
// for the fixture's student1 (id 3) logged in at now from clientIP, with
// the given sesskey: every user column but password and description, in
// table order, as strings; login times as ints; then the arrays, sesskey
// and preferences; SESSION with what login sets.
func wantStudent1(sesskey string) string {
	t := now.Unix()
	props := []string{
		"id", S("3"), "auth", S("manual"), "confirmed", S("1"), "policyagreed", S("0"), "deleted", S("0"),
		"suspended", S("0"), "mnethostid", S("1"), "username", S("student1"), "idnumber", S(""),
		"firstname", S("Stu"), "lastname", S("Dent"), "email", S("s1@example.com"), "emailstop", S("0"),
		"phone1", S(""), "phone2", S(""), "institution", S(""), "department", S(""), "address", S(""),
		"city", S(""), "country", S(""), "lang", S("en"), "calendartype", S("gregorian"), "theme", S(""),
		"timezone", S("99"), "firstaccess", I(t), "lastaccess", I(t), "lastlogin", S("0"), "currentlogin", I(t),
		"lastip", S(clientIP), "secret", S(""), "picture", S("0"), "descriptionformat", S("1"),
		"mailformat", S("1"), "maildigest", S("0"), "maildisplay", S("2"), "autosubscribe", S("1"),
		"trackforums", S("0"), "timecreated", S("1795754319"), "timemodified", S("1795754319"),
		"trustbitmask", S("0"), "imagealt", "N;", "lastnamephonetic", S("小林"), "firstnamephonetic", S("Jakub"),
		"middlename", S("娜"), "alternatename", S("Sophia"), "moodlenetprofile", "N;",
		"lastcourseaccess", "a:0:{}", "currentcourseaccess", "a:0:{}", "profile", "a:0:{}", "sesskey", S(sesskey),
		"preference", "a:2:{" + S("_lastloaded") + I(t) + S("core_message_migrate_data") + S("1") + "}",
	}
	var b strings.Builder
	b.WriteString(`USER|O:8:"stdClass":` + strconv.Itoa(len(props)/2) + ":{")
	for i := 0; i < len(props); i += 2 {
		b.WriteString(S(props[i]) + props[i+1])
	}
	b.WriteString(`}SESSION|O:8:"stdClass":2:{` + S("userpreviousip") + S("0.0.0.0") + S("justloggedin") + "b:1;}")
	return b.String()
}

// sesskeyOf reads USER->sesskey from session data.
func sesskeyOf(t *testing.T, data []byte) string {
	t.Helper()
	vars, err := phpserialize.UnmarshalSession(data)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := vars[0].Value.(*phpserialize.Object).Get("sesskey")
	s, _ := k.(string)
	if len(s) != 10 || strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Fatalf("sesskey %q is not 10 characters of [A-Za-z0-9]", s)
	}
	return s
}

// phpChecksStudent1 makes PHP decode session data with its own session
// decoder and check the values Moodle relies on, with their PHP types.
func phpChecksStudent1(t *testing.T, data []byte) {
	t.Helper()
	out := phptest.Run(t, `
		session_start(['use_cookies' => 0, 'save_handler' => 'files', 'save_path' => sys_get_temp_dir()]);
		if (!session_decode(stream_get_contents(STDIN))) { fwrite(STDERR, "session_decode failed"); exit(1); }
		$u = $_SESSION['USER']; $s = $_SESSION['SESSION']; $now = `+strconv.FormatInt(now.Unix(), 10)+`;
		$checks = [
			'USER is a stdClass' => $u instanceof stdClass, 'SESSION is a stdClass' => $s instanceof stdClass,
			'id is the string "3"' => $u->id === "3", 'username' => $u->username === "student1",
			'no password' => !property_exists($u, 'password'), 'no description' => !property_exists($u, 'description'),
			'currentlogin int' => $u->currentlogin === $now, 'lastaccess int' => $u->lastaccess === $now,
			'firstaccess int' => $u->firstaccess === $now, 'lastlogin string' => $u->lastlogin === "0",
			'lastip' => $u->lastip === "`+clientIP+`", 'imagealt null' => $u->imagealt === null,
			'mnethostid' => $u->mnethostid === "1", 'firstnamephonetic' => $u->firstnamephonetic === "Jakub",
			'lastcourseaccess' => $u->lastcourseaccess === [], 'currentcourseaccess' => $u->currentcourseaccess === [],
			'profile' => $u->profile === [], 'sesskey' => preg_match('/^[A-Za-z0-9]{10}$/', $u->sesskey) === 1,
			'preferences' => $u->preference === ['_lastloaded' => $now, 'core_message_migrate_data' => "1"],
			'justloggedin' => $s->justloggedin === true, 'userpreviousip' => $s->userpreviousip === "0.0.0.0",
			'isloggedin()' => !empty($u->id),
		];
		foreach ($checks as $what => $ok) { if (!$ok) echo "FAILED: $what\n"; }
		echo count(get_object_vars($u)), " properties\n";
		session_abort();`, data)
	if string(out) != "51 properties\n" {
		t.Errorf("PHP's view of the session:\n%s", out)
	}
}

// checkLoginTimes checks the {user} columns update_user_login_times()
// writes, the user_loggedin event and the preference complete_user_login()
// sets.
func (e *env) checkLoginSideEffects(t *testing.T) {
	t.Helper()
	ts := strconv.FormatInt(now.Unix(), 10)
	u := e.tdb.Rows(t, "SELECT firstaccess, lastaccess, lastlogin, currentlogin, lastip, timemodified FROM {user} WHERE id = 3")[0]
	want := map[string]any{"firstaccess": ts, "lastaccess": ts, "lastlogin": "0", "currentlogin": ts, "lastip": clientIP, "timemodified": "1795754319"}
	for k, v := range want {
		if u[k] != v {
			t.Errorf("user.%s = %v, want %v", k, u[k], v)
		}
	}
	logs := e.tdb.Rows(t, "SELECT eventname, component, action, target, objecttable, objectid, crud, edulevel, contextid, contextlevel, "+
		"contextinstanceid, userid, courseid, relateduserid, anonymous, other, timecreated, origin, ip, realuserid "+
		"FROM {logstore_standard_log} WHERE eventname = ?", `\core\event\user_loggedin`)
	wantLog := map[string]any{"eventname": `\core\event\user_loggedin`, "component": "core", "action": "loggedin", "target": "user",
		"objecttable": "user", "objectid": "3", "crud": "r", "edulevel": "0", "contextid": "1", "contextlevel": "10",
		"contextinstanceid": "0", "userid": "3", "courseid": "0", "relateduserid": nil, "anonymous": "0",
		"other": `{"username":"student1","extrauserinfo":[]}`, "timecreated": ts, "origin": "web", "ip": clientIP, "realuserid": nil}
	if len(logs) != 1 {
		t.Fatalf("%d user_loggedin rows", len(logs))
	}
	for k, v := range wantLog {
		if logs[0][k] != v {
			t.Errorf("log.%s = %v, want %v", k, logs[0][k], v)
		}
	}
	prefs := e.tdb.Rows(t, "SELECT value FROM {user_preferences} WHERE userid = 3 AND name = 'core_message_migrate_data'")
	if len(prefs) != 1 || prefs[0]["value"] != "1" {
		t.Errorf("core_message_migrate_data: %v", prefs)
	}
	flags := e.tdb.Rows(t, "SELECT value, expiry, timemodified FROM {cache_flags} WHERE flagtype = 'userpreferenceschanged' AND name = '3'")
	if len(flags) != 1 || flags[0]["value"] != "1" || flags[0]["expiry"] != strconv.FormatInt(now.Unix()+28800, 10) || flags[0]["timemodified"] != ts {
		t.Errorf("userpreferenceschanged flag: %v", flags)
	}
}

func (e *env) checkSessionRow(t *testing.T, sid string, sessdata any) {
	t.Helper()
	rows := e.tdb.Rows(t, "SELECT state, sid, userid, sessdata, timecreated, timemodified, firstip, lastip FROM {sessions}")
	ts := strconv.FormatInt(now.Unix(), 10)
	want := map[string]any{"state": "0", "sid": sid, "userid": "3", "sessdata": sessdata, "timecreated": ts, "timemodified": ts,
		"firstip": clientIP, "lastip": clientIP}
	if len(rows) != 1 {
		t.Fatalf("%d sessions rows: %v", len(rows), rows)
	}
	for k, v := range want {
		if rows[0][k] != v {
			t.Errorf("sessions.%s = %v, want %v", k, rows[0][k], v)
		}
	}
}

func checkSID(t *testing.T, sid string) {
	t.Helper()
	if len(sid) != 26 || strings.Trim(sid, "0123456789abcdefghijklmnopqrstuv") != "" {
		t.Errorf("sid %q is not 26 characters of PHP's [0-9a-v]", sid)
	}
}

func TestDatabaseStrategyWritesTheRowMoodleWould(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Session.HandlerClass = `\core\session\database` })
	h := e.mustLogin(t, 3, "")
	checkSID(t, h.SID)
	if h.Strategy != session.Database || h.Redirect != "https://moodle.example/course/view.php?id=3" {
		t.Errorf("handoff %+v", h)
	}
	rows := e.tdb.Rows(t, "SELECT sessdata FROM {sessions}")
	if len(rows) != 1 || rows[0]["sessdata"] == nil {
		t.Fatalf("rows %v", rows)
	}
	data, err := base64.StdEncoding.DecodeString(rows[0]["sessdata"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if want := wantStudent1(sesskeyOf(t, data)); string(data) != want {
		t.Errorf("session data:\n got %s\nwant %s", data, want)
	}
	e.checkSessionRow(t, h.SID, base64.StdEncoding.EncodeToString(data))
	e.checkLoginSideEffects(t)
	phpChecksStudent1(t, data)
	if len(h.Cookies) != 1 || h.Cookies[0].String() != "MoodleSession="+h.SID+"; Path=/; HttpOnly; Secure; SameSite=None" {
		t.Errorf("cookies %v", h.Cookies)
	}
}

func TestFileStrategyWritesFileAndRow(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dirMode  os.FileMode
		adjust   func(*config.Config)
		wantMode os.FileMode
		wantUID  int
	}{
		{"private folder", 0o700, nil, 0o600, 33},
		{"group-writable folder", 0o2770, nil, 0o660, 33},
		{"configured mode", 0o700, func(c *config.Config) { c.Session.FileMode = "0640" }, 0o640, 33},
		{"configured owner", 0o700, func(c *config.Config) { c.Session.FileOwner = "0" }, 0o600, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.adjust)
			if os.Geteuid() != 0 {
				t.Skip("giving files to www-data needs root")
			}
			if err := os.Chmod(e.sessions, tc.dirMode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(e.sessions, 33, 33); err != nil { // www-data, as a Debian web server
				t.Fatal(err)
			}
			h := e.mustLogin(t, 3, "")
			checkSID(t, h.SID)
			path := filepath.Join(e.sessions, "sess_"+h.SID)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := wantStudent1(sesskeyOf(t, data)); string(data) != want {
				t.Errorf("file content:\n got %s\nwant %s", data, want)
			}
			fi, _ := os.Stat(path)
			st := fi.Sys().(*syscall.Stat_t)
			if fi.Mode().Perm() != tc.wantMode || int(st.Uid) != tc.wantUID || st.Gid != 33 {
				t.Errorf("file mode %04o uid %d gid %d; want %04o uid %d gid 33", fi.Mode().Perm(), st.Uid, st.Gid, tc.wantMode, tc.wantUID)
			}
			entries, _ := os.ReadDir(e.sessions)
			if len(entries) != 1 {
				t.Errorf("the folder holds %d entries, want only the session file", len(entries))
			}
			e.checkSessionRow(t, h.SID, nil)
			e.checkLoginSideEffects(t)
			if tc.name == "private folder" {
				// PHP's own files handler, as Moodle configures it, opens the
				// session by its id and finds the user.
				out := phptest.Run(t, `session_save_path(getenv('DIR')); ini_set('session.save_handler', 'files');
					ini_set('session.serialize_handler', 'php'); ini_set('session.use_strict_mode', '0');
					session_id(getenv('SID')); session_start(['use_cookies' => 0]);
					echo $_SESSION['USER']->username, ' ', $_SESSION['USER']->id, ' ', var_export($_SESSION['SESSION']->justloggedin, true);
					session_abort();`, nil, "SID="+h.SID, "DIR="+e.sessions)
				if string(out) != "student1 3 true" {
					t.Errorf("PHP's files handler read %q", out)
				}
			}
		})
	}
}

func TestRefusedUsersChangeNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup string
		user  int64
	}{
		{"suspended", "UPDATE {user} SET suspended = 1 WHERE id = 3", 3},
		{"deleted", "UPDATE {user} SET deleted = 1 WHERE id = 3", 3},
		{"guest", "", 1},
		{"missing", "", 999},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if tc.setup != "" {
				e.tdb.Exec(t, tc.setup)
			}
			before := e.tdb.Snapshot(t)
			_, err := e.login(t, tc.user, "")
			if !errors.Is(err, session.ErrRefused) {
				t.Fatalf("err = %v, want ErrRefused", err)
			}
			e.tdb.AssertUnchanged(t, before)
			if entries, _ := os.ReadDir(e.sessions); len(entries) != 0 {
				t.Errorf("files left: %v", entries)
			}
		})
	}
}

// A launch that fails after the login leaves no session anywhere.
func TestRollbackRemovesTheSession(t *testing.T) {
	e := newEnv(t, nil)
	userBefore := e.tdb.Rows(t, "SELECT * FROM {user} WHERE id = 3")
	err := e.db.WithTx(context.Background(), func(tx *database.Tx) error {
		if _, err := e.mgr.Login(context.Background(), tx, session.LoginRequest{UserID: 3,
			Dest: "https://moodle.example/", ClientIP: clientIP, Browser: browser("")}); err != nil {
			return err
		}
		if entries, _ := os.ReadDir(e.sessions); len(entries) != 1 {
			t.Errorf("before the rollback the folder holds %d files, want 1", len(entries))
		}
		return errors.New("the launch failed later")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if entries, _ := os.ReadDir(e.sessions); len(entries) != 0 {
		t.Errorf("files left after the rollback: %v", entries)
	}
	// InnoDB keeps the AUTO_INCREMENT of rolled-back inserts, so compare rows.
	for _, table := range []string{"sessions", "logstore_standard_log"} {
		if n := e.tdb.Count(t, table, "timecreated = ?", now.Unix()); n != 0 {
			t.Errorf("%s: %d rows written", table, n)
		}
	}
	if n := e.tdb.Count(t, "user_preferences", "userid = 3"); n != 0 {
		t.Errorf("%d preferences written", n)
	}
	if n := e.tdb.Count(t, "cache_flags", "flagtype = 'userpreferenceschanged'"); n != 0 {
		t.Errorf("%d cache flags written", n)
	}
	if after := e.tdb.Rows(t, "SELECT * FROM {user} WHERE id = 3"); after[0]["currentlogin"] != userBefore[0]["currentlogin"] || after[0]["lastip"] != userBefore[0]["lastip"] {
		t.Errorf("login times written: %v", after[0])
	}
}

// The browser's previous Moodle session (another user's) is destroyed:
// row and file, and only after the launch commits.
func TestPreviousSessionIsDestroyed(t *testing.T) {
	e := newEnv(t, nil)
	old := "oldsessionoftheteacher0001"
	e.tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, sessdata, timecreated, timemodified, firstip, lastip) VALUES (0, ?, 4, NULL, 1, 1, '', '')", old)
	oldFile := filepath.Join(e.sessions, "sess_"+old)
	if err := os.WriteFile(oldFile, []byte(`USER|O:8:"stdClass":1:{s:2:"id";s:1:"4";}`), 0o600); err != nil {
		t.Fatal(err)
	}
	h := e.mustLogin(t, 3, old)
	if h.SID == old {
		t.Fatal("the session id was not rotated")
	}
	if n := e.tdb.Count(t, "sessions", "sid = ?", old); n != 0 {
		t.Errorf("the old row is still there")
	}
	if _, err := os.Stat(oldFile); !os.IsNotExist(err) {
		t.Errorf("the old file is still there: %v", err)
	}
	if n := e.tdb.Count(t, "sessions", "sid = ? AND userid = 3", h.SID); n != 1 {
		t.Errorf("no new session")
	}
	// A cookie that is no PHP session id never reaches the file system.
	if _, err := e.login(t, 3, "../../etc/passwd"); err != nil {
		t.Fatal(err)
	}
}

// With limitconcurrentlogins = 2, the new session and the newest other
// stay, as apply_concurrent_login_limit() keeps them.
func TestConcurrentLoginLimit(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Session.HandlerClass = `\core\session\database` })
	e.tdb.Exec(t, "UPDATE {config} SET value = '2' WHERE name = 'limitconcurrentlogins'")
	for i, sid := range []string{"aaaaaaaaaaaaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaaaaaaaaaaaa3"} {
		e.tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, sessdata, timecreated, timemodified, firstip, lastip) VALUES (0, ?, 3, NULL, ?, ?, '', '')",
			sid, now.Unix()-100+int64(i), now.Unix()-100+int64(i))
	}
	e.tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, sessdata, timecreated, timemodified, firstip, lastip) VALUES (0, 'teachersession', 4, NULL, 1, 1, '', '')")
	h := e.mustLogin(t, 3, "")
	var got []string
	for _, r := range e.tdb.Rows(t, "SELECT sid FROM {sessions} ORDER BY sid") {
		got = append(got, r["sid"].(string))
	}
	want := []string{"aaaaaaaaaaaaaaaaaaaaaaaaa3", h.SID, "teachersession"}
	if strings.Join(got, ",") != strings.Join(sortedCopy(want), ",") {
		t.Errorf("sessions left %v, want %v", got, sortedCopy(want))
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

// The USER object carries course accesses, custom profile fields (values
// or defaults, textarea left out) and existing preferences as Moodle
// loads them, and PHP reads them with the right types.
func TestUserObjectCarriesMoodlesExtras(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Session.HandlerClass = `\core\session\database` })
	e.tdb.Exec(t, "INSERT INTO {user_lastaccess} (userid, courseid, timeaccess) VALUES (3, 3, 1767000000), (3, 4, 1767100000)")
	e.tdb.Exec(t, "INSERT INTO {user_info_category} (id, name, sortorder) VALUES (1, 'Other', 1)")
	e.tdb.Exec(t, `INSERT INTO {user_info_field} (id, shortname, name, datatype, categoryid, sortorder, defaultdata) VALUES
		(1, 'school', 'School', 'text', 1, 2, 'none'), (2, 'bio', 'Bio', 'textarea', 1, 3, ''), (3, 'level', 'Level', 'menu', 1, 1, 'A'),
		(4, '42', 'Numeric', 'text', 1, 4, NULL)`)
	e.tdb.Exec(t, "INSERT INTO {user_info_data} (userid, fieldid, data, dataformat) VALUES (3, 1, 'Lycée', 0), (3, 2, 'long text', 1)")
	e.tdb.Exec(t, "INSERT INTO {user_preferences} (userid, name, value) VALUES (3, 'core_message_migrate_data', '1'), (3, 'htmleditor', 'tiny')")
	h := e.mustLogin(t, 3, "")
	rows := e.tdb.Rows(t, "SELECT sessdata FROM {sessions} WHERE sid = ?", h.SID)
	data, _ := base64.StdEncoding.DecodeString(rows[0]["sessdata"].(string))
	out := phptest.Run(t, `
		session_start(['use_cookies' => 0, 'save_handler' => 'files', 'save_path' => sys_get_temp_dir()]);
		session_decode(stream_get_contents(STDIN)); $u = $_SESSION['USER'];
		var_export([$u->lastcourseaccess, $u->profile, $u->preference]); session_abort();`, data)
	want := `array (
  0 => 
  array (
    3 => '1767000000',
    4 => '1767100000',
  ),
  1 => 
  array (
    'level' => 'A',
    'school' => 'Lycée',
    42 => NULL,
  ),
  2 => 
  array (
    'core_message_migrate_data' => '1',
    'htmleditor' => 'tiny',
    '_lastloaded' => ` + strconv.FormatInt(now.Unix(), 10) + `,
  ),
)`
	if string(out) != want {
		t.Errorf("PHP sees:\n%s\nwant:\n%s", out, want)
	}
	// The preference was there: no second write, no cache flag.
	if n := e.tdb.Count(t, "cache_flags", "flagtype = 'userpreferenceschanged'"); n != 0 {
		t.Errorf("%d userpreferenceschanged flags", n)
	}
}

// A user created in the launch's transaction has no course accesses,
// preferences or messages: Login skips those reads (NewUser) and writes
// the same session as when it reads them.
func TestNewUserSessionAsIfRead(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	errUndo := errors.New("undo")
	sessionOf := func(newUser bool) string {
		var data []byte
		err := e.db.WithTx(ctx, func(tx *database.Tx) error {
			id, err := tx.Insert(ctx, `INSERT INTO {user} (id, auth, confirmed, mnethostid, username, firstname, lastname, email, timecreated, timemodified)
				VALUES (900, 'nologin', 1, 1, 'ltiproviderfresh', 'Fresh', 'User', 'fresh@example.edu', ?, ?)`, now.Unix(), now.Unix())
			if err != nil {
				return err
			}
			h, err := e.mgr.Login(ctx, tx, session.LoginRequest{UserID: id, Dest: e.cfg.Moodle.WWWRoot + "/course/view.php?id=3",
				ClientIP: clientIP, Browser: browser(""), NewUser: newUser})
			if err != nil {
				return err
			}
			if data, err = os.ReadFile(filepath.Join(e.sessions, "sess_"+h.SID)); err != nil {
				return err
			}
			return errUndo // the same user id next time
		})
		if !errors.Is(err, errUndo) {
			t.Fatal(err)
		}
		return strings.Replace(string(data), sesskeyOf(t, data), "SESSKEY", 1)
	}
	skipped, read := sessionOf(true), sessionOf(false)
	if skipped != read {
		t.Errorf("NewUser changed the session:\n%s\n%s", skipped, read)
	}
	if !strings.Contains(skipped, `s:25:"core_message_migrate_data";s:1:"1";`) {
		t.Errorf("messages not marked migrated: %s", skipped)
	}
}
