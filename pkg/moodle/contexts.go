package moodle

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Context levels (lib/accesslib.php).
const (
	ContextSystem    = 10
	ContextUser      = 30
	ContextCoursecat = 40
	ContextCourse    = 50
	ContextModule    = 70
	ContextBlock     = 80
)

// Context is a row of the context table.
type Context struct {
	ID         int64  `db:"id"`
	Level      int    `db:"contextlevel"`
	InstanceID int64  `db:"instanceid"`
	Path       string `db:"path"`
	Depth      int    `db:"depth"`
}

const contextColumns = "id, contextlevel, instanceid, COALESCE(path, '') AS path, depth"

// GetContext reads a context by id.
func GetContext(ctx context.Context, q database.Querier, id int64) (Context, error) {
	var c Context
	err := q.Get(ctx, &c, "SELECT "+contextColumns+" FROM {context} WHERE id = ?", id)
	if err != nil {
		return c, fmt.Errorf("context %d: %w", id, err)
	}
	return c, nil
}

// ContextOf reads the context of an object (a course id at ContextCourse, a
// course_modules id at ContextModule, …); database.ErrNotFound when missing.
func ContextOf(ctx context.Context, q database.Querier, level int, instanceID int64) (Context, error) {
	var c Context
	err := q.Get(ctx, &c, "SELECT "+contextColumns+" FROM {context} WHERE contextlevel = ? AND instanceid = ?", level, instanceID)
	if err != nil {
		return c, fmt.Errorf("context %d/%d: %w", level, instanceID, err)
	}
	return c, nil
}

// SystemContext returns the single system context. Moodle makes it at
// install and never changes it, so it is read once per database.
func SystemContext(ctx context.Context, q database.Querier) (Context, error) {
	db := dbOf(q)
	if db == nil {
		return ContextOf(ctx, q, ContextSystem, 0)
	}
	v, err := db.Remember("moodle.SystemContext", func() (any, error) {
		return ContextOf(ctx, q, ContextSystem, 0)
	})
	if err != nil {
		return Context{}, err
	}
	return v.(Context), nil
}

// dbOf is the database a Querier runs on, nil when it cannot be told.
func dbOf(q database.Querier) *database.DB {
	switch v := q.(type) {
	case *database.DB:
		return v
	case *database.Tx:
		return v.DB()
	}
	return nil
}

// CreateContext inserts a context below parent the way
// context::insert_context_record() does: a row with depth 0 and no path,
// then its path (parent path + "/" + id) and depth.
func CreateContext(ctx context.Context, q database.Querier, level int, instanceID int64, parent Context) (Context, error) {
	id, err := q.Insert(ctx, "INSERT INTO {context} (contextlevel, instanceid, depth, path, locked) VALUES (?, ?, 0, NULL, 0)", level, instanceID)
	if err != nil {
		return Context{}, fmt.Errorf("creating context %d/%d: %w", level, instanceID, err)
	}
	c := Context{ID: id, Level: level, InstanceID: instanceID, Path: parent.Path + "/" + strconv.FormatInt(id, 10)}
	c.Depth = strings.Count(c.Path, "/")
	if _, err := q.Exec(ctx, "UPDATE {context} SET path = ?, depth = ? WHERE id = ?", c.Path, c.Depth, id); err != nil {
		return Context{}, fmt.Errorf("setting path of context %d: %w", id, err)
	}
	return c, nil
}

// ParentIDs returns the ids on a context's path, system first, the context
// itself last.
func (c Context) ParentIDs() []int64 {
	var ids []int64
	for _, p := range strings.Split(strings.Trim(c.Path, "/"), "/") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
