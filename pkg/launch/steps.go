package launch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/lti11"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/provision"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/session"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// state is one verified launch on its way through the steps. The fields
// above the line are known before the transaction; the steps fill the
// rest. A transaction that is rerun (a deadlock, a lost race) starts again
// from a fresh copy.
type state struct {
	h           *Handler
	browser     *http.Request
	msg         *lti11.Launch
	consumerKey string      // the key that verified the signature
	tool        *store.Tool // nil until createContext made or found it
	secret      string      // the secret that verified the launch
	site        *moodle.Site
	settings    *settings.Site
	env         provision.Env
	returnURL   string // validated launch_presentation_return_url, or ""
	// ----
	toolCtx    moodle.Context
	course     *moodle.Course
	courseCtx  moodle.Context
	module     *moodle.CourseModule // the activity of an activity tool
	moduleCtx  *moodle.Context
	user       *moodle.User
	created    bool
	instructor bool
	dest       string // absolute Moodle URL
	handoff    *session.Handoff
	// linkLooked: chooseDestination looked for the activity whose
	// idnumber is resource_link_id in the course; linkHasActivity: it
	// found one.
	linkLooked, linkHasActivity bool
}

// step is one stage of a launch, run inside its transaction. A step
// returns a *provision.Refusal for what the user must be told, any other
// error for a failure of the site.
type step struct {
	name string
	run  func(ctx context.Context, tx *database.Tx, s *state) error
}

// steps is a launch, in order. Course and activity creation from a launch
// (custom_create_context, custom_resource_link_copy_id,
// custom_resource_link_type) are content.go's steps.
var steps = []step{
	{"create context", createContext},
	{"consumer key", checkConsumerKey},
	{"tool context", loadToolContext},
	{"user", provisionUser},
	{"destination", chooseDestination},
	{"enrol", enrol},
	{"group", addToGroup},
	// After enrolment: creating an activity needs the capabilities the
	// launch's own role assignment gives (as create_module() checks them).
	{"resource", createResource},
	{"tool user", recordToolUser},
	{"outcome", recordOutcome},
	{"layout", saveLayout},
	{"session", handOff},
}

// checkConsumerKey binds the consumer key to the tool: a tool with bound
// keys accepts only those; a tool without binds the key of its first
// verified launch (under the tool's row lock, so two first launches with
// different keys cannot both bind). The identity namespace (usernames hash
// the key) thus never comes from a key the tool did not accept.
func checkConsumerKey(ctx context.Context, tx *database.Tx, s *state) error {
	bound, total, err := store.ConsumerKeyBound(ctx, tx, s.tool.ID, s.consumerKey)
	if err != nil || bound {
		return err
	}
	if total == 0 {
		if err := store.LockTool(ctx, tx, s.tool.ID); err != nil {
			return err
		}
		if bound, total, err = store.ConsumerKeyBound(ctx, tx, s.tool.ID, s.consumerKey); err != nil || bound {
			return err
		}
		if total == 0 {
			// Trust on first use, but never for a key that tools with other
			// secrets already use: its users are the same Moodle accounts
			// on every tool, so binding it would hand them to whoever holds
			// this tool's secret. Only an administrator may share a key.
			used, err := store.KeyUsedWithOtherSecret(ctx, tx, s.tool.ID, s.consumerKey, s.tool.Secret)
			if err != nil {
				return err
			}
			if !used {
				return store.BindConsumerKey(ctx, tx, s.tool.ID, s.consumerKey, s.env.Actor.Time)
			}
		}
	}
	return &provision.Refusal{Msg: "This consumer key is not accepted by this tool. Check the consumer key set for this tool in your course, or ask the site administrator to allow it."}
}

var errToolGone = &provision.Refusal{Msg: "The course or activity this tool provides no longer exists on this site."}

