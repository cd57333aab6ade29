package launch

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/lti11"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// MaxBody bounds a launch's body. Real launches are a few kilobytes.
const MaxBody = 1 << 20

// Path is the launch URL's path under Moodle's wwwroot, the plugin's.
const Path = web.BasePath + "/tool.php"

// incoming is a launch request as read, before anything is trusted.
type incoming struct {
	query url.Values
	form  url.Values
	// signed are the form and Authorization-header parameters.
	signed oauth1.Params
	// url is the public URL the consumer signed: wwwroot, the launch path
	// and the query string as sent.
	url string
}

// read reads a launch: POST, a form body of at most MaxBody bytes.
func (h *Handler) read(w http.ResponseWriter, r *http.Request) (*incoming, *failure) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, pageError(http.StatusUnsupportedMediaType, "Not a launch",
			"An LTI launch is a form posted by the consumer (application/x-www-form-urlencoded).")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, pageError(http.StatusRequestEntityTooLarge, "Launch too large", "The launch sent more data than this site accepts.")
		}
		return nil, pageError(http.StatusBadRequest, "Launch not received", "The launch could not be read completely. Please try again.")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, pageError(http.StatusBadRequest, "Malformed launch", "The launch's form data is malformed.")
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, pageError(http.StatusBadRequest, "Malformed launch", "The launch URL's query string is malformed.")
	}
	signed, err := lti11.Signed(form, r.Header.Get("Authorization"))
	if err != nil {
		return nil, verificationFailure(err)
	}
	u := h.wwwroot + Path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return &incoming{query: query, form: form, signed: signed, url: u}, nil
}

// param is optional_param(): the POSTed value, else the query's, raw.
func (in *incoming) param(name string) (string, bool) {
	if vs, ok := in.form[name]; ok && len(vs) > 0 {
		return vs[0], true
	}
	if vs, ok := in.query[name]; ok && len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// toolID is optional_param('id', 0, PARAM_INT): the leading integer of the
// value, 0 when there is none.
func (in *incoming) toolID() int64 {
	v, _ := in.param("id")
	v = strings.TrimSpace(v)
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(v[:end], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// decoded is a parameter read before verification (to find the tool),
// base64-decoded when the consumer says the launch is encoded, as tool.php
// did. The value is only used to look things up.
func (in *incoming) decoded(name string) string {
	v, _ := in.param(name)
	if enc, _ := in.param("custom_lti_message_encoded_base64"); lti11.IsEncoded(enc) {
		if d, err := lti11.DecodeBase64(v); err == nil {
			return d
		}
		return ""
	}
	return v
}
