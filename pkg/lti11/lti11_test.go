package lti11

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestRolesInstructorExactly(t *testing.T) {
	admin := RoleOptions{InstitutionAdminInstructor: true}
	tests := []struct {
		roles       string
		instructor  bool
		withAdminOn bool
	}{
		{"Instructor", true, true},
		{"instructor", true, true},
		{" Learner , Instructor ", true, true},
		{"urn:lti:role:ims/lis/Instructor", true, true},
		{"URN:LTI:ROLE:IMS/LIS/Instructor", true, true},
		{"urn:lti:role:ims/lis/Instructor/TeachingAssistant", true, true},
		{"urn:lti:role:ims/lis/TeachingAssistant", true, true},
		{"TeachingAssistant", true, true},
		{"ContentDeveloper", true, true},
		{"urn:lti:role:ims/lis/ContentDeveloper/ContentExpert", true, true},
		{"Administrator", true, true}, // a context Administrator
		{"urn:lti:role:ims/lis/Administrator", true, true},
		{"http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor", true, true},
		{"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant", true, true},
		// Certification 008–011: URN and short names in lists.
		{"urn:non:ims/something/Else,Instructor,urn:lti:instrole:ims/lis/Alumni", true, true},
		{"urn:lti:instrole:ims/lis/Student,urn:lti:role:ims/lis/Learner", false, false},
		// Institution and system roles grant nothing in the course, unless
		// the site makes their Administrator an instructor.
		{"urn:lti:instrole:ims/lis/Administrator", false, true},
		{"urn:lti:sysrole:ims/lis/Administrator", false, true},
		{"urn:lti:sysrole:ims/lis/SysAdmin", false, true},
		{"http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator", false, true},
		{"http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin", false, true},
		{"urn:lti:instrole:ims/lis/Instructor", false, false}, // the plugin's substring test said instructor
		{"urn:lti:instrole:ims/lis/Faculty", false, false},
		// No substring tricks.
		{"urn:lti:role:ims/lis/Learner/Instructor", false, false},
		{"urn:lti:role:ims/lis/Learner/NonCreditLearner", false, false},
		{"NotAnInstructor", false, false},
		{"Instructors", false, false},
		{"urn:evil:Instructor", false, false},
		{"http://evil.example/Instructor", false, false},
		{"urn:lti:role:ims/lis/Instructor:x", false, false},
		{"Mentor", false, false},
		{"", false, false},
		{",,,", false, false},
	}
	for _, tc := range tests {
		rs := ParseRoles(tc.roles)
		if got := rs.IsInstructor(RoleOptions{}); got != tc.instructor {
			t.Errorf("%q: instructor %v, want %v", tc.roles, got, tc.instructor)
		}
		if got := rs.IsInstructor(admin); got != tc.withAdminOn {
			t.Errorf("%q with institution admins as instructors: %v, want %v", tc.roles, got, tc.withAdminOn)
		}
	}
}