// loadToolContext reads what the tool provides: a course, or an activity
// and its course (one query).
func loadToolContext(ctx context.Context, tx *database.Tx, s *state) error {
	p, err := moodle.PlaceOf(ctx, tx, s.tool.ContextID)
	if errors.Is(err, database.ErrNotFound) {
		return errToolGone
	}
	if err != nil {
		return err
	}
	s.toolCtx = p.Context
	switch p.Context.Level {
	case moodle.ContextCourse:
		s.courseCtx = p.Context
	case moodle.ContextModule:
		if p.Module == nil || p.CourseContext == nil {
			return errToolGone
		}
		s.module, s.moduleCtx, s.courseCtx = p.Module, &s.toolCtx, *p.CourseContext
	default:
		return errToolGone
	}
	if p.Course == nil || p.Course.ID == moodle.SiteCourseID {
		return errToolGone // the front page is not a course a launch can enrol in
	}
	s.course = p.Course
	return nil
}

// provisionUser finds or creates the launch's Moodle user.
func provisionUser(ctx context.Context, tx *database.Tx, s *state) error {
	m := s.msg
	email := m.Get("lis_person_contact_email_primary")
	if sakai := m.Get("lis_person_contact_emailprimary"); sakai != "" {
		email = sakai // the plugin's Sakai hack
	}
	res, err := provision.User(ctx, tx, s.env, s.tool, provision.Person{
		ConsumerKey: s.consumerKey, UserID: m.Get("user_id"),
		GivenName: m.Get("lis_person_name_given"), FamilyName: m.Get("lis_person_name_family"),
		Email: email, ContextID: m.Get("context_id"), Locale: m.Get("launch_presentation_locale"),
	})
	if err != nil {
		return err
	}
	s.user, s.created = res.User, res.Created
	s.instructor = m.Roles().IsInstructor(lti11.RoleOptions{InstitutionAdminInstructor: s.settings.InstitutionAdminInstructor})
	return nil
}

var modName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// chooseDestination picks where the user lands: the activity of an
// activity tool; for a course tool, the activity of the course whose
// idnumber is the launch's resource_link_id ("SSO to resources"), else the
// course page. Only Moodle's own URLs.
func chooseDestination(ctx context.Context, tx *database.Tx, s *state) error {
	cm := s.module
	if cm == nil {
		cms, err := moodle.CourseModulesByIDNumber(ctx, tx, s.course.ID, s.msg.Get("resource_link_id"))
		if err != nil {
			return err
		}
		s.linkLooked, s.linkHasActivity = true, len(cms) > 0 // for createResource, next
		if len(cms) > 0 {
			cm = &cms[0]
		}
	}
	if cm != nil && modName.MatchString(cm.ModName) {
		s.dest = s.h.wwwroot + "/mod/" + cm.ModName + "/view.php?id=" + strconv.FormatInt(cm.ID, 10)
		return nil
	}
	s.dest = s.h.wwwroot + "/course/view.php?id=" + strconv.FormatInt(s.course.ID, 10)
	return nil
}

// enrol enrols the user with the tool's rules.
func enrol(ctx context.Context, tx *database.Tx, s *state) error {
	_, err := provision.Enrol(ctx, tx, s.env, provision.EnrolRequest{
		Tool: s.tool, Course: s.courseCtx, Module: s.moduleCtx, UserID: s.user.ID, Instructor: s.instructor})
	return err
}

// addToGroup puts the user in the tool's group (addtogroup), reading
// request:<name> values from the launch data, then the launch URL's query.
func addToGroup(ctx context.Context, tx *database.Tx, s *state) error {
	idnumber := provision.GroupOf(s.tool, func(name string) (string, bool) {
		if v, ok := s.msg.Lookup(name); ok {
			return v, true
		}
		if vs, ok := s.browser.URL.Query()[name]; ok && len(vs) > 0 {
			return vs[0], true
		}
		return "", false
	})
	_, err := provision.AddToGroup(ctx, tx, s.env, s.courseCtx, s.user.ID, idnumber)
	return err
}

// serviceURL is an outcome or memberships service URL worth keeping: an
// absolute http(s) URL ("" otherwise). Grade and membership sync reach it
// only through the outbound guard.
func serviceURL(raw string) string {
	if _, err := lti11.ValidURL(raw); err != nil {
		return ""
	}
	return raw
}

