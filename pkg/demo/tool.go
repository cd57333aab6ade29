package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// CourseTool provides the fixture's course PROV1 with the plugin's form
// defaults (editing teachers for instructors, students for learners), as
// `ltiprovider tool add --course PROV1` does: the tool of the demo and of
// the load tool.
func CourseTool(ctx context.Context, db *database.DB) (*store.Tool, error) {
	courses, err := moodle.CoursesByIDNumber(ctx, db, "PROV1")
	if err != nil || len(courses) != 1 {
		return nil, fmt.Errorf("course PROV1 not found in the fixture: %v", err)
	}
	cctx, err := moodle.ContextOf(ctx, db, moodle.ContextCourse, courses[0].ID)
	if err != nil {
		return nil, err
	}
	teacher, err := moodle.RoleIDByShortname(ctx, db, "editingteacher")
	if err != nil {
		return nil, err
	}
	student, err := moodle.RoleIDByShortname(ctx, db, "student")
	if err != nil {
		return nil, err
	}
	tool := store.NewTool(courses[0].ID, cctx.ID, teacher, student, time.Now().Unix())
	return tool, store.InsertTool(ctx, db, tool)
}
