package membersync_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/membersync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/netguard"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func fetcher() *membersync.Fetcher {
	return &membersync.Fetcher{Guard: &netguard.Guard{Allow: loopback, Timeout: 5 * time.Second}}
}

func TestFetchRoster(t *testing.T) {
	s := newRosterServer("consumer-A", "secret", "ctx-1",
		membersync.Member{UserID: "u1", Roles: "Learner", GivenName: "Ann", FamilyName: "Lee & Co", Email: "ann@example.edu"},
		membersync.Member{UserID: "u2", Roles: "urn:lti:role:ims/lis/Instructor"},
		membersync.Member{UserID: "u1", Roles: "Learner"}, // repeated
		membersync.Member{UserID: "  ", Roles: "Learner"}, // no id
	)
	defer s.Close()
	members, err := fetcher().Fetch(context.Background(), membersync.Source{URL: s.URL, ID: "ctx-1", ConsumerKey: "consumer-A", Secret: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 || members[0].FamilyName != "Lee & Co" || members[0].Email != "ann@example.edu" || members[1].Roles != "urn:lti:role:ims/lis/Instructor" {
		t.Fatalf("%+v", members)
	}
}

func TestFetchFailures(t *testing.T) {
	s := newRosterServer("consumer-A", "secret", "ctx-1")
	defer s.Close()
	src := membersync.Source{URL: s.URL, ID: "ctx-1", ConsumerKey: "consumer-A", Secret: "secret"}
	check := func(name string, src membersync.Source, want string) {
		t.Helper()
		_, err := fetcher().Fetch(context.Background(), src)
		if !errors.Is(err, membersync.ErrFetch) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := src
	bad.Secret = "wrong"
	check("wrong secret", bad, "the consumer answered Failure: OAuth signature check failed")
	bad = src
	bad.ID = "ctx-2"
	check("unknown context", bad, "Unknown context")
	s.status, s.raw = http.StatusBadGateway, "<html>bad gateway</html>"
	check("502", src, "HTTP 502: <html>bad gateway</html>")
	s.status = 0
	for name, raw := range map[string]string{
		"html":      "<html><body>Success</body></html>",
		"no code":   "<message_response><memberships/></message_response>",
		"doctype":   `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><message_response><statusinfo><codemajor>Success</codemajor></statusinfo><memberships><member><user_id>&x;</user_id></member></memberships></message_response>`,
		"substring": "<message_response><statusinfo><codemajor>NotSuccess</codemajor></statusinfo></message_response>",
	} {
		s.raw = raw
		check(name, src, "")
	}
	s.raw = ""
	if _, err := (&membersync.Fetcher{Guard: &netguard.Guard{}}).Fetch(context.Background(), src); !errors.Is(err, membersync.ErrFetch) || !strings.Contains(err.Error(), "not allowed") {
		t.Errorf("loopback without allow_networks: %v", err)
	}
	for _, u := range []string{"http://169.254.169.254/latest", "file:///etc/passwd", "https://[::1]/x"} {
		bad := src
		bad.URL = u
		check(u, bad, "not allowed")
	}
	if s.requests != 7 { // the blocked URLs never reached it
		t.Fatalf("%d requests reached the consumer", s.requests)
	}
}