// recordToolUser keeps the plugin's per-tool user row.
func recordToolUser(ctx context.Context, tx *database.Tx, s *state) error {
	m := s.msg
	return store.RecordToolUserLaunch(ctx, tx, store.ToolUserLaunch{
		ToolID: s.tool.ID, UserID: s.user.ID, ConsumerKey: s.consumerKey,
		ServiceURL: serviceURL(m.Get("lis_outcome_service_url")), SourceID: m.Get("lis_result_sourcedid"),
		MembershipsURL: serviceURL(m.Get("ext_ims_lis_memberships_url")), MembershipsID: m.Get("ext_ims_lis_memberships_id"),
		Now: s.env.Actor.Time, NewUser: s.created,
	})
}

// recordOutcome keeps the outcome service per resource link, so each
// link's grade goes back to its own sourcedid.
func recordOutcome(ctx context.Context, tx *database.Tx, s *state) error {
	now := s.env.Actor.Time
	return store.SaveOutcome(ctx, tx, &store.Outcome{
		ToolID: s.tool.ID, UserID: s.user.ID, ConsumerKey: s.consumerKey,
		ResourceLinkID: s.msg.Get("resource_link_id"),
		ServiceURL:     serviceURL(s.msg.Get("lis_outcome_service_url")),
		SourcedID:      s.msg.Get("lis_result_sourcedid"),
		TimeCreated:    now, TimeModified: now,
	})
}

// saveLayout records the tool and layout of the user's latest launch: the
// tool's settings, switched on by the launch's custom_* parameters (which
// can only switch things on; a value switches on when PHP would call it
// true: not empty, not "0"), and custom_custom_css in place of the tool's
// CSS.
func saveLayout(ctx context.Context, tx *database.Tx, s *state) error {
	t, m := s.tool, s.msg
	on := func(name string) bool { v := m.Get(name); return v != "" && v != "0" }
	css := t.CustomCSS
	if v := m.Get("custom_custom_css"); v != "" && v != "0" {
		css = v
	}
	layout := store.Layout{
		ForceNavigation: t.ForceNavigation || on("custom_force_navigation"),
		HidePageHeader:  t.HidePageHeader || on("custom_hide_page_header"),
		HidePageFooter:  t.HidePageFooter || on("custom_hide_page_footer"),
		HideLeftBlocks:  t.HideLeftBlocks || on("custom_hide_left_blocks"),
		HideRightBlocks: t.HideRightBlocks || on("custom_hide_right_blocks"),
		CustomCSS:       css,
		ContextID:       s.toolCtx.ID,
		CourseID:        s.course.ID,
	}
	if s.module != nil {
		layout.CMID = s.module.ID
	}
	return store.SaveLaunch(ctx, tx, &store.Launch{UserID: s.user.ID, ToolID: t.ID, Layout: layout,
		ReturnURL: s.returnURL, TimeCreated: s.env.Actor.Time})
}

// handOff gives the browser a Moodle session for the user, inside the
// transaction, so a failed launch leaves no session behind.
func handOff(ctx context.Context, tx *database.Tx, s *state) error {
	ho, err := s.h.sessions.Login(ctx, tx, session.LoginRequest{
		UserID: s.user.ID, Dest: s.dest, ClientIP: s.env.Actor.IP, Browser: s.browser, NewUser: s.created})
	if errors.Is(err, session.ErrRefused) {
		// A login Moodle would refuse too (an administrator through
		// autologin, …): its message is meant for the user.
		return &provision.Refusal{Msg: err.Error() + "."}
	}
	if err != nil {
		return fmt.Errorf("session handoff (%s): %w", s.h.sessions.Name(), err)
	}
	if !strings.HasPrefix(ho.Redirect, s.h.wwwroot+"/") {
		return fmt.Errorf("session handoff (%s): redirect outside Moodle refused", s.h.sessions.Name())
	}
	s.handoff = ho
	return nil
}
