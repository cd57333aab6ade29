// Package outcomestest is a fake LTI 1.1 consumer's outcome service for
// tests: it checks each request the way Moodle 4.5's mod/lti/service.php
// does (OAuth signature, oauth_body_hash, no form bodies, nonces used once)
// and answers with the exact XML Moodle sends, recorded in ../testdata.
// Tests can make it slow, drop connections, or answer 429, 5xx and
// failures, to check what the sender does.
package outcomestest

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
)

// Request is one request the consumer accepted or refused.
type Request struct {
	Operation string // replaceResult, readResult, deleteResult
	SourcedID string
	Score     string
	MessageID string
	Nonce     string
	// Reply is what the consumer answered: "success", "failure", or "HTTP
	// <status>" / "dropped" for scripted faults.
	Reply string
	At    time.Time
}

// Fault is a scripted answer: a status with headers and body, or a
// dropped connection.
type Fault struct {
	Drop   bool
	Status int
	Header http.Header
	Body   string
	Refuse string // answer HTTP 200 with imsx_codeMajor failure and this description
}

// Consumer is the fake outcome service.
type Consumer struct {
	Server *httptest.Server
	// URL is the outcome service URL (lis_outcome_service_url).
	URL    string
	Key    string
	Secret string
	// Latency is added before every answer.
	Latency time.Duration

	verifier *oauth1.Verifier

	mu      sync.Mutex
	results map[string]string
	log     []Request
	fault   func(Request) *Fault
}

// New starts a consumer that accepts key and secret.
func New(key, secret string) *Consumer {
	c := &Consumer{Key: key, Secret: secret, results: map[string]string{}}
	c.verifier = &oauth1.Verifier{Window: 5 * time.Minute, Methods: []string{oauth1.HMACSHA1}, Nonces: &memNonces{seen: map[string]bool{}}}
	c.Server = httptest.NewServer(http.HandlerFunc(c.serve))
	c.URL = c.Server.URL + "/mod/lti/service.php"
	return c
}

// SetClock makes the consumer check oauth_timestamp against now (tests
// that move time).
func (c *Consumer) SetClock(now func() time.Time) { c.verifier.Now = now }

// Close stops the server.
func (c *Consumer) Close() { c.Server.Close() }

// SetFault makes the consumer answer requests with f's result (nil: a
// normal answer); nil f clears it.
func (c *Consumer) SetFault(f func(Request) *Fault) {
	c.mu.Lock()
	c.fault = f
	c.mu.Unlock()
}

// Result returns the stored score of a sourcedid and whether there is one.
func (c *Consumer) Result(sourcedID string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.results[sourcedID]
	return s, ok
}

// Log returns every request received, in order.
func (c *Consumer) Log() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Request(nil), c.log...)
}

