package membersync_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/membersync"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
)

// rosterServer is a consumer's memberships service (as Sakai's
// ext_ims_lis_memberships): it checks the OAuth signature over the form
// and header parameters, the message type and the context id, and answers
// the memberships extension's message_response.
type rosterServer struct {
	srv     *httptest.Server
	URL     string
	key     string
	secret  string
	context string // the ext_ims_lis_memberships_id it serves

	mu       sync.Mutex
	members  []membersync.Member
	status   int    // HTTP status; 0 = 200
	raw      string // a raw answer instead of the roster
	requests int
	nonces   map[string]bool
}

func newRosterServer(key, secret, contextID string, members ...membersync.Member) *rosterServer {
	s := &rosterServer{key: key, secret: secret, context: contextID, members: members, nonces: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/imsblis/service/"
	return s
}

func (s *rosterServer) Close() { s.srv.Close() }

func (s *rosterServer) set(members ...membersync.Member) {
	s.mu.Lock()
	s.members = members
	s.mu.Unlock()
}

func (s *rosterServer) Use(_ context.Context, key, nonce string, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nonces[key+nonce] {
		return oauth1.ErrReplay
	}
	s.nonces[key+nonce] = true
	return nil
}

func (s *rosterServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	status, raw, members := s.status, s.raw, append([]membersync.Member(nil), s.members...)
	s.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		io.WriteString(w, raw)
		return
	}
	if raw != "" {
		io.WriteString(w, raw)
		return
	}
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		failure(w, "bad request")
		return
	}
	header, err := oauth1.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil || header.Value("oauth_consumer_key") != s.key {
		failure(w, "Missing or invalid consumer key")
		return
	}
	v := &oauth1.Verifier{Window: 5 * time.Minute, Methods: []string{oauth1.HMACSHA1}, Nonces: s}
	params := append(oauth1.FromValues(form), header...)
	if err := v.Verify(r.Context(), oauth1.Request{Method: r.Method, URL: "http://" + r.Host + r.URL.RequestURI(), Params: params}, s.secret); err != nil {
		failure(w, "OAuth signature check failed")
		return
	}
	if form.Get("lti_message_type") != "basic-lis-readmembershipsforcontext" || form.Get("lti_version") != "LTI-1p0" || form.Get("id") != s.context {
		failure(w, "Unknown context")
		return
	}
	type member struct {
		membersync.Member
		XMLName xml.Name `xml:"member"`
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<message_response>\n  <lti_message_type>basic-lis-readmembershipsforcontext</lti_message_type>\n" +
		"  <statusinfo>\n    <codemajor>Success</codemajor>\n    <severity>Status</severity>\n    <codeminor>fullsuccess</codeminor>\n  </statusinfo>\n  <memberships>\n")
	for _, m := range members {
		out, _ := xml.MarshalIndent(member{Member: m}, "    ", "  ")
		b.Write(out)
		b.WriteString("\n")
	}
	b.WriteString("  </memberships>\n</message_response>\n")
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, b.String())
}

func failure(w http.ResponseWriter, desc string) {
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><message_response><lti_message_type>basic-lis-readmembershipsforcontext</lti_message_type>`+
		`<statusinfo><codemajor>Failure</codemajor><severity>Error</severity><codeminor>`+desc+`</codeminor><description>`+desc+`</description></statusinfo></message_response>`)
}
