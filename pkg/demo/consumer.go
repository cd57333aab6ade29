package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/outcomes"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// Consumer is the demo's LTI 1.1 consumer: it signs launches with a tool's
// secret, as a consumer that was given the tool's launch URL and secret
// would, and it is the outcome service those launches name. It keeps what
// it received in memory; the demo's database goes at the end anyway.
type Consumer struct {
	// DB is read for the tools' current secrets.
	DB database.Querier
	// WWWRoot is the demo site's URL; the consumer's pages are below it.
	WWWRoot string
	Now     func() time.Time

	mu       sync.Mutex
	links    map[string]*Link // by sourcedid
	received []Received
	nonces   map[string]time.Time
}

// Link is a launch the consumer signed with an outcome service: where the
// service sends that user's grade.
type Link struct {
	SourcedID   string
	ToolID      int64
	ConsumerKey string
	UserID      string // the LTI user_id
	Name        string
	Roles       string
	SignedAt    time.Time
	// Score is the score the consumer holds ("" with HasScore false: none).
	Score    string
	HasScore bool
	ScoredAt time.Time
}

// Received is one request to the outcome service and the consumer's
// verdict on it.
type Received struct {
	At        time.Time
	Operation string
	SourcedID string
	Score     string
	Accepted  bool
	// Verdict says what was checked, or why the request was refused.
	Verdict string
}

// OutcomesPath and ReturnPath are the consumer's service and return URLs.
const (
	OutcomesPath = "/demo/outcomes"
	ReturnPath   = "/demo/return"
)

// LaunchRequest is what the consumer page asks to sign. Empty fields are
// left out of the launch, so a launch without user_id (refused) or without
// roles (a learner) can be tried too.
type LaunchRequest struct {
	ToolID            int64
	ConsumerKey       string
	Roles             string
	UserID            string
	Given, Family     string
	Email             string
	ContextID         string
	ContextTitle      string
	ContextLabel      string
	ResourceLinkID    string
	ResourceLinkTitle string
	// Outcomes sends lis_outcome_service_url and a fresh
	// lis_result_sourcedid: the consumer wants this user's grade.
	Outcomes bool
	// ReturnURL sends launch_presentation_return_url (the consumer page).
	ReturnURL bool
	// Extra is "name=value" lines, sent as written; they replace the fields
	// above of the same name.
	Extra string
}

// SignedLaunch is a launch ready for the browser to post.
type SignedLaunch struct {
	URL    string
	Params oauth1.Params // launch parameters, then the oauth_* ones
	Tool   *store.Tool
}

// ErrInput is a problem with what the consumer page was asked to do.
var ErrInput = errors.New("demo")

func inputError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInput}, args...)...)
}

