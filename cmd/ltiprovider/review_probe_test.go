package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/config"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/logging"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/metrics"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// Every route serve mounts, probed as an attacker would: markup, quotes and
// CRLF in every parameter, header and cookie, anonymous and as a logged-in
// administrator, unsigned and signed with a tool's secret. No answer may
// reflect the markup unescaped, carry an injected header, redirect off
// Moodle's wwwroot (or to a validated return URL), or show internals.
func TestEveryEndpointResistsHostileInput(t *testing.T) {
	db, tdb := testenv.DB(t)
	const wwwroot = "https://moodle.example"
	cfg, err := config.Load(config.Input{LookupEnv: func(k string) (string, bool) {
		v, ok := map[string]string{"LTIPROVIDER_DSN": tdb.DSN(), "LTIPROVIDER_DB_PREFIX": tdb.Prefix,
			"LTIPROVIDER_WWWROOT": wwwroot, "LTIPROVIDER_DATAROOT": t.TempDir(),
			"LTIPROVIDER_SESSION_STRATEGY": "database"}[k]
		return v, ok
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(cfg, logging.Discard(), db, metrics.New(db.X.DB)) // as serve builds it
	defer srv.Stop(time.Second)
	now := time.Now().Unix()
	tdb.Exec(t, "INSERT INTO {sessions} (state, sid, userid, timecreated, timemodified, firstip, lastip) VALUES (0, 'probeadmin', 2, ?, ?, '', '')", now, now)
	tool := store.NewTool(3, 13, 3, 5, now)
	tool.Secret = "probe-secret"
	tool.SendGrades, tool.SyncMembers = true, true
	if err := store.InsertTool(t.Context(), db, tool); err != nil {
		t.Fatal(err)
	}
	toolID := strconv.FormatInt(tool.ID, 10)

	payloads := []string{`<script>alert(1)</script>`, `"'><svg onload=alert(1)>`, "x\r\nX-Injected: 1", "%0d%0aX-Injected:%201",
		`javascript:alert(1)`, `//evil.example/`, `https://evil.example/`, `' OR '1'='1`}
	params := []string{"id", "courseid", "delete", "confirm", "hide", "show", "bindkey", "unbindkey", "keyid", "consumerkey",
		"sesskey", "firstname", "lastname", "page", "action", "user", "saved", "context_id", "resource_link_id", "user_id",
		"roles", "lti_message_type", "lti_version", "custom_service", "launch_presentation_return_url", "oauth_consumer_key",
		"oauth_signature", "oauth_nonce", "oauth_timestamp", "lis_person_name_given", "custom_custom_css", "customcss",
		"globalsharedsecret", "custom_create_context", "custom_context_template", "returnurl", "wantsurl"}
	paths := []string{"/healthz", "/tool.php", "/services.php", "/index.php", "/edit.php", "/syncreport.php",
		"/syncmembers.php", "/settings.php", "/nav.json", "/admin.css", "/layout.js", "/layout.css", "/nothing",
		"/../../index.php", "//evil.example/x"}

	check := func(what string, rec *httptest.ResponseRecorder, payload string) {
		t.Helper()
		body := rec.Body.String()
		for _, raw := range []string{`<script>alert(1)</script>`, `<svg onload=alert(1)>`, `"'><svg`} {
			if strings.Contains(payload, strings.Trim(raw, `"'`)) && strings.Contains(body, raw) {
				t.Errorf("%s: reflected %q", what, raw)
			}
		}
		for name, vs := range rec.Header() {
			if strings.EqualFold(name, "X-Injected") {
				t.Errorf("%s: injected header", what)
			}
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n") {
					t.Errorf("%s: header %s carries a line break: %q", what, name, v)
				}
			}
		}
		// Absolute: below wwwroot, or the validated return URL of a signed
		// launch; relative (the router's path cleaning): this host only.
		if loc := rec.Header().Get("Location"); loc != "" && !strings.HasPrefix(loc, wwwroot+"/") &&
			!strings.HasPrefix(loc, "https://lms.example/return") &&
			!(strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") && !strings.HasPrefix(loc, "/\\")) {
			t.Errorf("%s: redirect to %q", what, loc)
		}
		for _, leak := range []string{"probe-secret", "Error 1064", "SQL syntax", "goroutine ", ".go:", "mysql", "panic"} {
			if strings.Contains(body, leak) && !(leak == "probe-secret" && strings.Contains(what, "admin GET /index.php")) &&
				!(leak == "probe-secret" && strings.Contains(what, "admin GET /edit.php")) {
				t.Errorf("%s: answer shows %q", what, leak)
			}
		}
	}
	statuses := map[string]int{} // how far the probes got, so the test cannot pass by reaching nothing
	send := func(what, method, target string, form url.Values, admin bool, hdr map[string]string) {
		t.Helper()
		var body *strings.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		} else {
			body = strings.NewReader("")
		}
		req := httptest.NewRequest(method, target, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if admin {
			req.AddCookie(&http.Cookie{Name: "MoodleSession", Value: "probeadmin"})
		}
		for k, v := range hdr {
			req.Header[k] = []string{v}
		}
		rec := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 && !strings.Contains(target, "healthz") {
			t.Errorf("%s: status %d", what, rec.Code)
		}
		p := ""
		for _, pl := range payloads {
			if strings.Contains(target, url.QueryEscape(pl)) || (form != nil && strings.Contains(form.Encode(), url.QueryEscape(pl))) {
				p = pl
			}
			for _, v := range hdr {
				if strings.Contains(v, pl) {
					p = pl
				}
			}
		}
		check(what, rec, p)
		key := strings.Fields(what)[0] + " " + strings.Fields(what)[1] + " " + strings.Fields(what)[2] + " " + strconv.Itoa(rec.Code)
		if strings.Contains(rec.Body.String(), "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(rec.Body.String(), `\u003cscript\u003e`) {
			key += " escaped"
		}
		statuses[key]++
	}

	for _, pl := range payloads {
		q := url.Values{}
		for _, name := range params {
			q.Set(name, pl)
		}
		qWithTool := url.Values{}
		for k, v := range q {
			qWithTool[k] = v
		}
		qWithTool.Set("id", toolID)
		for _, path := range paths {
			for _, admin := range []bool{false, true} {
				who := map[bool]string{false: "anonymous", true: "admin"}[admin]
				for _, query := range []url.Values{q, qWithTool} {
					target := "/local/ltiprovider" + path + "?" + query.Encode()
					send(who+" GET "+path+" "+pl, "GET", target, nil, admin, map[string]string{"X-Forwarded-For": pl, "X-Request-Id": pl, "Origin": pl})
					send(who+" POST "+path+" "+pl, "POST", "/local/ltiprovider"+path+"?id="+url.QueryEscape(query.Get("id")), query, admin,
						map[string]string{"Referer": pl, "Authorization": "OAuth oauth_consumer_key=\"" + url.QueryEscape(pl) + "\""})
				}
			}
		}
		// The pages that show a tool, hostile headers only.
		for _, target := range []string{"/local/ltiprovider/index.php?courseid=3", "/local/ltiprovider/edit.php?id=" + toolID} {
			send("admin GET "+strings.Fields(strings.ReplaceAll(target, "?", " "))[0][len("/local/ltiprovider"):]+" "+pl, "GET", target, nil, true,
				map[string]string{"X-Forwarded-For": pl, "X-Forwarded-Host": pl, "Accept-Language": pl})
		}
		// The cookie itself.
		send("cookie GET /index.php "+pl, "GET", "/local/ltiprovider/index.php?courseid=3", nil, false, map[string]string{"Cookie": "MoodleSession=" + url.QueryEscape(pl)})
	}

	// Signed with the tool's secret: the launch and services.php past
	// verification, every launch field hostile.
	for _, pl := range payloads {
		f := url.Values{"lti_message_type": {"basic-lti-launch-request"}, "lti_version": {"LTI-1p0"},
			"launch_presentation_return_url": {"https://lms.example/return"}}
		for _, name := range []string{"resource_link_id", "user_id", "roles", "context_id", "context_title", "context_label",
			"lis_person_name_given", "lis_person_name_family", "lis_person_contact_email_primary", "lis_result_sourcedid",
			"lis_outcome_service_url", "custom_custom_css", "custom_resource_link_copy_id", "custom_resource_link_type",
			"resource_link_title", "custom_context_template", "user_image", "launch_presentation_locale", "custom_service"} {
			f.Set(name, pl)
		}
		for _, path := range []string{"/tool.php", "/services.php"} {
			public := wwwroot + "/local/ltiprovider" + path + "?id=" + toolID
			var extra oauth1.Params
			for k, vs := range f {
				for _, v := range vs {
					extra = append(extra, oauth1.Param{Key: k, Value: v})
				}
			}
			p, err := oauth1.Outgoing{Method: "POST", URL: public, ConsumerKey: "probe-key", Secret: tool.Secret, Extra: extra,
				Timestamp: time.Now().Unix()}.Sign()
			if err != nil {
				t.Fatal(err)
			}
			form := url.Values{}
			for k, vs := range f {
				form[k] = vs
			}
			for _, kv := range p {
				form.Set(kv.Key, kv.Value)
			}
			send("signed POST "+path+" "+pl, "POST", "/local/ltiprovider"+path+"?id="+toolID, form, false, nil)
		}
	}
	for _, want := range []string{"admin GET /syncreport.php 200 escaped", "admin GET /index.php 200", "admin GET /settings.php 200",
		"signed POST /tool.php 303", "signed POST /services.php 400", "anonymous POST /tool.php 401", "anonymous GET /index.php 401"} {
		if statuses[want] == 0 {
			t.Errorf("no probe got %q; got %v", want, statuses)
		}
	}
}