// Accepted returns the requests answered with success, in order.
func (c *Consumer) Accepted() []Request {
	var out []Request
	for _, r := range c.Log() {
		if r.Reply == "success" {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets the log (not the stored results).
func (c *Consumer) Reset() {
	c.mu.Lock()
	c.log = nil
	c.mu.Unlock()
}

func (c *Consumer) record(r Request) {
	c.mu.Lock()
	c.log = append(c.log, r)
	c.mu.Unlock()
}

func (c *Consumer) serve(w http.ResponseWriter, r *http.Request) {
	if c.Latency > 0 {
		time.Sleep(c.Latency)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	req := parseRequest(body)
	req.At = time.Now()

	c.mu.Lock()
	fault := c.fault
	c.mu.Unlock()
	if fault != nil {
		if f := fault(req); f != nil {
			c.answerFault(w, req, f)
			return
		}
	}

	// What mod/lti/service.php checks, in its order: an OAuth header with a
	// body hash, not a form body, the signature, then the XML.
	params, perr := oauth1.ParseAuthorization(r.Header.Get("Authorization"))
	req.Nonce = params.Value("oauth_nonce")
	if perr != nil || params.Value("oauth_consumer_key") != c.Key ||
		strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		c.refuse(w, req, "Message signature not valid", "")
		return
	}
	url := "http://" + r.Host + r.URL.RequestURI()
	if err := c.verifier.Verify(r.Context(), oauth1.Request{Method: r.Method, URL: url, Params: params, Body: body, BodyHashRequired: true}, c.Secret); err != nil {
		c.refuse(w, req, "Message signature not valid", "")
		return
	}
	switch req.Operation {
	case "replaceResult":
		if !validScore(req.Score) {
			c.refuse(w, req, "Score not between 0.0 and 1.0", req.MessageID)
			return
		}
		c.mu.Lock()
		c.results[req.SourcedID] = req.Score
		c.mu.Unlock()
		c.succeed(w, req, "Grade replace response", "<replaceResultResponse/>")
	case "readResult":
		c.mu.Lock()
		score := c.results[req.SourcedID]
		c.mu.Unlock()
		c.succeed(w, req, "Result read", "<readResultResponse><result><resultScore><language>en</language><textString>"+score+"</textString></resultScore></result></readResultResponse>")
	case "deleteResult":
		c.mu.Lock()
		delete(c.results, req.SourcedID)
		c.mu.Unlock()
		c.succeed(w, req, "Grade delete request", "<deleteResultResponse/>")
	default:
		c.refuse(w, req, "Invalid XML content", "")
	}
}

func (c *Consumer) answerFault(w http.ResponseWriter, req Request, f *Fault) {
	switch {
	case f.Drop:
		req.Reply = "dropped"
		c.record(req)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case f.Refuse != "":
		c.refuse(w, req, f.Refuse, req.MessageID)
	default:
		req.Reply = fmt.Sprintf("HTTP %d", f.Status)
		c.record(req)
		for k, v := range f.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(f.Status)
		io.WriteString(w, f.Body)
	}
}

// succeed answers like lti_get_response_xml('success', …).
func (c *Consumer) succeed(w http.ResponseWriter, req Request, description, bodyXML string) {
	req.Reply = "success"
	c.record(req)
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	io.WriteString(w, Response("success", description, req.MessageID, req.Operation+"Request", bodyXML))
}

// refuse answers like Moodle's service_exception_handler: HTTP 200 with
// imsx_codeMajor failure.
func (c *Consumer) refuse(w http.ResponseWriter, req Request, description, messageRef string) {
	req.Reply = "failure"
	c.record(req)
	op, body := "unknownRequest", "<unknownResponse/>"
	if messageRef != "" {
		op, body = req.Operation+"Request", "<"+req.Operation+"Response/>"
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	io.WriteString(w, Response("failure", description, messageRef, op, body))
}

// Response renders a POX response exactly as Moodle 4.5 does (see
// ../testdata/outcomes-*.txt); messageRef "" gives the empty element.
func Response(codeMajor, description, messageRef, operationRef, bodyXML string) string {
	ref := "<imsx_messageRefIdentifier/>"
	if messageRef != "" {
		ref = "<imsx_messageRefIdentifier>" + esc(messageRef) + "</imsx_messageRefIdentifier>"
	}
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<imsx_POXEnvelopeResponse xmlns="http://www.imsglobal.org/services/ltiv1p1/xsd/imsoms_v1p0"><imsx_POXHeader><imsx_POXResponseHeaderInfo><imsx_version>V1.0</imsx_version><imsx_messageIdentifier>1558278428</imsx_messageIdentifier><imsx_statusInfo><imsx_codeMajor>` +
		codeMajor + `</imsx_codeMajor><imsx_severity>status</imsx_severity><imsx_description>` + esc(description) + `</imsx_description>` +
		ref + `<imsx_operationRefIdentifier>` + operationRef + `</imsx_operationRefIdentifier></imsx_statusInfo></imsx_POXResponseHeaderInfo></imsx_POXHeader><imsx_POXBody>` +
		bodyXML + `</imsx_POXBody></imsx_POXEnvelopeResponse>` + "\n"
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// parseRequest reads the parts of a POX request the consumer needs.
func parseRequest(body []byte) Request {
	var env struct {
		ID   string `xml:"imsx_POXHeader>imsx_POXRequestHeaderInfo>imsx_messageIdentifier"`
		Body struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"imsx_POXBody"`
	}
	var r Request
	if xml.Unmarshal(body, &env) != nil {
		return r
	}
	r.MessageID = env.ID
	var op struct {
		XMLName   xml.Name
		SourcedID string `xml:"resultRecord>sourcedGUID>sourcedId"`
		Score     string `xml:"resultRecord>result>resultScore>textString"`
	}
	if xml.Unmarshal(env.Body.Inner, &op) != nil {
		return r
	}
	r.Operation = strings.TrimSuffix(op.XMLName.Local, "Request")
	r.SourcedID, r.Score = op.SourcedID, op.Score
	return r
}

// validScore is lti_parse_grade_replace_message's check: a number from 0
// to 1.
func validScore(s string) bool {
	var f float64
	if _, err := fmt.Sscanf(s, "%g", &f); err != nil {
		return false
	}
	return f >= 0 && f <= 1
}

type memNonces struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (n *memNonces) Use(_ context.Context, key, nonce string, _ time.Time) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen[key+"\x00"+nonce] {
		return oauth1.ErrReplay
	}
	n.seen[key+"\x00"+nonce] = true
	return nil
}
