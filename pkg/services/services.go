package services

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/content"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/oauth1"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// Handler serves /local/ltiprovider/services.php.
type Handler struct {
	DB *database.DB
	// WWWRoot is Moodle's public URL; signatures are checked against
	// WWWRoot + the request's path and query, never the Host header.
	WWWRoot string
	// Window is how far oauth_timestamp may be from now.
	Window time.Duration
	Nonces oauth1.NonceStore
	Sites  *moodle.SiteCache
	// Sessions ends the caller's Moodle session for force_logout (a
	// *session.Manager); nil answers 503.
	Sessions Sessions
	// DataRoot is $CFG->dataroot when this machine shares it: the language
	// packs of the names the service writes; "" means English.
	DataRoot string
	// AppCache is Moodle's file application cache when the service shares
	// Moodle's cache folder; entries a call made stale are removed after
	// it commits. nil leaves them to expire.
	AppCache *moodle.FileAppCache
	Log      *slog.Logger
	Now      func() time.Time
}

// Sessions is what force_logout needs of the session handoff.
type Sessions interface {
	// BrowserSID is the Moodle session id the browser sent, "" for none.
	BrowserSID(ctx context.Context, r *http.Request) (string, error)
	// Cookie is the site's session cookie, to expire it.
	Cookie(ctx context.Context) (session.Cookie, error)
	// Destroy ends a session wherever Moodle keeps it.
	Destroy(ctx context.Context, q database.Querier, sid string) error
}

// Routes mounts the endpoint. The plugin's contract is a POST; GET is
// refused like any other method.
func (h *Handler) Routes(r *mux.Router) {
	r.Handle("/services.php", h)
}

// maxBody bounds a service request's form.
const maxBody = 1 << 20

// Services are the values of custom_service.
const (
	CreateContext     = "create_context"
	DuplicateResource = "duplicate_resource"
	ForceLogout       = "force_logout"
)

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// ServeHTTP verifies the request like a launch and runs the service in one
// transaction: an error leaves nothing behind.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "methodnotallowed", "services.php accepts only POST requests.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "badrequest", "The request body is not a readable form.")
		return
	}
	if strings.TrimSpace(r.Form.Get("custom_service")) == "" {
		writeError(w, http.StatusBadRequest, "missingservice", "The request has no custom_service.")
		return
	}
	params := oauth1.FromValues(r.PostForm)
	if auth := r.Header.Get("Authorization"); strings.HasPrefix(auth, "OAuth ") {
		hp, err := oauth1.ParseAuthorization(auth)
		if err != nil {
			writeError(w, http.StatusUnauthorized, "invalidsignature", "The OAuth Authorization header is malformed.")
			return
		}
		params = append(params, hp...)
	}
	tool, secret, err := h.credentials(ctx, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	publicURL := strings.TrimRight(h.WWWRoot, "/") + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		publicURL += "?" + r.URL.RawQuery
	}
	v := oauth1.Verifier{Window: h.Window, Nonces: h.Nonces, Now: h.Now}
	if err := v.Verify(ctx, oauth1.Request{Method: r.Method, URL: publicURL, Params: params}, secret); err != nil {
		if !errors.Is(err, oauth1.ErrMissing) && !isOAuthError(err) {
			h.fail(w, r, err)
			return
		}
		writeError(w, http.StatusUnauthorized, "invalidsignature", "The request's OAuth signature is not valid: "+
			strings.TrimPrefix(err.Error(), "oauth1: ")+".")
		return
	}
	if tool != nil {
		if err := h.checkConsumerKey(ctx, tool, params.Value("oauth_consumer_key")); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	p := decodeBase64(params)
	if p.Value("lti_message_type") != "basic-lti-launch-request" ||
		(p.Value("lti_version") != "LTI-1p0" && p.Value("lti_version") != "LTI-1.0") || p.Value("resource_link_id") == "" {
		writeError(w, http.StatusBadRequest, "invalidrequest",
			"A service request is a basic-lti-launch-request of LTI-1p0 with a resource_link_id.")
		return
	}
	call := &call{h: h, r: r, tool: tool, secret: secret, p: p}
	switch service := strings.TrimSpace(p.Value("custom_service")); service {
	case CreateContext:
		err = call.createContext(ctx, w)
	case DuplicateResource:
		err = call.duplicateResource(ctx, w)
	case ForceLogout:
		err = call.forceLogout(ctx, w)
	default:
		writeError(w, http.StatusBadRequest, "unknownservice", "custom_service must be create_context, duplicate_resource or force_logout.")
		return
	}
	if err != nil {
		h.fail(w, r, err)
	}
}