func (c *Consumer) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Sign builds and signs a launch of a tool with its current secret
// (HMAC-SHA1 over the launch URL, query included, and every field).
func (c *Consumer) Sign(ctx context.Context, r LaunchRequest) (*SignedLaunch, error) {
	tool, err := store.GetTool(ctx, c.DB, r.ToolID)
	if errors.Is(err, database.ErrNotFound) {
		return nil, inputError("there is no tool %d", r.ToolID)
	}
	if err != nil {
		return nil, err
	}
	key := strings.TrimSpace(r.ConsumerKey)
	if key == "" {
		return nil, inputError("a consumer key is needed: the launch is signed with it")
	}
	var params oauth1.Params
	set := func(name, value string) {
		if value == "" {
			return
		}
		for i := range params {
			if params[i].Key == name {
				params[i].Value = value
				return
			}
		}
		params = append(params, oauth1.Param{Key: name, Value: value})
	}
	set("lti_message_type", "basic-lti-launch-request")
	set("lti_version", "LTI-1p0")
	set("resource_link_id", r.ResourceLinkID)
	set("resource_link_title", r.ResourceLinkTitle)
	set("user_id", r.UserID)
	set("roles", r.Roles)
	set("lis_person_name_given", r.Given)
	set("lis_person_name_family", r.Family)
	set("lis_person_name_full", strings.TrimSpace(r.Given+" "+r.Family))
	set("lis_person_contact_email_primary", r.Email)
	set("context_id", r.ContextID)
	set("context_title", r.ContextTitle)
	set("context_label", r.ContextLabel)
	set("context_type", "CourseSection")
	set("launch_presentation_locale", "en")
	set("launch_presentation_document_target", "window")
	set("tool_consumer_info_product_family_code", "ltiprovider-demo")
	set("tool_consumer_instance_guid", "demo.consumer")
	if r.ReturnURL {
		set("launch_presentation_return_url", c.WWWRoot+ReturnPath)
	}
	var link *Link
	if r.Outcomes {
		link = &Link{SourcedID: newSourcedID(), ToolID: tool.ID, ConsumerKey: key, UserID: r.UserID,
			Name: strings.TrimSpace(r.Given + " " + r.Family), Roles: r.Roles, SignedAt: c.now()}
		set("lis_outcome_service_url", c.WWWRoot+OutcomesPath)
		set("lis_result_sourcedid", link.SourcedID)
	}
	extra, err := parseExtra(r.Extra)
	if err != nil {
		return nil, err
	}
	for _, p := range extra {
		set(p.Key, p.Value)
	}
	launchURL := fmt.Sprintf("%s%s/tool.php?id=%d", c.WWWRoot, web.BasePath, tool.ID)
	oauth, err := oauth1.Outgoing{Method: http.MethodPost, URL: launchURL, ConsumerKey: key, Secret: tool.Secret,
		Extra: params, Timestamp: c.now().Unix()}.Sign()
	if err != nil {
		return nil, err
	}
	if link != nil {
		c.mu.Lock()
		if c.links == nil {
			c.links = map[string]*Link{}
		}
		c.links[link.SourcedID] = link
		c.mu.Unlock()
	}
	return &SignedLaunch{URL: launchURL, Params: append(params, oauth...), Tool: tool}, nil
}

// parseExtra reads "name=value" lines; blank lines and lines starting with
// # are skipped.
func parseExtra(text string) (oauth1.Params, error) {
	var out oauth1.Params
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, inputError("line %d of the extra parameters is not name=value", i+1)
		}
		if strings.HasPrefix(name, "oauth_") {
			return nil, inputError("line %d: oauth_* parameters are the signature's; the consumer sets them", i+1)
		}
		out = append(out, oauth1.Param{Key: name, Value: strings.TrimSpace(value)})
	}
	return out, nil
}

func newSourcedID() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic("demo: no randomness: " + err.Error())
	}
	return "demo-" + hex.EncodeToString(b)
}

// Links returns the consumer's grade book: every link it signed with an
// outcome service, newest first.
func (c *Consumer) Links() []Link {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Link, 0, len(c.links))
	for _, l := range c.links {
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SignedAt.After(out[j].SignedAt) })
	return out
}

// Received returns the requests the outcome service got, newest first.
func (c *Consumer) Received() []Received {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Received, len(c.received))
	for i, r := range c.received {
		out[len(out)-1-i] = r
	}
	return out
}

// ReceivedCount is how many requests the outcome service got so far.
func (c *Consumer) ReceivedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.received)
}

// maxOutcomeBody bounds what the outcome service reads of a request.
const maxOutcomeBody = 64 << 10

