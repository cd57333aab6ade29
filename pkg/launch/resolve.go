package launch

import (
	"context"
	"errors"
	"net/http"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

var (
	errNoTool = pageError(http.StatusNotFound, "Unknown tool",
		"This site provides no tool at this launch URL. Check the launch URL set for this tool in your course.")
	errNoToolInfo = pageError(http.StatusBadRequest, "Unknown tool",
		"The launch does not say which tool it is for: the launch URL has no id, and the launch has no context_id.")
	errNoContextTool = pageError(http.StatusNotFound, "Unknown tool",
		"No course on this site is provided for the launch's context (context_id).")
	errAmbiguous = pageError(http.StatusConflict, "Cannot determine the tool",
		"Several courses or tools on this site match the launch's context, so the tool cannot be determined. Please give the launch URL with the tool's id instead.")
	errNoSecret = pageError(http.StatusForbidden, "Tool cannot be launched",
		"This tool has no shared secret, so its launches cannot be verified.")
)

// resolve finds the tool a launch is for, as tool.php did: by the id of the
// launch URL; or, without one, by context_id: the course whose idnumber the
// idnumberformat setting gives, then that course's tool, unless
// resource_link_id is the idnumber of an activity of that course with a
// tool of its own, which then wins. Several matches are refused, never
// guessed. Nothing here is trusted yet: the tool's secret verifies the
// launch next.
func resolve(ctx context.Context, q database.Querier, in *incoming, st *settings.Site) (*store.Tool, *failure) {
	if id := in.toolID(); id != 0 {
		tool, err := store.GetTool(ctx, q, id)
		if errors.Is(err, database.ErrNotFound) {
			return nil, errNoTool
		}
		if err != nil {
			return nil, internalError(err, false)
		}
		return tool, nil
	}
	contextID := in.decoded("context_id")
	if contextID == "" {
		// Course creation from a launch (custom_create_context, verified
		// with the global shared secret) belongs here; until it exists,
		// such launches have no tool.
		return nil, errNoToolInfo
	}
	idnumber := settings.FormatName(st.IdnumberFormat, settings.LTIContext{
		ConsumerKey: in.signed.Value("oauth_consumer_key"), ID: contextID,
		Title: in.decoded("context_title"), Label: in.decoded("context_label")})
	if idnumber == "" {
		return nil, errNoContextTool
	}
	courses, err := moodle.CoursesByIDNumber(ctx, q, idnumber)
	if err != nil {
		return nil, internalError(err, false)
	}
	switch {
	case len(courses) > 1:
		return nil, errAmbiguous
	case len(courses) == 0:
		return nil, errNoContextTool
	}
	course := courses[0]
	var tool *store.Tool
	if cctx, err := moodle.ContextOf(ctx, q, moodle.ContextCourse, course.ID); err == nil {
		tools, err := store.ToolsByContext(ctx, q, cctx.ID)
		if err != nil {
			return nil, internalError(err, false)
		}
		if len(tools) > 1 {
			return nil, errAmbiguous
		}
		if len(tools) == 1 {
			tool = &tools[0]
		}
	} else if !errors.Is(err, database.ErrNotFound) {
		return nil, internalError(err, false)
	}
	if link := in.decoded("resource_link_id"); link != "" {
		cms, err := moodle.CourseModulesByIDNumber(ctx, q, course.ID, link)
		if err != nil {
			return nil, internalError(err, false)
		}
		if len(cms) > 0 {
			mctx, err := moodle.ContextOf(ctx, q, moodle.ContextModule, cms[0].ID)
			if err != nil && !errors.Is(err, database.ErrNotFound) {
				return nil, internalError(err, false)
			}
			if err == nil {
				tools, err := store.ToolsByContext(ctx, q, mctx.ID)
				if err != nil {
					return nil, internalError(err, false)
				}
				if len(tools) > 1 {
					return nil, errAmbiguous
				}
				if len(tools) == 1 {
					tool = &tools[0]
				}
			}
		}
	}
	if tool == nil {
		return nil, errNoContextTool
	}
	return tool, nil
}
