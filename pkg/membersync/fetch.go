package membersync

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/netguard"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
)

// Source is a consumer's memberships service for one context.
type Source struct {
	URL         string // ext_ims_lis_memberships_url
	ID          string // ext_ims_lis_memberships_id
	ConsumerKey string
	Secret      string
}

// Member is one person of a roster.
type Member struct {
	UserID     string `xml:"user_id"`
	Roles      string `xml:"roles"`
	GivenName  string `xml:"person_name_given"`
	FamilyName string `xml:"person_name_family"`
	FullName   string `xml:"person_name_full"`
	Email      string `xml:"person_contact_email_primary"`
	SourcedID  string `xml:"lis_result_sourcedid"`
	// Image is the member's picture URL, fetched as a launch's would be.
	Image string `xml:"user_image"`
}

// Fetcher reads rosters.
type Fetcher struct {
	Guard *netguard.Guard
	// MaxResponse bounds the roster read; 0 means 16 MiB (some 30 000
	// members).
	MaxResponse int64
	// Now is the clock for oauth_timestamp; nil means time.Now.
	Now       func() time.Time
	UserAgent string
}

// ErrFetch: the roster could not be read. Nothing is unenrolled then.
var ErrFetch = errors.New("membersync: roster not read")

// Fetch reads the roster of a source: a POST of
// lti_message_type=basic-lis-readmembershipsforcontext, id and
// lti_version, signed with OAuth 1.0a HMAC-SHA1 over the form parameters
// (the oauth_* parameters in the Authorization header, as the plugin sent
// them), answered with the memberships extension's message_response. Members
// without a user_id are dropped, repeated ones counted once.
func (f *Fetcher) Fetch(ctx context.Context, s Source) ([]Member, error) {
	if _, err := f.Guard.CheckURL(s.URL); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	form := oauth1.Params{
		{Key: "lti_message_type", Value: "basic-lis-readmembershipsforcontext"},
		{Key: "id", Value: s.ID},
		{Key: "lti_version", Value: "LTI-1p0"},
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	oauth, err := oauth1.Outgoing{Method: http.MethodPost, URL: s.URL, ConsumerKey: s.ConsumerKey, Secret: s.Secret,
		Extra: form, Timestamp: now().Unix()}.Sign()
	if err != nil {
		return nil, fmt.Errorf("%w: cannot sign for %s: %v", ErrFetch, redact(s.URL), err)
	}
	body := url.Values{}
	for _, p := range form {
		body.Add(p.Key, p.Value)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, strings.NewReader(body.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: bad URL %s", ErrFetch, redact(s.URL))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", oauth1.AuthorizationHeader(oauth))
	if f.UserAgent != "" {
		req.Header.Set("User-Agent", f.UserAgent)
	}
	resp, err := f.Guard.Do(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: no answer from %s: %v", ErrFetch, hostOf(s.URL), err)
	}
	max := f.MaxResponse
	if max == 0 {
		max = 16 << 20
	}
	raw, err := netguard.ReadBody(resp, max)
	if err != nil {
		return nil, fmt.Errorf("%w: HTTP %d, answer not read: %v", ErrFetch, resp.StatusCode, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%w: HTTP %d: %s", ErrFetch, resp.StatusCode, clean(string(raw)))
	}
	return ParseRoster(raw)
}

// ParseRoster reads a memberships message_response. Only a statusinfo
// codemajor of exactly "success" (any case) counts; a document type
// declaration is refused, and entities are never expanded.
func ParseRoster(raw []byte) ([]Member, error) {
	d := xml.NewDecoder(strings.NewReader(string(raw)))
	d.Strict = true
	var (
		path      []string
		codeMajor string
		desc      string
		found     bool
		members   []Member
		text      strings.Builder
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: the answer is not a roster: %v", ErrFetch, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, fmt.Errorf("%w: document type declarations are not accepted", ErrFetch)
		case xml.StartElement:
			if len(path) == 0 && t.Name.Local != "message_response" {
				return nil, fmt.Errorf("%w: the answer is not a roster (root %q)", ErrFetch, t.Name.Local)
			}
			if t.Name.Local == "member" && len(path) >= 1 && path[len(path)-1] == "memberships" {
				var m Member
				if err := d.DecodeElement(&m, &t); err != nil {
					return nil, fmt.Errorf("%w: bad member: %v", ErrFetch, err)
				}
				members = append(members, m)
				continue
			}
			path = append(path, t.Name.Local)
			text.Reset()
		case xml.CharData:
			if text.Len() < 4096 {
				text.Write(t)
			}
		case xml.EndElement:
			if len(path) >= 2 && path[len(path)-2] == "statusinfo" {
				switch t.Name.Local {
				case "codemajor":
					codeMajor, found = strings.TrimSpace(text.String()), true
				case "description":
					desc = strings.TrimSpace(text.String())
				}
			}
			path = path[:len(path)-1]
			text.Reset()
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: the answer has no statusinfo/codemajor", ErrFetch)
	}
	if !strings.EqualFold(codeMajor, "success") {
		msg := "the consumer answered " + clean(codeMajor)
		if desc != "" {
			msg += ": " + clean(desc)
		}
		return nil, fmt.Errorf("%w: %s", ErrFetch, msg)
	}
	seen := map[string]bool{}
	out := members[:0]
	for _, m := range members {
		m.UserID = strings.TrimSpace(m.UserID)
		if m.UserID == "" || seen[m.UserID] {
			continue
		}
		seen[m.UserID] = true
		out = append(out, m)
	}
	return out, nil
}

// clean makes a consumer's text fit for one line of a log or report.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return s
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "?"
	}
	return u.Host
}

func redact(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i]
	}
	return raw
}