// credentials finds the tool of the request and the secret to verify it
// with (plugin-behaviour.md §11): the tool named by id; else the course whose
// idnumber is context_id and its one course tool; else the site's global
// shared secret.
func (h *Handler) credentials(ctx context.Context, r *http.Request) (*store.Tool, string, error) {
	var tool *store.Tool
	if id, _ := strconv.ParseInt(r.Form.Get("id"), 10, 64); id > 0 {
		t, err := store.GetTool(ctx, h.DB, id)
		if err != nil && !errors.Is(err, database.ErrNotFound) {
			return nil, "", err
		}
		tool = t
	} else if cid := r.Form.Get("context_id"); cid != "" {
		courses, err := moodle.CoursesByIDNumber(ctx, h.DB, cid)
		if err != nil {
			return nil, "", err
		}
		if len(courses) > 1 {
			return nil, "", content.ErrCannotDetermine
		}
		if len(courses) == 1 {
			cctx, err := moodle.ContextOf(ctx, h.DB, moodle.ContextCourse, courses[0].ID)
			if err != nil {
				return nil, "", err
			}
			tools, err := store.ToolsByContext(ctx, h.DB, cctx.ID)
			if err != nil {
				return nil, "", err
			}
			if len(tools) > 1 {
				return nil, "", content.ErrCannotDetermine
			}
			if len(tools) == 1 {
				tool = &tools[0]
			}
		}
	}
	if tool != nil {
		if tool.Disabled {
			return nil, "", errToolDisabled
		}
		if tool.Secret != "" {
			return tool, tool.Secret, nil
		}
		return nil, "", errInvalidTool
	}
	s, err := settings.Load(ctx, h.DB)
	if err != nil {
		return nil, "", err
	}
	if s.GlobalSharedSecret == "" {
		return nil, "", errInvalidTool
	}
	return nil, s.GlobalSharedSecret, nil
}

// checkConsumerKey makes a request verified with a tool's secret speak only
// for the consumer keys the tool accepts, as a launch does: its bound keys,
// or, while it has none, a key that no tool with another secret uses. Tools
// made for the request bind its key, so without this a tool's secret could
// claim any consumer's users (store.KeyUsedWithOtherSecret).
func (h *Handler) checkConsumerKey(ctx context.Context, tool *store.Tool, key string) error {
	bound, total, err := store.ConsumerKeyBound(ctx, h.DB, tool.ID, key)
	if err != nil || bound {
		return err
	}
	if total == 0 {
		used, err := store.KeyUsedWithOtherSecret(ctx, h.DB, tool.ID, key, tool.Secret)
		if err != nil || !used {
			return err
		}
	}
	return errKeyNotAccepted
}

// call is one verified service request.
type call struct {
	h       *Handler
	r       *http.Request
	tool    *store.Tool
	secret  string
	p       oauth1.Params
	pending moodle.PendingInvalidations
}

// inTx runs fn in one transaction and applies the cache invalidations it
// recorded once it committed.
func (c *call) inTx(ctx context.Context, fn func(tx *database.Tx) error) error {
	err := c.h.DB.WithTx(ctx, func(tx *database.Tx) error {
		c.pending.Reset()
		return fn(tx)
	})
	if err == nil {
		c.pending.Apply(c.h.AppCache)
	}
	return err
}

// env is who acts: nobody is logged in during a service call.
func (c *call) env(ctx context.Context, q database.Querier) (moodle.Env, *settings.Site, error) {
	site, err := c.h.Sites.Get(ctx)
	if err != nil {
		return moodle.Env{}, nil, err
	}
	ls, err := moodle.LoadLogStore(ctx, q, site)
	if err != nil {
		return moodle.Env{}, nil, err
	}
	s, err := settings.Load(ctx, q)
	if err != nil {
		return moodle.Env{}, nil, err
	}
	return moodle.Env{Site: site, Log: ls, IP: web.ClientOf(c.r).IP, Now: c.h.now(), Caches: &c.pending, WWWRoot: c.h.WWWRoot, DataRoot: c.h.DataRoot}, s, nil
}