func TestRolesHas(t *testing.T) {
	rs := ParseRoles("urn:lti:instrole:ims/lis/Administrator,urn:lti:role:ims/lis/Learner/GuestLearner,Mentor")
	for name, want := range map[string]bool{
		"Administrator": true, "administrator": true, "Learner": true, "Mentor": true,
		"Learner/GuestLearner": true, "Learner/Other": false,
		"Instructor": false, "Admin": false, "GuestLearner": false,
		"urn:lti:instrole:ims/lis/Administrator":    true,
		"urn:lti:role:ims/lis/Administrator":        false, // not a context Administrator
		"urn:lti:sysrole:ims/lis/Administrator":     false,
		"urn:lti:role:ims/lis/Learner":              true,
		"urn:lti:role:ims/lis/Mentor":               true,
		"urn:lti:role:ims/lis/Learner/GuestLearner": true,
		"": false, "urn:other:Mentor": false,
	} {
		if got := rs.Has(name); got != want {
			t.Errorf("Has(%q) = %v, want %v", name, got, want)
		}
	}
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func TestLaunchDataAndChecks(t *testing.T) {
	good := []string{"lti_message_type", "basic-lti-launch-request", "lti_version", "LTI-1p0",
		"resource_link_id", "r1", "user_id", "u1", "oauth_consumer_key", "k", "oauth_nonce", "n",
		"oauth_signature", "s", "basiclti_submit", "Launch", "roles", "Learner"}
	l, err := NewLaunch(form(good...))
	if err != nil || l.Check() != nil {
		t.Fatalf("good launch: %v %v", err, l.Check())
	}
	if l.ConsumerKey() != "k" || l.Get("oauth_nonce") != "" || l.Get("oauth_signature") != "" {
		t.Errorf("oauth_* kept in launch data: %+v", l.data)
	}
	if _, ok := l.Lookup("basiclti_submit"); ok {
		t.Error("basiclti_submit kept")
	}
	for _, tc := range []struct {
		key, value string
		want       error
	}{
		{"lti_message_type", "ContentItemSelectionRequest", ErrMessageType},
		{"lti_message_type", "", ErrMessageType},
		{"lti_version", "LTI-2p0", ErrVersion},
		{"lti_version", "", ErrVersion},
		{"resource_link_id", "", ErrNoResourceLink},
		{"resource_link_id", "  ", ErrNoResourceLink},
		{"user_id", "", ErrNoUserID},
	} {
		f := form(good...)
		f.Set(tc.key, tc.value)
		l, _ := NewLaunch(f)
		if err := l.Check(); !errors.Is(err, tc.want) {
			t.Errorf("%s=%q: %v, want %v", tc.key, tc.value, err, tc.want)
		}
	}
}

func TestBase64EncodedLaunch(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	f := form("custom_lti_message_encoded_base64", "1", "lti_message_type", "basic-lti-launch-request",
		"lti_version", "LTI-1p0", "oauth_consumer_key", "key", "resource_link_id", enc("link é"),
		"user_id", strings.TrimRight(enc("42"), "="), "context_id", enc(""),
		"ext_ims_lis_memberships_url", "https://lms.example/m")
	l, err := NewLaunch(f)
	if err != nil {
		t.Fatal(err)
	}
	if l.Get("resource_link_id") != "link é" || l.Get("user_id") != "42" || l.Get("context_id") != "" {
		t.Errorf("decoded: %+v", l.data)
	}
	if l.Get("lti_version") != "LTI-1p0" || l.ConsumerKey() != "key" || l.Get("ext_ims_lis_memberships_url") != "https://lms.example/m" {
		t.Errorf("exempt fields changed: %+v", l.data)
	}
	f.Set("user_id", "not base64!")
	if _, err := NewLaunch(f); !errors.Is(err, ErrBase64) {
		t.Errorf("bad base64: %v", err)
	}
	f.Set("user_id", enc("\xff\xfe"))
	if _, err := NewLaunch(f); !errors.Is(err, ErrEncoding) {
		t.Errorf("decoded to invalid UTF-8: %v", err)
	}
}

func TestReturnURL(t *testing.T) {
	got, err := ErrorReturnURL("https://lms.example/mod/lti/return.php?course=4&sesskey=x", `Bad <b>"x"</b> & more`)
	if err != nil || got != "https://lms.example/mod/lti/return.php?course=4&sesskey=x&lti_errormsg=Bad+%3Cb%3E%22x%22%3C%2Fb%3E+%26+more" {
		t.Errorf("got %q, %v", got, err)
	}
	for _, bad := range []string{"", "javascript:alert(1)", "data:text/html,x", "//evil.example/", "/relative",
		"ftp://lms.example/", "https://user:pw@lms.example/", "https://lms.example/\r\nX: y", "https:evil",
		`https://lms.example\@evil.example/`, "https://lms.example/a b", "https://" + strings.Repeat("a", 3000)} {
		if _, err := ErrorReturnURL(bad, "m"); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