// ServeOutcomes is the consumer's outcome service
// (lis_outcome_service_url). It checks a request the way Moodle 4.5's
// mod/lti/service.php does: an OAuth Authorization header with
// oauth_body_hash, not a form body, the signature with the tool's current
// secret under the launch's consumer key, a fresh nonce and timestamp;
// then the POX message. It answers in POX, HTTP 200 either way, as Moodle
// does.
func (c *Consumer) ServeOutcomes(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxOutcomeBody+1))
	if err != nil || len(body) > maxOutcomeBody {
		c.answer(w, Received{Verdict: "refused: unreadable or oversized body"}, "failure", "Invalid request", "", "")
		return
	}
	msg, perr := parsePOXRequest(body)
	rec := Received{At: c.now(), Operation: msg.operation, SourcedID: msg.sourcedID, Score: msg.score}
	params, herr := oauth1.ParseAuthorization(r.Header.Get("Authorization"))
	switch {
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		rec.Verdict = "refused: a form body, not XML"
	case herr != nil:
		rec.Verdict = "refused: no OAuth Authorization header"
	case perr != nil:
		rec.Verdict = "refused: " + perr.Error()
	}
	if rec.Verdict != "" {
		c.answer(w, rec, "failure", "Message signature not valid", "", "")
		return
	}
	c.mu.Lock()
	link := c.links[msg.sourcedID]
	var linkCopy Link
	if link != nil {
		linkCopy = *link
	}
	c.mu.Unlock()
	if link == nil {
		rec.Verdict = "refused: unknown sourcedid (not one this consumer issued)"
		c.answer(w, rec, "failure", "Invalid sourcedid", msg.messageID, msg.operation)
		return
	}
	if key := params.Value("oauth_consumer_key"); key != linkCopy.ConsumerKey {
		rec.Verdict = fmt.Sprintf("refused: signed with consumer key %q, the launch used %q", key, linkCopy.ConsumerKey)
		c.answer(w, rec, "failure", "Message signature not valid", "", "")
		return
	}
	tool, err := store.GetTool(r.Context(), c.DB, linkCopy.ToolID)
	if err != nil {
		rec.Verdict = "refused: the tool of this link is gone"
		c.answer(w, rec, "failure", "Message signature not valid", "", "")
		return
	}
	v := &oauth1.Verifier{Window: 5 * time.Minute, Methods: []string{oauth1.HMACSHA1}, Nonces: c, Now: c.now}
	// The service signs the URL the launch gave it, which is the one to
	// check against whatever the Host header says.
	err = v.Verify(r.Context(), oauth1.Request{Method: r.Method, URL: c.WWWRoot + OutcomesPath, Params: params,
		Body: body, BodyHashRequired: true}, tool.Secret)
	if err != nil {
		rec.Verdict = "refused: " + strings.TrimPrefix(err.Error(), "oauth1: ")
		c.answer(w, rec, "failure", "Message signature not valid", "", "")
		return
	}
	checked := "accepted: HMAC-SHA1 signature with the tool's secret, oauth_body_hash, nonce and timestamp verified"
	switch msg.operation {
	case "replaceResult":
		if err := outcomes.CheckScore(msg.score); err != nil {
			rec.Verdict = fmt.Sprintf("refused: score %q is not between 0.0 and 1.0", msg.score)
			c.answer(w, rec, "failure", "Score not between 0.0 and 1.0", msg.messageID, msg.operation)
			return
		}
		c.setScore(msg.sourcedID, msg.score, true)
		rec.Accepted, rec.Verdict = true, checked
		c.answer(w, rec, "success", "Grade replace response", msg.messageID, msg.operation)
	case "readResult":
		rec.Accepted, rec.Verdict = true, checked
		rec.Score = linkCopy.Score
		c.answer(w, rec, "success", "Result read", msg.messageID, msg.operation)
	case "deleteResult":
		c.setScore(msg.sourcedID, "", false)
		rec.Accepted, rec.Verdict = true, checked
		c.answer(w, rec, "success", "Grade delete request", msg.messageID, msg.operation)
	default:
		rec.Verdict = fmt.Sprintf("refused: unsupported operation %q", msg.operation)
		c.answer(w, rec, "unsupported", "Unsupported operation", msg.messageID, msg.operation)
	}
}

func (c *Consumer) setScore(sourcedID, score string, has bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l := c.links[sourcedID]; l != nil {
		l.Score, l.HasScore, l.ScoredAt = score, has, c.now()
	}
}

