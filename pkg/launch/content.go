package launch

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/accesslib"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/content"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/lti11"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/provision"
)

// Content created by a launch (tool.php): the course of the launch's
// context (custom_create_context), a copy of an activity for the resource
// link (custom_resource_link_copy_id), or a new activity of a type
// (custom_resource_link_type). The work is pkg/content's; these steps
// decide when, for whom, and where the user lands.

// launchParams reads a verified launch's (decoded) parameters.
type launchParams struct{ msg *lti11.Launch }

func (p launchParams) Value(key string) string { return p.msg.Get(key) }

// truthy is PHP's truthiness of a parameter: "" and "0" are false.
func truthy(v string) bool { return v != "" && v != "0" }

// createsContext reports whether a launch that names no known tool asks
// for its context's course, and so is verified with the global shared
// secret (plugin-behaviour.md §5 step 3). A launch naming a tool by id never
// is: the plugin let a tool's secret create courses, which is not kept.
func createsContext(in *incoming, f *failure) bool {
	return (f == errNoContextTool || f == errNoToolInfo) && in.toolID() == 0 && truthy(in.decoded("custom_create_context"))
}

// moodleEnv is the launch's actor for pkg/moodle's writers.
func (s *state) moodleEnv() moodle.Env {
	env := moodle.Env{Site: s.site, Log: s.env.Actor.Log, IP: s.env.Actor.IP, Now: time.Unix(s.env.Actor.Time, 0),
		Caches: s.env.Actor.Caches, WWWRoot: s.h.wwwroot, DataRoot: s.h.dataRoot}
	if s.user != nil {
		// Activities are created after the launch's enrolment, by the user
		// who is logged in once it commits: theirs are the events and the
		// midnight an assignment's dates count from.
		env.UserID = s.user.ID
	}
	return env
}

// refusal turns pkg/content's refusals into words for the user.
func refusal(err error) error {
	var ce *content.Error
	if errors.As(err, &ce) {
		return &provision.Refusal{Msg: ce.Message}
	}
	return err
}

// createContext finds or creates the course of the launch's context when
// no tool resolved: roles in rolesallowedcreatecontexts may create it (from
// custom_context_template, copied now rather than by a later cron as the
// plugin did); the course tool then carries the launch on.
func createContext(ctx context.Context, tx *database.Tx, s *state) error {
	if s.tool != nil {
		return nil
	}
	p := launchParams{s.msg}
	res, err := content.EnsureCourse(ctx, tx, s.moodleEnv(), s.settings, content.ContextRequest{Params: p,
		Template:  strings.TrimSpace(s.msg.Get("custom_context_template")),
		MayCreate: content.RoleAllowed(s.settings.RolesAllowedCreateContexts, s.msg.Get("roles")),
		Secret:    s.secret})
	if err != nil {
		return refusal(err)
	}
	// The launch was verified with the global secret: a course it did not
	// create is entered only if its tool has that secret too.
	if !res.Created && subtle.ConstantTimeCompare([]byte(res.Tool.Secret), []byte(s.secret)) != 1 {
		return &provision.Refusal{Msg: "The course of this context is provided with another secret: launch it with its tool's launch URL."}
	}
	if res.Tool.Disabled {
		return &provision.Refusal{Msg: "Access to this tool is disabled on this site."}
	}
	s.tool = res.Tool
	return nil
}

