package launch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// signRaw signs form with explicit oauth_* fields (a value "-" leaves the
// field out), whatever they say; the signature is HMAC-SHA1 of what is
// sent.
func signRaw(t testing.TB, publicURL, secret string, form url.Values, oauth map[string]string) url.Values {
	t.Helper()
	fields := map[string]string{"oauth_version": "1.0", "oauth_nonce": oauth1.NewNonce(),
		"oauth_timestamp": strconv.FormatInt(fixtureNow.Unix(), 10), "oauth_consumer_key": "consumer-A",
		"oauth_signature_method": "HMAC-SHA1"}
	for k, v := range oauth {
		fields[k] = v
	}
	out := url.Values{}
	for k, vs := range form {
		if k != "oauth_consumer_key" {
			out[k] = append([]string(nil), vs...)
		}
	}
	for k, v := range fields {
		if v != "-" {
			out.Set(k, v)
		}
	}
	base, err := oauth1.BaseString("POST", publicURL, oauth1.FromValues(out))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := oauth1.Sign(oauth1.HMACSHA1, base, secret)
	if err != nil {
		t.Fatal(err)
	}
	out.Set("oauth_signature", sig)
	return out
}

func idQuery(tool *store.Tool) string { return "?id=" + strconv.FormatInt(tool.ID, 10) }

// A1: a correct launch is accepted; the same bytes again are a replay.
func TestA1ReplayRejected(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	f := e.signed(e.launchURL(idQuery(tool)), "consumer-A", tool.Secret, launchForm("1"))
	e.wantRedirect(e.post(idQuery(tool), f), "/course/view.php?id=3")
	before := e.tdb.Snapshot(t)
	e.wantPage(e.post(idQuery(tool), f), http.StatusUnauthorized, "already used")
	e.tdb.AssertUnchanged(t, before)
}

// A2: one byte changed in any signed parameter, or a parameter added or
// removed: the signature fails, with a generic message, and nothing is
// written (not even the nonce).
func TestA2TamperedLaunchRejected(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	good := e.signed(e.launchURL(idQuery(tool)), "consumer-A", tool.Secret, launchForm("1"))
	before := e.tdb.Snapshot(t)
	tamper := map[string]func(url.Values){
		"user_id changed":       func(f url.Values) { f.Set("user_id", "2") },
		"roles changed":         func(f url.Values) { f.Set("roles", "Instructor") },
		"one byte of the nonce": func(f url.Values) { f.Set("oauth_nonce", f.Get("oauth_nonce")[1:]+"x") },
		"timestamp changed":     func(f url.Values) { f.Set("oauth_timestamp", strconv.FormatInt(fixtureNow.Unix()-1, 10)) },
		"parameter added":       func(f url.Values) { f.Set("custom_extra", "1") },
		"parameter removed":     func(f url.Values) { f.Del("context_title") },
		"value repeated":        func(f url.Values) { f.Add("roles", "Instructor") },
		"signature changed":     func(f url.Values) { f.Set("oauth_signature", "A"+f.Get("oauth_signature")[1:]) },
	}
	for name, change := range tamper {
		f := url.Values{}
		for k, v := range good {
			f[k] = append([]string(nil), v...)
		}
		change(f)
		t.Run(name, func(t *testing.T) {
			e.t = t
			e.wantPage(e.post(idQuery(tool), f), http.StatusUnauthorized, "signature does not match")
		})
	}
	e.t = t
	// The query string is signed too.
	e.wantPage(e.post(idQuery(tool)+"&x=1", good), http.StatusUnauthorized, "signature does not match")
	e.tdb.AssertUnchanged(t, before)
}

// A3: a bad signature's answer reveals neither the signature the service
// computed nor the base string, and does not reflect the one sent.
func TestA3NoSignatureOracle(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	f := e.signed(e.launchURL(idQuery(tool)), "consumer-A", tool.Secret, launchForm("1"))
	f.Set("roles", "Instructor") // the forger's change
	sent := "Zm9yZ2VkPHNjcmlwdD4="
	f.Set("oauth_signature", sent)
	base, _ := oauth1.BaseString("POST", e.launchURL(idQuery(tool)), oauth1.FromValues(f))
	want, _ := oauth1.Sign(oauth1.HMACSHA1, base, tool.Secret)
	resp := e.post(idQuery(tool), f)
	e.wantPage(resp, http.StatusUnauthorized, "signature does not match")
	var all strings.Builder
	all.WriteString(bodyOf(resp))
	for k, vs := range resp.Header {
		all.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
	}
	for what, secret := range map[string]string{"computed signature": want, "its URL encoding": url.QueryEscape(want),
		"base string": base, "encoded base string": oauth1.Encode(base), "start of the base string": "POST&https",
		"sent signature": sent, "secret": tool.Secret} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("the answer contains the %s", what)
		}
	}
}

