package lti11

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
)

// The only message and version a launch may carry.
const (
	MessageTypeLaunch = "basic-lti-launch-request"
	VersionLTI1       = "LTI-1p0"
)

// Errors of a launch whose signature verified but whose content is wrong.
// Their text is meant for the consumer's user (lti_errormsg) and for the
// error page; it carries no secret and no signature.
var (
	ErrMessageType    = errors.New("This is not an LTI basic launch (lti_message_type must be basic-lti-launch-request).")
	ErrVersion        = errors.New("This LTI version is not supported (lti_version must be LTI-1p0).")
	ErrNoResourceLink = errors.New("The launch has no resource_link_id.")
	ErrNoUserID       = errors.New("The launch has no user_id, so the user cannot be identified.")
	ErrBase64         = errors.New("A parameter of this base64-encoded launch could not be decoded.")
	ErrEncoding       = errors.New("The launch data is not valid UTF-8 text.")
)

// Signed returns every parameter a consumer signs in a launch besides the
// query string (which the verifier takes from the URL): the form fields and
// the oauth_* parameters of an OAuth Authorization header, if any.
func Signed(form url.Values, authorization string) (oauth1.Params, error) {
	p := oauth1.FromValues(form)
	if strings.HasPrefix(strings.TrimSpace(authorization), "OAuth ") {
		hp, err := oauth1.ParseAuthorization(authorization)
		if err != nil {
			return nil, err
		}
		p = append(p, hp...)
	}
	return p, nil
}

// Launch is the data of a basic launch: the POSTed fields except
// basiclti_submit and the oauth_* parameters (oauth_consumer_key is kept),
// decoded when the consumer base64-encoded them.
type Launch struct {
	data map[string]string
}

// base64Exempt are the fields a base64-encoded launch sends in clear
// (BLTI::decodeBase64 of the plugin).
var base64Exempt = map[string]bool{
	"lti_version": true, "lti_message_type": true, "tool_consumer_instance_description": true,
	"tool_consumer_instance_guid": true, "oauth_consumer_key": true, "custom_lti_message_encoded_base64": true,
	"oauth_nonce": true, "oauth_version": true, "oauth_callback": true, "oauth_timestamp": true,
	"basiclti_submit": true, "oauth_signature_method": true, "ext_ims_lis_memberships_id": true,
	"ext_ims_lis_memberships_url": true,
}

// NewLaunch builds the launch data from the POSTed form. With
// custom_lti_message_encoded_base64=1 every other field is base64-decoded,
// as the plugin did. A field sent twice keeps its first value.
func NewLaunch(form url.Values) (*Launch, error) {
	l := &Launch{data: make(map[string]string, len(form))}
	for k, vs := range form {
		if len(vs) == 0 || k == "basiclti_submit" || (strings.Contains(k, "oauth_") && k != "oauth_consumer_key") {
			continue
		}
		l.data[k] = vs[0]
	}
	if l.Encoded() {
		for k, v := range l.data {
			if base64Exempt[k] {
				continue
			}
			d, err := DecodeBase64(v)
			if err != nil {
				return nil, ErrBase64
			}
			l.data[k] = d
		}
	}
	for _, v := range l.data {
		if !utf8.ValidString(v) {
			return nil, ErrEncoding
		}
	}
	return l, nil
}

// Encoded reports whether the consumer base64-encoded the launch data.
func (l *Launch) Encoded() bool { return IsEncoded(l.data["custom_lti_message_encoded_base64"]) }

// IsEncoded reports whether a custom_lti_message_encoded_base64 value
// switches the encoding on (PHP's intval(…) == 1).
func IsEncoded(v string) bool { return strings.TrimSpace(v) == "1" }

// DecodeBase64 decodes a value the way PHP's base64_decode() accepts it:
// standard alphabet, padding optional, blanks ignored.
func DecodeBase64(v string) (string, error) {
	v = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, v)
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(v, "="))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// Get returns a launch field, "" when absent.
func (l *Launch) Get(name string) string { return l.data[name] }

// Lookup returns a launch field and whether the consumer sent it.
func (l *Launch) Lookup(name string) (string, bool) {
	v, ok := l.data[name]
	return v, ok
}

// ConsumerKey is the oauth_consumer_key the launch was signed with.
func (l *Launch) ConsumerKey() string { return l.data["oauth_consumer_key"] }

// Roles are the launch's parsed roles.
func (l *Launch) Roles() Roles { return ParseRoles(l.data["roles"]) }

// Check returns the first reason a verified launch cannot be accepted:
// another message type or version, no resource_link_id, or no user_id (a
// launch without user_id never lands in a shared account).
func (l *Launch) Check() error {
	switch {
	case l.data["lti_message_type"] != MessageTypeLaunch:
		return ErrMessageType
	case l.data["lti_version"] != VersionLTI1:
		return ErrVersion
	case strings.TrimSpace(l.data["resource_link_id"]) == "":
		return ErrNoResourceLink
	case l.data["user_id"] == "":
		return ErrNoUserID
	}
	return nil
}
