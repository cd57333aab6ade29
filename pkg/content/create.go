package content

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// CreateRequest asks for a new activity for a resource link.
type CreateRequest struct {
	CourseID int64
	// Type is the module name (custom_resource_link_type): one of
	// moodle.CreatableModules.
	Type  string
	Title string
	// Description becomes the intro (HTML, as the plugin's FORMAT_HTML).
	Description    string
	ResourceLinkID string
}

// CreateResource creates an activity of a type in section 1 of a course,
// visible, with idnumber = the resource link id, as the plugin's
// create_module() call did; when the course already has an activity with
// that idnumber it is returned instead.
func CreateResource(ctx context.Context, tx *database.Tx, env moodle.Env, req CreateRequest) (int64, error) {
	if req.ResourceLinkID == "" {
		return 0, ErrNoResourceLink
	}
	supported := false
	for _, t := range moodle.CreatableModules {
		supported = supported || t == req.Type
	}
	if !supported {
		return 0, fmt.Errorf("%w (%q; this site creates %s)", ErrUnsupportedType, req.Type, strings.Join(moodle.CreatableModules, ", "))
	}
	if err := lock(ctx, tx, "resource", fmt.Sprintf("%d/%s", req.CourseID, req.ResourceLinkID)); err != nil {
		return 0, err
	}
	existing, err := moodle.CourseModulesByIDNumber(ctx, tx, req.CourseID, req.ResourceLinkID)
	if err != nil {
		return 0, err
	}
	if len(existing) > 0 {
		return existing[0].ID, nil
	}
	name := []rune(strings.TrimSpace(req.Title))
	if len(name) > 255 {
		name = name[:255]
	}
	cm, err := moodle.AddModule(ctx, tx, env, moodle.NewModule{Course: req.CourseID, Section: 1, Type: req.Type,
		Name: string(name), Intro: req.Description, IDNumber: req.ResourceLinkID})
	if errors.Is(err, moodle.ErrModuleType) {
		return 0, ErrUnsupportedType
	}
	return cm, err
}