// A4: the ims-blti backdoor (any key starting http:// with secret "secret")
// does not exist here.
func TestA4BackdoorKeyRejected(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	before := e.tdb.Snapshot(t)
	f := signRaw(t, e.launchURL(idQuery(tool)), "secret", launchForm("1"), map[string]string{"oauth_consumer_key": "http://x"})
	e.wantPage(e.post(idQuery(tool), f), http.StatusUnauthorized, "signature does not match")
	e.tdb.AssertUnchanged(t, before)
}

// A5: a launch signed with the tool's secret but another consumer's key
// is refused once the tool has bound its consumer's key; the other key's
// identity namespace stays untouched.
func TestA5UnboundConsumerKeyRejected(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	e.wantRedirect(e.launch(tool, launchForm("1")), "/course/view.php?id=3") // binds consumer-A
	users := e.tdb.Count(t, "user", "")
	for _, key := range []string{"consumer-B", "CONSUMER-A", "consumer-A "} {
		resp := e.launch(tool, launchForm("1", "oauth_consumer_key", key))
		e.wantConsumerError(resp, "https://lms.example/mod/lti/return.php", "consumer key is not accepted")
		if n := e.tdb.Count(t, "user", "username = ?", username(key, "1")); n != 0 {
			t.Errorf("key %q: user created", key)
		}
	}
	if e.tdb.Count(t, "user", "") != users || e.sessions.count() != 1 {
		t.Error("a refused key reached provisioning or the session handoff")
	}
	// An administrator may bind a second consumer's key.
	if err := store.BindConsumerKey(context.Background(), e.db, tool.ID, "consumer-B", 1); err != nil {
		t.Fatal(err)
	}
	e.wantRedirect(e.launch(tool, launchForm("1", "oauth_consumer_key", "consumer-B")), "/course/view.php?id=3")
}

