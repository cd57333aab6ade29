package manage

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/accesslib"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// Activity is a live course module that a tool can provide.
type Activity struct {
	CMID       int64  `db:"cmid"`
	ContextID  int64  `db:"contextid"`
	ModName    string `db:"modname"`
	Instance   int64  `db:"instance"`
	IDNumber   string `db:"idnumber"`
	Completion int    `db:"completion"`
	Name       string `db:"-"`
}

// Choices is what the form offers for one course and one person.
type Choices struct {
	Course        *moodle.Course
	CourseContext moodle.Context
	Activities    []Activity
	// Roles are the roles the person may assign in the course.
	Roles []accesslib.Role
	// AllRoles names every role, for values set by someone else.
	AllRoles map[int64]accesslib.Role
	// CompletionEnabled is $CFG->enablecompletion.
	CompletionEnabled bool
}

// Actor is who makes a change: a Moodle user on the pages, or the
// operator on the command line (who may assign any role, like an admin).
type Actor struct {
	UserID   int64
	Operator bool
}

// LoadChoices reads the course's activities and the roles the actor may
// assign in it.
func LoadChoices(ctx context.Context, c accesslib.Checker, actor Actor, course *moodle.Course) (*Choices, error) {
	cctx, err := moodle.ContextOf(ctx, c.Q, moodle.ContextCourse, course.ID)
	if err != nil {
		return nil, err
	}
	ch := &Choices{Course: course, CourseContext: cctx, AllRoles: map[int64]accesslib.Role{},
		CompletionEnabled: c.Site.Bool("enablecompletion")}
	if ch.Activities, err = Activities(ctx, c.Q, course.ID); err != nil {
		return nil, err
	}
	if actor.Operator {
		ch.Roles, err = c.RolesAssignableAt(ctx, cctx)
	} else {
		ch.Roles, err = c.AssignableRoles(ctx, actor.UserID, cctx)
	}
	if err != nil {
		return nil, err
	}
	all, err := accesslib.AllRoles(ctx, c, cctx.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range all {
		ch.AllRoles[r.ID] = r
	}
	return ch, nil
}

// Activity returns the activity with this context id.
func (ch *Choices) Activity(contextID int64) (Activity, bool) {
	for _, a := range ch.Activities {
		if a.ContextID == contextID {
			return a, true
		}
	}
	return Activity{}, false
}

// RoleName names a role as the course shows it.
func (ch *Choices) RoleName(id int64) string {
	if r, ok := ch.AllRoles[id]; ok {
		return r.DisplayName()
	}
	return "role " + strconv.FormatInt(id, 10)
}

// ContextName names what a tool provides: "Course" or the activity's name.
func (ch *Choices) ContextName(contextID int64) (string, bool) {
	if contextID == ch.CourseContext.ID {
		return "Course", true
	}
	if a, ok := ch.Activity(contextID); ok {
		return a.Name, true
	}
	return "", false
}

var tableName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Activities lists a course's live modules with their names (kept in each
// module's own table), in the order of the course page.
func Activities(ctx context.Context, q database.Querier, courseID int64) ([]Activity, error) {
	var acts []Activity
	err := q.Select(ctx, &acts, `SELECT cm.id AS cmid, ctx.id AS contextid, m.name AS modname, cm.instance,
		COALESCE(cm.idnumber, '') AS idnumber, cm.completion
		FROM {course_modules} cm
		JOIN {modules} m ON m.id = cm.module
		JOIN {context} ctx ON ctx.contextlevel = 70 AND ctx.instanceid = cm.id
		LEFT JOIN {course_sections} cs ON cs.id = cm.section
		WHERE cm.course = ? AND cm.deletioninprogress = 0
		ORDER BY cs.section, cm.id`, courseID)
	if err != nil {
		return nil, fmt.Errorf("activities of course %d: %w", courseID, err)
	}
	byMod := map[string][]int64{}
	for _, a := range acts {
		byMod[a.ModName] = append(byMod[a.ModName], a.Instance)
	}
	names := map[string]map[int64]string{}
	for mod, ids := range byMod {
		if !tableName.MatchString(mod) {
			continue
		}
		query, args, err := sqlx.In("SELECT id, name FROM {"+mod+"} WHERE id IN (?)", ids)
		if err != nil {
			return nil, err
		}
		var rows []struct {
			ID   int64  `db:"id"`
			Name string `db:"name"`
		}
		if err := q.Select(ctx, &rows, query, args...); err != nil {
			return nil, fmt.Errorf("names of %s activities: %w", mod, err)
		}
		names[mod] = map[int64]string{}
		for _, r := range rows {
			names[mod][r.ID] = r.Name
		}
	}
	for i := range acts {
		acts[i].Name = names[acts[i].ModName][acts[i].Instance]
		if acts[i].Name == "" {
			acts[i].Name = acts[i].ModName + " " + strconv.FormatInt(acts[i].CMID, 10)
		}
	}
	return acts, nil
}

// SiteLocation is the time zone Moodle uses for the site's dates:
// forcetimezone, else timezone, else (99) the server's.
func SiteLocation(site *moodle.Site) *time.Location {
	return moodle.ServerLocation(site)
}

// CourseByIDOrIDNumber finds a course by id or, failing that, by its
// unique idnumber, as the CLI's --course takes either.
func CourseByIDOrIDNumber(ctx context.Context, q database.Querier, ref string) (*moodle.Course, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		c, err := moodle.GetCourse(ctx, q, id)
		if err == nil || !errors.Is(err, database.ErrNotFound) {
			return c, err
		}
	}
	cs, err := moodle.CoursesByIDNumber(ctx, q, ref)
	if err != nil {
		return nil, err
	}
	switch len(cs) {
	case 0:
		return nil, fmt.Errorf("no course with id or idnumber %q: %w", ref, database.ErrNotFound)
	case 1:
		if cs[0].ID == moodle.SiteCourseID {
			return nil, fmt.Errorf("the front page cannot provide tools")
		}
		return &cs[0], nil
	}
	return nil, fmt.Errorf("%d courses have idnumber %q; give the course id", len(cs), ref)
}
