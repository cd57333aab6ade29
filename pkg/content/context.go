package content

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/coursecopy"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// ContextRequest asks for the course of an LTI context.
type ContextRequest struct {
	Params Params
	// Template is the idnumber of the course to copy into a new course
	// (custom_context_template); "" for an empty course.
	Template string
	// MayCreate: the requester's role may create courses. Without it an
	// existing course is still found.
	MayCreate bool
	// UserData copies the template's user data too.
	UserData bool
	// Secret is the secret that verified the request; a new course tool
	// gets it.
	Secret string
}

// ContextResult is the course of an LTI context.
type ContextResult struct {
	CourseID int64
	Tool     *store.Tool
	// Created: the course was made by this request.
	Created bool
	// Report says what the template copy did (nil without a copy).
	Report *coursecopy.Report
}

// EnsureCourse finds the course of an LTI context, or creates it: a course
// named by the site's format settings in the first visible category, its
// course tool, and the template's content. The course is looked for by the
// idnumber the settings give. (The plugin then also looked for its
// de-duplicated short name, which only a concurrent request could have
// taken; here a lock row held until tx ends makes concurrent requests for
// one context wait, so they find the course the first one made instead of
// making two.)
func EnsureCourse(ctx context.Context, tx *database.Tx, env moodle.Env, s *settings.Site, req ContextRequest) (*ContextResult, error) {
	if req.Params.Value("context_id") == "" {
		return nil, ErrNoContextID
	}
	names := CourseNames(s, req.Params)
	if names.IDNumber == "" {
		return nil, ErrNoContextID
	}
	if err := lock(ctx, tx, "context", names.IDNumber); err != nil {
		return nil, err
	}
	courseID, found, err := findCourse(ctx, tx, names)
	if err != nil {
		return nil, err
	}
	if found {
		tool, err := courseTool(ctx, tx, courseID)
		if err != nil {
			return nil, err
		}
		return &ContextResult{CourseID: courseID, Tool: tool}, nil
	}
	if !req.MayCreate {
		return nil, ErrRoleCannotCreate
	}
	var template int64
	if req.Template != "" {
		cs, err := moodle.CoursesByIDNumber(ctx, tx, req.Template)
		if err != nil {
			return nil, err
		}
		if len(cs) == 0 || cs[0].ID == moodle.SiteCourseID {
			return nil, ErrNoTemplate
		}
		template = cs[0].ID // the plugin took any one (IGNORE_MULTIPLE); the oldest is stable
	}
	category, err := defaultCategory(ctx, tx)
	if err != nil {
		return nil, err
	}
	shortname, err := UniqueShortname(ctx, tx, names.Shortname)
	if err != nil {
		return nil, err
	}
	courseID, err = moodle.CreateCourse(ctx, tx, env, moodle.NewCourse{Fullname: names.Fullname, Shortname: shortname,
		IDNumber: names.IDNumber, Category: category, Bare: template != 0})
	if err != nil {
		return nil, err
	}
	cctx, err := moodle.ContextOf(ctx, tx, moodle.ContextCourse, courseID)
	if err != nil {
		return nil, err
	}
	tool, err := newTool(ctx, tx, env, courseID, cctx.ID, req.Secret, req.Params)
	if err != nil {
		return nil, err
	}
	res := &ContextResult{CourseID: courseID, Tool: tool, Created: true}
	if template != 0 {
		if res.Report, err = coursecopy.CopyCourse(ctx, tx, env, template, courseID, coursecopy.Options{UserData: req.UserData}); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// findCourse looks for the course of a context by its idnumber.
func findCourse(ctx context.Context, q database.Querier, n Names) (int64, bool, error) {
	cs, err := moodle.CoursesByIDNumber(ctx, q, n.IDNumber)
	if err != nil {
		return 0, false, err
	}
	if len(cs) > 1 {
		return 0, false, fmt.Errorf("%w (%d courses have idnumber %q)", ErrCannotDetermine, len(cs), n.IDNumber)
	}
	if len(cs) == 1 {
		return cs[0].ID, true, nil
	}
	return 0, false, nil
}

// courseTool returns the one tool providing a course.
func courseTool(ctx context.Context, q database.Querier, courseID int64) (*store.Tool, error) {
	cctx, err := moodle.ContextOf(ctx, q, moodle.ContextCourse, courseID)
	if err != nil {
		return nil, err
	}
	tools, err := store.ToolsByContext(ctx, q, cctx.ID)
	if err != nil {
		return nil, err
	}
	if len(tools) != 1 {
		return nil, fmt.Errorf("%w (course %d has %d course tools)", ErrCannotDetermine, courseID, len(tools))
	}
	return &tools[0], nil
}

// defaultCategory is the first visible category by sortorder, else the
// first category.
func defaultCategory(ctx context.Context, q database.Querier) (int64, error) {
	var id int64
	err := q.Get(ctx, &id, "SELECT id FROM {course_categories} ORDER BY visible DESC, sortorder, id LIMIT 1")
	if errors.Is(err, database.ErrNotFound) {
		return 0, ErrNoCategory
	}
	return id, err
}

// lock serialises the creation of one thing (kind, key) until tx ends: it
// upserts the thing's row of local_ltiprovider_lock and so holds its row
// lock; a concurrent transaction for the same thing waits there, then sees
// what the first one committed (READ COMMITTED).
func lock(ctx context.Context, tx *database.Tx, kind, key string) error {
	sum := sha1.Sum([]byte(kind + "\x00" + key))
	_, err := tx.Exec(ctx, "INSERT INTO {local_ltiprovider_lock} (name, timemodified) VALUES (?, UNIX_TIMESTAMP()) "+
		"ON DUPLICATE KEY UPDATE name = name", hex.EncodeToString(sum[:]))
	if errors.Is(err, database.ErrDeadlock) {
		return err // WithTx reruns the transaction
	}
	if err != nil {
		return fmt.Errorf("locking %s: %w", kind, err)
	}
	return nil
}