// createResource gives a course tool's resource link its activity when the
// course has none with the link's idnumber: a copy of
// custom_resource_link_copy_id, or a new activity of
// custom_resource_link_type titled resource_link_title (or
// custom_resource_link_title), for roles in rolesallowedcreateresources.
// Once the activity exists, later launches of the link go to it (the
// plugin copied again on every launch, for anyone).
func createResource(ctx context.Context, tx *database.Tx, s *state) error {
	link := s.msg.Get("resource_link_id")
	if s.module != nil || link == "" {
		return nil
	}
	// chooseDestination, just before, looked for the link's activity in
	// this course already.
	if s.linkLooked && s.linkHasActivity {
		return nil
	}
	if !s.linkLooked {
		existing, err := moodle.CourseModulesByIDNumber(ctx, tx, s.course.ID, link)
		if err != nil || len(existing) > 0 {
			return err
		}
	}
	copyID := strings.TrimSpace(s.msg.Get("custom_resource_link_copy_id"))
	kind := strings.TrimSpace(s.msg.Get("custom_resource_link_type"))
	title := s.msg.Get("resource_link_title")
	if title == "" {
		title = s.msg.Get("custom_resource_link_title")
	}
	allowed := s.settings.RolesAllowedCreateResources
	switch {
	case copyID != "":
		if !content.RoleAllowed(allowed, s.msg.Get("roles")) {
			return errNotSetUp
		}
		res, err := content.DuplicateResource(ctx, tx, s.moodleEnv(), content.ResourceRequest{Tool: s.tool, CopyID: copyID,
			ResourceLinkID: link, Params: launchParams{s.msg}, Secret: s.secret})
		if err != nil {
			return refusal(err)
		}
		cm, err := moodle.GetCourseModule(ctx, tx, res.CMID)
		if err != nil {
			return err
		}
		// The copy adds an activity of the source's type: the same
		// permission as creating one (refused, the copy is rolled back).
		if err := canAddActivity(ctx, tx, s, cm.ModName); err != nil {
			return err
		}
		s.dest = s.h.wwwroot + "/mod/" + cm.ModName + "/view.php?id=" + strconv.FormatInt(cm.ID, 10)
	case kind != "" && title != "":
		if len(allowed) == 0 {
			return nil // the plugin skipped creation silently when no role may create
		}
		if !content.RoleAllowed(allowed, s.msg.Get("roles")) {
			return errNotSetUp
		}
		if err := canAddActivity(ctx, tx, s, kind); err != nil {
			return err
		}
		description := s.msg.Get("resource_link_description")
		if description == "" {
			description = s.msg.Get("custom_resource_link_description")
		}
		cmID, err := content.CreateResource(ctx, tx, s.moodleEnv(), content.CreateRequest{CourseID: s.course.ID, Type: kind,
			Title: title, Description: description, ResourceLinkID: link})
		if err != nil {
			return refusal(err)
		}
		// The creator lands on the new activity's settings, as with the plugin.
		s.dest = s.h.wwwroot + "/course/modedit.php?update=" + strconv.FormatInt(cmID, 10)
	}
	return nil
}

// canAddActivity is can_add_moduleinfo()'s check, which create_module()
// makes for the user: moodle/course:manageactivities in the course, and
// mod/<type>:addinstance when the module defines it (course_allowed_module).
// The roles allowed to create resources only say which LTI roles may ask;
// Moodle's permissions still decide.
func canAddActivity(ctx context.Context, tx *database.Tx, s *state, kind string) error {
	checker := accesslib.Checker{Q: tx, Site: s.site}
	capabilities := []string{"moodle/course:manageactivities"}
	addInstance := "mod/" + kind + ":addinstance"
	exists, err := accesslib.CapabilityExists(ctx, tx, addInstance)
	if err != nil {
		return err
	}
	if exists {
		capabilities = append(capabilities, addInstance)
	}
	for _, capability := range capabilities {
		ok, err := checker.HasCapability(ctx, s.user.ID, capability, s.courseCtx)
		if err != nil {
			return err
		}
		if !ok {
			return &provision.Refusal{Msg: fmt.Sprintf("The activity of this link has not been set up yet, and your role in this course may not add it: Moodle requires the capability %s.", capability)}
		}
	}
	return nil
}

var errNotSetUp = &provision.Refusal{Msg: "The activity of this link has not been set up on this site yet, and your role may not set it up. Ask your instructor to open it first."}
