package content

import (
	"context"
	"errors"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/coursecopy"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// ResourceRequest asks for a copy of an activity for a resource link.
type ResourceRequest struct {
	// Tool is the course tool the request came through; the copy goes into
	// its course.
	Tool *store.Tool
	// CopyID is the idnumber of the activity to copy
	// (custom_resource_link_copy_id), looked for on the whole site.
	CopyID string
	// ResourceLinkID becomes the copy's idnumber, by which launches of the
	// link find it.
	ResourceLinkID string
	Params         Params
	// Secret is the secret that verified the request; the copy's tools get
	// it.
	Secret string
	// UserData copies the activity's user data too; refused for an
	// activity of another course.
	UserData bool
}

// ResourceResult is the activity of a resource link.
type ResourceResult struct {
	CMID    int64
	Created bool
	Report  *coursecopy.Report
	Tools   []*store.Tool
}

// DuplicateResource copies the activity whose idnumber is CopyID into the
// tool's course, with idnumber ResourceLinkID, once: when the course already
// has an activity with that idnumber (a copy made before) it is returned
// instead. The tools providing the source activity are cloned onto the copy
// (settings and roles kept, secret replaced by the requester's, so the
// source's consumers get no access to the copy); when the source has none,
// the copy gets a default tool (the plugin crashed there). UserData is
// honoured only for an activity of the tool's own course.
func DuplicateResource(ctx context.Context, tx *database.Tx, env moodle.Env, req ResourceRequest) (*ResourceResult, error) {
	if req.ResourceLinkID == "" {
		return nil, ErrNoResourceLink
	}
	tctx, err := moodle.GetContext(ctx, tx, req.Tool.ContextID)
	if err != nil {
		return nil, err
	}
	if tctx.Level != moodle.ContextCourse {
		return nil, ErrToolNotCourse
	}
	course := tctx.InstanceID
	if err := lock(ctx, tx, "resource", fmt.Sprintf("%d/%s", course, req.ResourceLinkID)); err != nil {
		return nil, err
	}
	existing, err := moodle.CourseModulesByIDNumber(ctx, tx, course, req.ResourceLinkID)
	if err != nil {
		return nil, err
	}
	if len(existing) > 0 {
		return &ResourceResult{CMID: existing[0].ID}, nil
	}
	sources, err := moodle.CourseModulesByIDNumber(ctx, tx, 0, req.CopyID)
	if err != nil {
		return nil, err
	}
	switch {
	case req.CopyID == "" || len(sources) == 0:
		return nil, ErrNoResource
	case len(sources) > 1:
		return nil, ErrAmbiguousResource
	}
	src := sources[0]
	// Another course's user data belongs to that course's users: a tool's
	// secret opens only its own course (docs/security.md).
	if req.UserData && src.Course != course {
		return nil, ErrUserDataOtherCourse
	}
	cmID, rep, err := coursecopy.CopyModule(ctx, tx, env, src.ID, course, req.ResourceLinkID, coursecopy.Options{UserData: req.UserData})
	if errors.Is(err, coursecopy.ErrNotCopyable) {
		return nil, fmt.Errorf("%w (%v)", ErrNotCopyable, err)
	}
	if err != nil {
		return nil, err
	}
	tools, err := cloneTools(ctx, tx, env, src.ID, course, cmID, req.Secret, req.Params)
	if err != nil {
		return nil, err
	}
	return &ResourceResult{CMID: cmID, Created: true, Report: rep, Tools: tools}, nil
}

// cloneTools gives the copy the tools of its source.
func cloneTools(ctx context.Context, tx *database.Tx, env moodle.Env, srcCM, course, newCM int64, secret string, p Params) ([]*store.Tool, error) {
	newCtx, err := moodle.ContextOf(ctx, tx, moodle.ContextModule, newCM)
	if err != nil {
		return nil, err
	}
	var srcTools []store.Tool
	if srcCtx, err := moodle.ContextOf(ctx, tx, moodle.ContextModule, srcCM); err == nil {
		if srcTools, err = store.ToolsByContext(ctx, tx, srcCtx.ID); err != nil {
			return nil, err
		}
	}
	var out []*store.Tool
	for _, t := range srcTools {
		c := t
		c.ID, c.CourseID, c.ContextID, c.Secret = 0, course, newCtx.ID, secret
		c.TimeCreated, c.TimeModified, c.LastSync = env.Unix(), env.Unix(), 0
		if err := store.InsertTool(ctx, tx, &c); err != nil {
			return nil, err
		}
		if err := bindKey(ctx, tx, env, c.ID, p); err != nil {
			return nil, err
		}
		out = append(out, &c)
	}
	if len(out) == 0 {
		t, err := newTool(ctx, tx, env, course, newCtx.ID, secret, p)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
