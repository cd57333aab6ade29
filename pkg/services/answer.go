package services

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/content"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/coursecopy"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// Errors of the endpoint itself (the others come from provision).
var (
	errToolDisabled = &content.Error{Code: "tooldisabled", Status: http.StatusForbidden, Message: "This tool is disabled."}
	errInvalidTool  = &content.Error{Code: "invalidtoolid", Status: http.StatusUnauthorized,
		Message: "No tool matches this request and the site has no global shared secret."}
	errMissingTool = &content.Error{Code: "missingrequiredtool", Status: http.StatusBadRequest,
		Message: "duplicate_resource needs a course tool: give its id, or the context_id of its course."}
	errOtherSecret = &content.Error{Code: "cantdeterminecontext", Status: http.StatusForbidden,
		Message: "The course of this context exists and is provided with another secret."}
	errCreateNeedsGlobalSecret = &content.Error{Code: "rolecannotcreatecontexts", Status: http.StatusForbidden,
		Message: "Only a request signed with the site's global shared secret may create a course; this one was signed with a tool's secret."}
	errKeyNotAccepted = &content.Error{Code: "consumerkeynotaccepted", Status: http.StatusForbidden,
		Message: "This consumer key is not accepted by this tool. Check the consumer key set for this tool, or ask the site administrator to allow it."}
	errNoSessions = &content.Error{Code: "sessionsunavailable", Status: http.StatusServiceUnavailable,
		Message: "Logging out is not available: the service has no session strategy configured."}
)

// answer is the plugin's JSON answer: the record, as json_encode() prints
// it, plus, when a copy left modules out or had to drop references, the
// keys "skipped" and "warnings".
func answer(rec moodle.Record, rep *coursecopy.Report) ([]byte, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	if rep == nil || (len(rep.Skipped) == 0 && len(rep.Warnings) == 0) {
		return b, nil
	}
	extra, err := moodle.PHPJSON(moodle.Fields{{Key: "skipped", Value: skippedOrEmpty(rep.Skipped)},
		{Key: "warnings", Value: warningsOrEmpty(rep.Warnings)}})
	if err != nil {
		return nil, err
	}
	// Splice the two keys into the record's object.
	out := append(bytes.TrimSuffix(b, []byte("}")), ',')
	return append(out, extra[1:]...), nil
}

func skippedOrEmpty(s []coursecopy.Skipped) any {
	if s == nil {
		return []coursecopy.Skipped{}
	}
	return s
}

func warningsOrEmpty(s []string) any {
	if s == nil {
		return []string{}
	}
	return s
}

func writeJSON(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// writeError answers {"error": code, "message": text} with a status.
func writeError(w http.ResponseWriter, status int, code, message string) {
	web.JSON(w, status, map[string]string{"error": code, "message": message})
}

// fail answers an error: a refusal with its code and status, anything else
// as a 500 (503 for a lost race) with a generic message; the cause is
// logged, never sent.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *content.Error
	if errors.As(err, &pe) {
		msg := pe.Message
		if s := err.Error(); s != pe.Message {
			msg = s
		}
		writeError(w, pe.Status, pe.Code, msg)
		return
	}
	if errors.Is(err, database.ErrDeadlock) || errors.Is(err, database.ErrDuplicate) {
		writeError(w, http.StatusServiceUnavailable, "busy", "The site is busy; try again in a moment.")
		return
	}
	if h.Log != nil {
		h.Log.ErrorContext(r.Context(), "services.php failed", "err", err)
	}
	writeError(w, http.StatusInternalServerError, "internal", "The request could not be completed; the site's log has the details.")
}