// createContext returns the course of the request's LTI context, creating
// it from the template when it does not exist. Unlike the plugin it needs a
// role in rolesallowedcreatecontexts, only a request verified with the
// global shared secret creates a course, and a course that exists is
// returned only to a request verified with its tool's secret.
func (c *call) createContext(ctx context.Context, w http.ResponseWriter) error {
	template := strings.TrimSpace(c.p.Value("custom_context_template"))
	if template == "" {
		return content.ErrNoTemplate
	}
	var out []byte
	err := c.inTx(ctx, func(tx *database.Tx) error {
		env, s, err := c.env(ctx, tx)
		if err != nil {
			return err
		}
		if !content.RoleAllowed(s.RolesAllowedCreateContexts, c.p.Value("roles")) {
			return content.ErrRoleCannotCreate
		}
		// Only the global shared secret creates courses (as on a launch): a
		// tool's secret finds the course of its context, never makes one.
		global := c.tool == nil
		res, err := content.EnsureCourse(ctx, tx, env, s, content.ContextRequest{Params: c.p, Template: template,
			MayCreate: global, UserData: userData(c.p), Secret: c.secret})
		if !global && errors.Is(err, content.ErrRoleCannotCreate) {
			return errCreateNeedsGlobalSecret
		}
		if err != nil {
			return err
		}
		if !res.Created && subtle.ConstantTimeCompare([]byte(res.Tool.Secret), []byte(c.secret)) != 1 {
			return errOtherSecret
		}
		rec, err := moodle.GetRecord(ctx, tx, "SELECT * FROM {course} WHERE id = ?", res.CourseID)
		if err != nil {
			return err
		}
		out, err = answer(rec, res.Report)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, out)
	return nil
}

// duplicateResource copies the activity custom_resource_link_copy_id into
// the tool's course for resource_link_id, once.
func (c *call) duplicateResource(ctx context.Context, w http.ResponseWriter) error {
	if c.tool == nil {
		return errMissingTool
	}
	var out []byte
	err := c.inTx(ctx, func(tx *database.Tx) error {
		env, _, err := c.env(ctx, tx)
		if err != nil {
			return err
		}
		res, err := content.DuplicateResource(ctx, tx, env, content.ResourceRequest{Tool: c.tool,
			CopyID: strings.TrimSpace(c.p.Value("custom_resource_link_copy_id")), ResourceLinkID: c.p.Value("resource_link_id"),
			Params: c.p, Secret: c.secret, UserData: userData(c.p)})
		if err != nil {
			return err
		}
		rec, err := CourseModuleRecord(ctx, tx, res.CMID)
		if err != nil {
			return err
		}
		out, err = answer(rec, res.Report)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, out)
	return nil
}

// forceLogout ends the Moodle session of the browser that posted the
// request, as the plugin's require_logout() did, and expires its cookie.
func (c *call) forceLogout(ctx context.Context, w http.ResponseWriter) error {
	if c.h.Sessions == nil {
		return errNoSessions
	}
	sid, err := c.h.Sessions.BrowserSID(ctx, c.r)
	if err != nil {
		return err
	}
	if sid != "" {
		if err := c.h.Sessions.Destroy(ctx, c.h.DB, sid); err != nil {
			return err
		}
	}
	cookie, err := c.h.Sessions.Cookie(ctx)
	if err != nil {
		return err
	}
	http.SetCookie(w, cookie.Expire())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	return nil
}

// CourseModuleRecord is what get_coursemodule_from_id() returns: every
// course_modules column, then the activity's name and the module type.
func CourseModuleRecord(ctx context.Context, q database.Querier, cmID int64) (moodle.Record, error) {
	cm, err := moodle.GetCourseModule(ctx, q, cmID)
	if err != nil {
		return moodle.Record{}, err
	}
	if !validModName(cm.ModName) {
		return moodle.Record{}, fmt.Errorf("module type %q", cm.ModName)
	}
	return moodle.GetRecord(ctx, q, "SELECT cm.*, m.name, md.name AS modname FROM {course_modules} cm "+
		"JOIN {modules} md ON md.id = cm.module JOIN {"+cm.ModName+"} m ON m.id = cm.instance WHERE cm.id = ?", cmID)
}

func validModName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// userData: custom_copy_userdata=1 asks for the template's or activity's
// user data too.
func userData(p oauth1.Params) bool { return p.Value("custom_copy_userdata") == "1" }

// notDecoded are the parameters custom_lti_message_encoded_base64 leaves
// alone (ims-blti's list). The plugin's services.php never decoded (its
// check read an undefined variable); this does, as tool.php did.
var notDecoded = map[string]bool{"lti_version": true, "lti_message_type": true, "tool_consumer_instance_description": true,
	"tool_consumer_instance_guid": true, "oauth_consumer_key": true, "custom_lti_message_encoded_base64": true,
	"oauth_nonce": true, "oauth_version": true, "oauth_callback": true, "oauth_timestamp": true, "basiclti_submit": true,
	"oauth_signature_method": true, "ext_ims_lis_memberships_id": true, "ext_ims_lis_memberships_url": true,
	"oauth_signature": true, "oauth_body_hash": true}

// decodeBase64 applies custom_lti_message_encoded_base64=1 after the
// signature was verified (over the encoded values).
func decodeBase64(p oauth1.Params) oauth1.Params {
	if p.Value("custom_lti_message_encoded_base64") != "1" {
		return p
	}
	out := make(oauth1.Params, len(p))
	for i, kv := range p {
		out[i] = kv
		if notDecoded[kv.Key] {
			continue
		}
		if b, err := base64.StdEncoding.DecodeString(kv.Value); err == nil {
			out[i].Value = string(b)
		}
	}
	return out
}

func isOAuthError(err error) bool {
	for _, e := range []error{oauth1.ErrMissing, oauth1.ErrSignatureMethod, oauth1.ErrVersion, oauth1.ErrTimestamp,
		oauth1.ErrExpired, oauth1.ErrNonce, oauth1.ErrReplay, oauth1.ErrSignature, oauth1.ErrBodyHash, oauth1.ErrBadURL} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
