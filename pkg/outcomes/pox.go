package outcomes

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Operations of LTI 1.1 Basic Outcomes.
const (
	Replace = "replaceResult"
	Read    = "readResult"
	Delete  = "deleteResult"
)

// Namespace is the POX namespace of the LTI 1.1 specification.
const Namespace = "http://www.imsglobal.org/services/ltiv1p1/xsd/imsoms_v1p0"

// namespaceOMS is the namespace some Moodle versions answer in; responses in
// either are read the same way.
const namespaceOMS = "http://www.imsglobal.org/lis/oms1p0/pox"

// Message is one outcomes request.
type Message struct {
	Operation string // Replace, Read or Delete
	SourcedID string // lis_result_sourcedid, opaque, sent back unchanged
	// Score is the decimal text of a replaceResult, between 0 and 1.
	Score string
	// Language of the score; "en" when empty.
	Language string
	// ID is the imsx_messageIdentifier; NewMessageID when empty.
	ID string
}

// ErrBadMessage: the message cannot be sent as it is.
var ErrBadMessage = errors.New("outcomes: bad message")

// NewMessageID returns a unique imsx_messageIdentifier: 64 random bits in
// hex, the form of the identifiers in Moodle's own exchanges.
func NewMessageID() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic("outcomes: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// Body returns the POX request envelope, laid out exactly like the requests
// Moodle 4.5 accepted in testdata/. Every value is escaped.
func (m *Message) Body() ([]byte, error) {
	if m.ID == "" {
		m.ID = NewMessageID()
	}
	if m.Language == "" {
		m.Language = "en"
	}
	if m.SourcedID == "" {
		return nil, fmt.Errorf("%w: empty sourcedId", ErrBadMessage)
	}
	var record strings.Builder
	record.WriteString("<resultRecord><sourcedGUID><sourcedId>")
	if err := escapeText(&record, m.SourcedID); err != nil {
		return nil, err
	}
	record.WriteString("</sourcedId></sourcedGUID>")
	switch m.Operation {
	case Replace:
		if err := CheckScore(m.Score); err != nil {
			return nil, err
		}
		record.WriteString("<result><resultScore><language>")
		if err := escapeText(&record, m.Language); err != nil {
			return nil, err
		}
		record.WriteString("</language><textString>" + m.Score + "</textString></resultScore></result>")
	case Read, Delete:
	default:
		return nil, fmt.Errorf("%w: unknown operation %q", ErrBadMessage, m.Operation)
	}
	record.WriteString("</resultRecord>")

	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<imsx_POXEnvelopeRequest xmlns="` + Namespace + `">` + "\n")
	b.WriteString("<imsx_POXHeader><imsx_POXRequestHeaderInfo><imsx_version>V1.0</imsx_version><imsx_messageIdentifier>")
	if err := escapeText(&b, m.ID); err != nil {
		return nil, err
	}
	b.WriteString("</imsx_messageIdentifier></imsx_POXRequestHeaderInfo></imsx_POXHeader>\n")
	b.WriteString("<imsx_POXBody><" + m.Operation + "Request>" + record.String() + "</" + m.Operation + "Request></imsx_POXBody>\n")
	b.WriteString("</imsx_POXEnvelopeRequest>")
	return b.Bytes(), nil
}

// CheckScore accepts the decimal text of a score between 0 and 1, the only
// values the specification allows ("0", "0.85", "1.0").
func CheckScore(s string) error {
	bad := fmt.Errorf("%w: score %q is not a decimal between 0 and 1", ErrBadMessage, s)
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") || !digits(intPart) || !digits(frac) {
		return bad
	}
	intPart = strings.TrimLeft(intPart, "0")
	switch intPart {
	case "":
		return nil
	case "1":
		if strings.Trim(frac, "0") == "" {
			return nil
		}
	}
	return bad
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// escapeText writes s as XML character data. Only what must be escaped is:
// &, < and > (so "]]>" cannot appear), and \r, which a parser would turn
// into \n. Quotes stay literal, as in Moodle's own requests. Characters XML
// 1.0 cannot carry at all are refused rather than altered.
func escapeText(w io.StringWriter, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: value is not valid UTF-8", ErrBadMessage)
	}
	for _, r := range s {
		if !xmlChar(r) {
			return fmt.Errorf("%w: value contains a character XML cannot carry (U+%04X)", ErrBadMessage, r)
		}
	}
	_, err := w.WriteString(textEscaper.Replace(s))
	return err
}

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")

// xmlChar is the Char production of XML 1.0.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// Response is what a consumer answered.
type Response struct {
	CodeMajor   string // success, processing, failure or unsupported
	Severity    string
	Description string // imsx_description, the consumer's explanation
	MessageRef  string // imsx_messageRefIdentifier
	Operation   string // imsx_operationRefIdentifier
	// Score is the textString of a readResult answer ("" when there is none).
	Score string
}

// OK reports whether the consumer accepted the request: imsx_codeMajor is
// success (or processing, which accepts it for later).
func (r *Response) OK() bool {
	return strings.EqualFold(r.CodeMajor, "success") || strings.EqualFold(r.CodeMajor, "processing")
}

// ErrUnreadable: the answer is not a POX response envelope.
var ErrUnreadable = errors.New("outcomes: the answer is not a POX response")

// ParseResponse reads a POX response envelope. Go's XML decoder expands no
// external entities; a document type declaration is refused outright, so
// entity tricks (XXE, "billion laughs") end here. The caller bounds the
// size.
func ParseResponse(body []byte) (*Response, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.Entity = nil
	var (
		r     Response
		path  []string
		text  strings.Builder
		root  bool
		found bool
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, fmt.Errorf("%w: document type declarations are not accepted", ErrUnreadable)
		case xml.StartElement:
			if len(path) == 0 {
				if t.Name.Local != "imsx_POXEnvelopeResponse" || !knownNamespace(t.Name.Space) {
					return nil, fmt.Errorf("%w: root element %q", ErrUnreadable, t.Name.Local)
				}
				root = true
			}
			path = append(path, t.Name.Local)
			text.Reset()
		case xml.CharData:
			if text.Len() < 8192 {
				text.Write(t)
			}
		case xml.EndElement:
			v := strings.TrimSpace(text.String())
			if inStatus(path) {
				switch t.Name.Local {
				case "imsx_codeMajor":
					r.CodeMajor, found = v, true
				case "imsx_severity":
					r.Severity = v
				case "imsx_description":
					r.Description = v
				case "imsx_messageRefIdentifier":
					r.MessageRef = v
				case "imsx_operationRefIdentifier":
					r.Operation = v
				}
			}
			if t.Name.Local == "textString" && contains(path, "resultScore") {
				r.Score = v
			}
			path = path[:len(path)-1]
			text.Reset()
		}
	}
	if !root || !found {
		return nil, fmt.Errorf("%w: no imsx_codeMajor", ErrUnreadable)
	}
	return &r, nil
}

func knownNamespace(ns string) bool { return ns == Namespace || ns == namespaceOMS || ns == "" }

// inStatus reports whether the element being closed sits in the response
// header's imsx_statusInfo.
func inStatus(path []string) bool {
	n := len(path)
	return n >= 2 && path[n-2] == "imsx_statusInfo" && contains(path, "imsx_POXResponseHeaderInfo")
}

func contains(path []string, name string) bool {
	for _, p := range path {
		if p == name {
			return true
		}
	}
	return false
}