// Use is the outcome service's nonce store (oauth1.NonceStore), in memory.
func (c *Consumer) Use(_ context.Context, consumerKey, nonce string, expires time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nonces == nil {
		c.nonces = map[string]time.Time{}
	}
	now := c.now()
	for k, exp := range c.nonces {
		if exp.Before(now) {
			delete(c.nonces, k)
		}
	}
	k := consumerKey + "\x00" + nonce
	if _, seen := c.nonces[k]; seen {
		return oauth1.ErrReplay
	}
	c.nonces[k] = expires
	return nil
}

// answer records the request and writes a POX response like Moodle's.
func (c *Consumer) answer(w http.ResponseWriter, rec Received, codeMajor, description, messageRef, operation string) {
	if rec.At.IsZero() {
		rec.At = c.now()
	}
	c.mu.Lock()
	c.received = append(c.received, rec)
	c.mu.Unlock()
	var body string
	switch {
	case operation == "readResult" && codeMajor == "success":
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(rec.Score))
		body = "<readResultResponse><result><resultScore><language>en</language><textString>" + b.String() +
			"</textString></resultScore></result></readResultResponse>"
	case operation != "":
		body = "<" + operation + "Response/>"
	default:
		operation, body = "unknown", "<unknownResponse/>"
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, poxResponse(codeMajor, description, messageRef, operation+"Request", body))
}

// poxResponse is the envelope Moodle's mod/lti/service.php answers with.
func poxResponse(codeMajor, description, messageRef, operationRef, bodyXML string) string {
	esc := func(s string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	ref := "<imsx_messageRefIdentifier/>"
	if messageRef != "" {
		ref = "<imsx_messageRefIdentifier>" + esc(messageRef) + "</imsx_messageRefIdentifier>"
	}
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<imsx_POXEnvelopeResponse xmlns="` + outcomes.Namespace + `"><imsx_POXHeader><imsx_POXResponseHeaderInfo>` +
		`<imsx_version>V1.0</imsx_version><imsx_messageIdentifier>` + strconv.FormatInt(time.Now().UnixNano(), 10) +
		`</imsx_messageIdentifier><imsx_statusInfo><imsx_codeMajor>` + codeMajor +
		`</imsx_codeMajor><imsx_severity>status</imsx_severity><imsx_description>` + esc(description) +
		`</imsx_description>` + ref + `<imsx_operationRefIdentifier>` + esc(operationRef) +
		`</imsx_operationRefIdentifier></imsx_statusInfo></imsx_POXResponseHeaderInfo></imsx_POXHeader><imsx_POXBody>` +
		bodyXML + `</imsx_POXBody></imsx_POXEnvelopeResponse>` + "\n"
}

// poxRequest is what the outcome service reads of a POX request.
type poxRequest struct {
	operation string // replaceResult, readResult, deleteResult
	messageID string
	sourcedID string
	score     string
}

// parsePOXRequest reads a POX request without entity expansion (a DOCTYPE
// is refused) and with its size already bounded by the caller.
func parsePOXRequest(body []byte) (poxRequest, error) {
	var m poxRequest
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	var path []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, errors.New("the body is not well-formed XML")
		}
		switch t := tok.(type) {
		case xml.Directive:
			return m, errors.New("a DOCTYPE is not allowed")
		case xml.StartElement:
			if len(path) == 2 && path[1] == "imsx_POXBody" && strings.HasSuffix(t.Name.Local, "Request") {
				m.operation = strings.TrimSuffix(t.Name.Local, "Request")
			}
			path = append(path, t.Name.Local)
		case xml.EndElement:
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
		case xml.CharData:
			if len(path) == 0 {
				continue
			}
			text := strings.TrimSpace(string(t))
			switch path[len(path)-1] {
			case "imsx_messageIdentifier":
				m.messageID += text
			case "sourcedId":
				m.sourcedID += text
			case "textString":
				m.score += text
			}
		}
	}
	if len(path) != 0 || m.operation == "" {
		return m, errors.New("not an LTI 1.1 POX request")
	}
	if m.sourcedID == "" {
		return m, errors.New("no sourcedId")
	}
	return m, nil
}