// A6: timestamps out of the window (either way), malformed or missing are
// refused; ±30 s is fine.
func TestA6Timestamps(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	now := fixtureNow.Unix()
	for _, ts := range []string{strconv.FormatInt(now-3600, 10), strconv.FormatInt(now+3600, 10), "abc", "-1",
		"1795754326000", "-", "", "0", "1795754326.5", " 1795754326"} {
		f := signRaw(t, e.launchURL(idQuery(tool)), tool.Secret, launchForm("1"), map[string]string{"oauth_timestamp": ts})
		resp := e.post(idQuery(tool), f)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Location") != "" {
			t.Errorf("timestamp %q: %d %s", ts, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if n := e.tdb.Count(t, "user", "username = ?", username("consumer-A", "1")); n != 0 {
		t.Fatal("a refused timestamp created a user")
	}
	for _, d := range []int64{-30, 30} {
		f := signRaw(t, e.launchURL(idQuery(tool)), tool.Secret, launchForm("1"), map[string]string{"oauth_timestamp": strconv.FormatInt(now+d, 10)})
		e.wantRedirect(e.post(idQuery(tool), f), "/course/view.php?id=3")
	}
}

// A7: only HMAC-SHA1 (and HMAC-SHA256) and OAuth 1.0.
func TestA7SignatureMethodAndVersion(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	for name, oauth := range map[string]map[string]string{
		"no method":        {"oauth_signature_method": "-"},
		"PLAINTEXT":        {"oauth_signature_method": "PLAINTEXT"},
		"RSA-SHA1":         {"oauth_signature_method": "RSA-SHA1"},
		"lower-case hmac":  {"oauth_signature_method": "hmac-sha1"},
		"version 2.0":      {"oauth_version": "2.0"},
		"no nonce":         {"oauth_nonce": "-"},
		"no consumer key":  {"oauth_consumer_key": "-"},
		"empty version":    {"oauth_version": ""},
		"version 1.0a":     {"oauth_version": "1.0a"},
		"nonce too long":   {"oauth_nonce": strings.Repeat("n", 256)},
		"empty nonce":      {"oauth_nonce": ""},
		"empty signature":  {"oauth_signature_method": "HMAC-SHA1", "oauth_timestamp": "-"},
		"unknown hmac-md5": {"oauth_signature_method": "HMAC-MD5"},
	} {
		f := signRaw(t, e.launchURL(idQuery(tool)), tool.Secret, launchForm("1"), oauth)
		resp := e.post(idQuery(tool), f)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// PLAINTEXT's "signature" (the secret itself) is refused too.
	f := signRaw(t, e.launchURL(idQuery(tool)), tool.Secret, launchForm("1"), map[string]string{"oauth_signature_method": "PLAINTEXT"})
	f.Set("oauth_signature", tool.Secret+"&")
	e.wantPage(e.post(idQuery(tool), f), http.StatusUnauthorized, "HMAC-SHA1")
	// Without oauth_version (optional in RFC 5849) the launch is fine.
	f = signRaw(t, e.launchURL(idQuery(tool)), tool.Secret, launchForm("1"), map[string]string{"oauth_version": "-"})
	e.wantRedirect(e.post(idQuery(tool), f), "/course/view.php?id=3")
}

// A8: behind a TLS-terminating proxy, on a non-default port, with the site
// in a folder and an upper-case Host, a launch signed for Moodle's public
// URL verifies; one signed for the scheme an untrusted hop claims in
// X-Forwarded-Proto does not.
func TestA8BehindTLSProxy(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.WWWRoot = "https://Moodle.Example:8443/moodle" })
	// The proxy forwards the path with the site's folder, as StripSitePath
	// expects in production.
	router := web.NewRouter()
	e.h.Routes(router.PathPrefix(web.BasePath).Subrouter())
	proxied := newServer(t, web.Middleware(logging.Discard(), nil)(web.StripSitePath("/moodle", router)))
	tool := e.courseTool()
	q := idQuery(tool)
	send := func(f url.Values, proto string) *http.Response {
		req, _ := http.NewRequest("POST", proxied+"/moodle"+Path+q, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = "MOODLE.EXAMPLE:8443"
		if proto != "" {
			req.Header.Set("X-Forwarded-Proto", proto)
			req.Header.Set("X-Forwarded-Host", "evil.example")
		}
		return e.do(req)
	}
	good := e.signed("https://moodle.example:8443/moodle"+Path+q, "consumer-A", tool.Secret, launchForm("1"))
	resp := send(good, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://Moodle.Example:8443/moodle/course/view.php?id=3" {
		t.Fatalf("proxied launch: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), bodyOf(resp))
	}
	spoofed := e.signed("http://moodle.example:8443/moodle"+Path+q, "consumer-A", tool.Secret, launchForm("2"))
	e.wantPage(send(spoofed, "http"), http.StatusUnauthorized, "signature does not match")
	evilHost := e.signed("https://evil.example/moodle"+Path+q, "consumer-A", tool.Secret, launchForm("3"))
	e.wantPage(send(evilHost, "https"), http.StatusUnauthorized, "signature does not match")
}

// A9: base-string edge cases verify: spaces, a literal +, UTF-8 names and
// values, repeated names, a query string on the launch URL, empty values.
func TestA9BaseStringEdgeCases(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	f := launchForm("u 1+2", "lis_person_name_given", "Zoë 名前 + ünï", "lis_person_name_family", "O'Brien & Söhne",
		"custom_empty", "", "context_title", "a%20b+c=d&e")
	f.Set("custom_empty", "")
	f["custom_repeated"] = []string{"second", "first", "first"}
	f.Set("custom_名前", "値")
	q := idQuery(tool) + "&extra=a+b%20c&extra=%E2%82%AC&flag"
	e.wantRedirect(e.post(q, e.signed(e.launchURL(q), "consumer-A", tool.Secret, f)), "/course/view.php?id=3")
	wantFields(t, "user", e.row("SELECT * FROM {user} WHERE username = ?", username("consumer-A", "u 1+2")),
		map[string]any{"firstname": "Zoë 名前 + ünï", "lastname": "O'Brien & Söhne"})
}

// A10: an authentic launch with a bad message type or version, or without
// resource_link_id or user_id, goes back to its (validated) return URL
// with an escaped lti_errormsg; without a usable return URL the user gets
// a 400 page.
func TestA10InvalidLaunchReturnsToConsumer(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	ret := "https://lms.example/mod/lti/return.php?course=9"
	before := e.tdb.Snapshot(t)
	for field, tc := range map[string]struct{ value, msg string }{
		"resource_link_id": {"", "no resource_link_id"},
		"lti_version":      {"LTI-2p0", "lti_version must be LTI-1p0"},
		"lti_message_type": {"ContentItemSelectionRequest", "basic-lti-launch-request"},
		"user_id":          {"", "no user_id"},
	} {
		resp := e.launch(tool, launchForm("1", field, tc.value))
		e.wantConsumerError(resp, ret, tc.msg)
		if loc := resp.Header.Get("Location"); strings.ContainsAny(loc[len(ret):], " <>\"") {
			t.Errorf("unescaped message in %q", loc)
		}
		for _, badReturn := range []string{"", "javascript:alert(1)", "//evil.example/x"} {
			resp := e.launch(tool, launchForm("1", field, tc.value, "launch_presentation_return_url", badReturn))
			if badReturn == "" {
				f := launchForm("1", field, tc.value)
				f.Del("launch_presentation_return_url")
				resp = e.launch(tool, f)
			}
			e.wantPage(resp, http.StatusBadRequest, tc.msg)
		}
	}
	// Only nonces were written.
	e.tdb.Exec(t, "DELETE FROM {local_ltiprovider_nonce}")
	e.tdb.AssertUnchanged(t, before)
}

// A11: a launch that fails verification is never sent to its return URL
// (no open redirect before authentication).
func TestA11NoRedirectBeforeAuthentication(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	f := e.signed(e.launchURL(idQuery(tool)), "consumer-A", "wrong secret", launchForm("1", "launch_presentation_return_url", "https://evil.example/"))
	e.wantPage(e.post(idQuery(tool), f), http.StatusUnauthorized, "signature does not match")
	// Unknown tools and malformed launches neither.
	f = e.signed(e.launchURL("?id=999"), "consumer-A", tool.Secret, launchForm("1", "launch_presentation_return_url", "https://evil.example/"))
	e.wantPage(e.post("?id=999", f), http.StatusNotFound, "no tool")
}

// A12: concurrent posts of one launch (one nonce): exactly one is accepted.
func TestA12ConcurrentReplayOnceOnly(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	f := e.signed(e.launchURL(idQuery(tool)), "consumer-A", tool.Secret, launchForm("1"))
	forms := []url.Values{f, f, f, f, f}
	accepted := 0
	for _, loc := range concurrently(t, e, idQuery(tool), forms) {
		if loc == wwwroot+"/course/view.php?id=3" {
			accepted++
		} else if loc != "status 401 Unauthorized" {
			t.Errorf("unexpected answer %q", loc)
		}
	}
	if accepted != 1 || e.sessions.count() != 1 {
		t.Fatalf("%d of %d identical launches accepted, %d handoffs", accepted, len(forms), e.sessions.count())
	}
}

// C28: an LTI user whose email is a local account's is a separate user;
// the local account is not touched.
func TestC28EmailNeverLinksAccounts(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	student1 := e.row("SELECT * FROM {user} WHERE id = 3")
	e.wantRedirect(e.launch(tool, launchForm("3", "lis_person_contact_email_primary", "s1@example.com",
		"lis_person_name_given", "Stu", "lis_person_name_family", "Dent")), "/course/view.php?id=3")
	uid := e.userID("consumer-A", "3")
	if uid == "3" {
		t.Fatal("launch logged in as the local student1")
	}
	if fmt.Sprint(e.row("SELECT * FROM {user} WHERE id = 3")) != fmt.Sprint(student1) {
		t.Error("student1 changed")
	}
	if e.sessions.logins[0].UserID != mustInt(uid) {
		t.Error("handoff for the wrong user")
	}
}

// C29: a mapped user who is suspended, deleted or unconfirmed is refused,
// with no enrolment and no session.
func TestC29SuspendedOrDeletedRefused(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool(func(t *store.Tool) { t.EnrolLearn = false })
	e.wantRedirect(e.launch(tool, launchForm("1")), "/course/view.php?id=3")
	uid := e.userID("consumer-A", "1")
	for column, msg := range map[string]string{"suspended = 1": "suspended", "deleted = 1": "deleted", "confirmed = 0": "not confirmed"} {
		e.tdb.Exec(t, "UPDATE {user} SET suspended = 0, deleted = 0, confirmed = 1 WHERE id = ?", uid)
		e.tdb.Exec(t, "UPDATE {user} SET "+column+" WHERE id = ?", uid)
		e.tdb.Exec(t, "DELETE FROM {local_ltiprovider_nonce}")
		before := e.tdb.Snapshot(t)
		e.wantConsumerError(e.launch(tool, launchForm("1")), "https://lms.example/mod/lti/return.php", msg)
		e.tdb.Exec(t, "DELETE FROM {local_ltiprovider_nonce}")
		e.tdb.AssertUnchanged(t, before)
	}
	if e.sessions.count() != 1 {
		t.Errorf("%d handoffs", e.sessions.count())
	}
}

// C30: roles. Institution-only Administrator, unknown roles and substring
// tricks are learners; context instructor roles teach; the setting
// institutionadmininstructor promotes institution Administrators.
func TestC30Roles(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	for i, tc := range []struct {
		roles string
		role  string
	}{
		{"urn:lti:instrole:ims/lis/Administrator", "5"},
		{"urn:lti:sysrole:ims/lis/SysAdmin", "5"},
		{"urn:lti:instrole:ims/lis/Instructor", "5"},
		{"urn:example:role/Instructor", "5"},
		{"urn:lti:role:ims/lis/Learner/Instructor", "5"},
		{"NonInstructor,Administrators", "5"},
		{"", "5"},
		{"Instructor", "3"},
		{"urn:lti:role:ims/lis/Instructor/TeachingAssistant", "3"},
		{"Learner,urn:lti:role:ims/lis/ContentDeveloper", "3"},
	} {
		u := strconv.Itoa(100 + i)
		e.wantRedirect(e.launch(tool, launchForm(u, "roles", tc.roles)), "/course/view.php?id=3")
		wantFields(t, tc.roles, e.row("SELECT roleid FROM {role_assignments} WHERE userid = ?", e.userID("consumer-A", u)),
			map[string]any{"roleid": tc.role})
	}
	if err := settings.Set(context.Background(), e.db, "institutionadmininstructor", "1"); err != nil {
		t.Fatal(err)
	}
	e.wantRedirect(e.launch(tool, launchForm("200", "roles", "urn:lti:instrole:ims/lis/Administrator")), "/course/view.php?id=3")
	wantFields(t, "promoted", e.row("SELECT roleid FROM {role_assignments} WHERE userid = ?", e.userID("consumer-A", "200")),
		map[string]any{"roleid": 3})
}

// C32: the same user_id from two consumer keys is two users.
func TestC32SameUserIDTwoConsumers(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	for _, key := range []string{"consumer-A", "consumer-B"} {
		if err := store.BindConsumerKey(context.Background(), e.db, tool.ID, key, 1); err != nil {
			t.Fatal(err)
		}
	}
	e.wantRedirect(e.launch(tool, launchForm("42")), "/course/view.php?id=3")
	e.wantRedirect(e.launch(tool, launchForm("42", "oauth_consumer_key", "consumer-B")), "/course/view.php?id=3")
	a, b := e.userID("consumer-A", "42"), e.userID("consumer-B", "42")
	if a == b {
		t.Fatal("one user for two consumers")
	}
	if e.sessions.logins[0].UserID == e.sessions.logins[1].UserID {
		t.Fatal("both launches handed off the same user")
	}
}

// C33: HTML and SQL metacharacters in names are stored as sent, and no page
// of the service shows request data unescaped.
func TestC33MarkupStoredAsIsNeverRendered(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool()
	given, family := `<script>alert("x")</script>`, `"><img src=x onerror=alert(1)>'; DROP TABLE mdl_user; --`
	e.wantRedirect(e.launch(tool, launchForm("1", "lis_person_name_given", given, "lis_person_name_family", family,
		"context_title", "<b>course</b>")), "/course/view.php?id=3")
	wantFields(t, "user", e.row("SELECT * FROM {user} WHERE username = ?", username("consumer-A", "1")),
		map[string]any{"firstname": given, "lastname": family})
	// Every error page with markup in every parameter: nothing reflected.
	payload := `"><script>alert(1)</script>`
	bad := launchForm(payload)
	for k := range bad {
		bad.Set(k, payload)
	}
	for _, resp := range []*http.Response{
		e.post("?id="+url.QueryEscape(payload), bad),
		e.post("?id="+strconv.FormatInt(tool.ID, 10), bad),
		e.post("", bad),
		e.launch(tool, launchForm(payload, "lti_version", payload, "launch_presentation_return_url", "")),
	} {
		if body := bodyOf(resp); strings.Contains(body, payload) || strings.Contains(body, "<script>alert") {
			t.Errorf("reflected markup (%d): %s", resp.StatusCode, body)
		}
	}
}

// autoIncrements reads the AUTO_INCREMENT counter of every table.
func autoIncrements(t testing.TB, e *env) map[string]string {
	out := map[string]string{}
	for _, r := range e.tdb.Rows(t, "SELECT table_name AS t, AUTO_INCREMENT AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND AUTO_INCREMENT IS NOT NULL") {
		out[strings.TrimPrefix(r["t"].(string), e.tdb.Prefix)] = r["n"].(string)
	}
	return out
}

// F47: a failure in the middle of a launch (after the user was created)
// rolls everything back: only the spent nonce remains. InnoDB does not give
// back the ids a rolled-back insert took; the test shows which counters
// moved (so the failure was indeed after those inserts), restores them,
// and then finds the database unchanged.
func TestF47FailureMidLaunchLeavesNothing(t *testing.T) {
	for name, tc := range map[string]struct {
		tool   func(*store.Tool)
		fail   error
		moved  []string // inserts that happened, and were rolled back
		answer string
	}{
		"course role missing":     {func(t *store.Tool) { t.CRoleLearn = 999 }, nil, []string{"user", "context", "logstore_standard_log"}, "role it gives"},
		"enrolment window closed": {func(t *store.Tool) { t.EnrolEndDate = 1 }, nil, []string{"user", "context", "logstore_standard_log"}, "has ended"},
		"session handoff fails": {nil, errors.New("redis down"), []string{"user", "context", "user_enrolments", "role_assignments",
			"cache_flags", "logstore_standard_log", "local_ltiprovider_user", "local_ltiprovider_outcome"}, "problem on the tool's site"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			var change []func(*store.Tool)
			if tc.tool != nil {
				change = append(change, tc.tool)
			}
			tool := e.courseTool(change...)
			e.sessions.fail = tc.fail
			counters := autoIncrements(t, e)
			before := e.tdb.Snapshot(t)
			e.wantConsumerError(e.launch(tool, launchForm("1")), "https://lms.example/mod/lti/return.php", tc.answer)
			after := autoIncrements(t, e)
			for _, name := range tc.moved {
				if after[name] == counters[name] {
					t.Errorf("%s: nothing was inserted before the failure", name)
				}
			}
			for name, n := range counters {
				if after[name] != n {
					e.tdb.Exec(t, "ALTER TABLE {"+name+"} AUTO_INCREMENT = "+n)
				}
			}
			if e.tdb.Count(t, "local_ltiprovider_nonce", "") != 1 {
				t.Error("the nonce was not spent")
			}
			e.tdb.Exec(t, "DELETE FROM {local_ltiprovider_nonce}")
			e.tdb.AssertUnchanged(t, before)
			if e.sessions.count() != 0 {
				t.Error("a session was handed off")
			}
			// Once the cause is gone, the next launch succeeds, once.
			e.sessions.fail = nil
			if tc.tool == nil {
				e.wantRedirect(e.launch(tool, launchForm("1")), "/course/view.php?id=3")
				if e.tdb.Count(t, "user", "username = ?", username("consumer-A", "1")) != 1 {
					t.Error("no user after the retry")
				}
			}
		})
	}
}

// F48: two (or more) simultaneous first launches of one user (a double
// click, two tabs) end with one user, one enrolment and one row of each.
func TestF48SimultaneousFirstLaunches(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool(func(t *store.Tool) { t.AddToGroup = "G1"; t.MaxEnrolled = 10 })
	forms := make([]url.Values, 4)
	for i := range forms {
		forms[i] = e.signed(e.launchURL(idQuery(tool)), "consumer-A", tool.Secret, launchForm("1"))
	}
	for _, loc := range concurrently(t, e, idQuery(tool), forms) {
		if loc != wwwroot+"/course/view.php?id=3" {
			t.Errorf("answer %q", loc)
		}
	}
	uid := e.userID("consumer-A", "1")
	for table, where := range map[string]string{"user": "id = ?", "context": "contextlevel = 30 AND instanceid = ?",
		"user_enrolments": "userid = ?", "role_assignments": "userid = ?", "groups_members": "userid = ?",
		"local_ltiprovider_user": "userid = ?", "local_ltiprovider_outcome": "userid = ?", "local_ltiprovider_launch": "userid = ?",
		"cache_flags": "name = ?"} {
		if n := e.tdb.Count(t, table, where, uid); n != 1 {
			t.Errorf("%s: %d rows", table, n)
		}
	}
	for table, n := range map[string]int{"groups": 1, "local_ltiprovider_consumer": 1} {
		if got := e.tdb.Count(t, table, ""); got != n {
			t.Errorf("%s: %d rows", table, got)
		}
	}
	if n := e.tdb.Count(t, "logstore_standard_log", "eventname = ?", `\core\event\user_created`); n != 1 {
		t.Errorf("%d user_created events", n)
	}
	if e.sessions.count() != len(forms) {
		t.Errorf("%d handoffs", e.sessions.count())
	}
}

func newServer(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// The endpoint answers GET with a friendly 405, and bounds its body.
func TestOnlyPostAndBoundedBody(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("GET", e.srv.URL+Path+"?id=1", nil)
	resp := e.do(req)
	e.wantPage(resp, http.StatusMethodNotAllowed, "start the tool from your course")
	if resp.Header.Get("Allow") != "POST" {
		t.Errorf("Allow %q", resp.Header.Get("Allow"))
	}
	e.wantPage(e.postBody("?id=1", "application/x-www-form-urlencoded", "a="+strings.Repeat("x", MaxBody)), http.StatusRequestEntityTooLarge, "more data")
	e.wantPage(e.postBody("?id=1", "application/json", "{}"), http.StatusUnsupportedMediaType, "form")
	e.wantPage(e.postBody("?id=1", "application/x-www-form-urlencoded", "a=%zz"), http.StatusBadRequest, "malformed")
}

// A disabled tool refuses authentic launches with a message for the
// consumer; a tool without a secret cannot be launched.
func TestDisabledToolAndMissingSecret(t *testing.T) {
	e := newEnv(t)
	tool := e.courseTool(func(t *store.Tool) { t.Disabled = true })
	e.wantConsumerError(e.launch(tool, launchForm("1")), "https://lms.example/mod/lti/return.php", "disabled")
	noSecret := e.courseTool(func(t *store.Tool) { t.Secret = "" })
	e.wantPage(e.launch(noSecret, launchForm("1")), http.StatusForbidden, "no shared secret")
	gone := e.tool(3, 9999)
	e.wantConsumerError(e.launch(gone, launchForm("1")), "https://lms.example/mod/lti/return.php", "no longer exists")
}

// When Moodle forbids framing, the page opens the destination in a new
// window, escaped and under a strict CSP.
func TestNewWindowWhenFramingForbidden(t *testing.T) {
	e := newEnv(t)
	e.tdb.Exec(t, "UPDATE {config} SET value = '0' WHERE name = 'allowframembedding'")
	tool := e.courseTool()
	resp := e.launch(tool, launchForm("1"))
	body := bodyOf(resp)
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `window.open("https://moodle.example/course/view.php?id=3", "_blank")`) ||
		!strings.Contains(body, `href="https://moodle.example/course/view.php?id=3"`) || !strings.Contains(csp, "script-src 'nonce-") {
		t.Fatalf("%d %s\n%s", resp.StatusCode, csp, body)
	}
	if c := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(c, "MoodleSession=") {
		t.Errorf("no session cookie: %q", c)
	}
}

// Without a session handoff the endpoint provisions nobody.
func TestNoSessionHandoffConfigured(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Sessions = nil })
	tool := e.courseTool()
	before := e.tdb.Snapshot(t)
	e.wantPage(e.launch(tool, launchForm("1")), http.StatusServiceUnavailable, "session handoff")
	e.tdb.AssertUnchanged(t, before)
}
