package moodle

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
)

// Unenrolment is one user to remove from a course's manual enrolment
// instance.
type Unenrolment struct {
	Course Context // the course's context
	UserID int64
}

// UnenrolFromManual does what enrol_plugin::unenrol_user() does for the
// user's enrolment in the course's manual instance (lib/enrollib.php):
//
//   - group memberships and role assignments the instance itself made
//     (component enrol_manual) go;
//   - the user_enrolments row goes;
//   - when that was the user's last enrolment in the course: every
//     remaining role assignment in the course and its activities, every
//     group membership in the course (and group conversation), the user's
//     grades in the course (grade_user_unenrol: each grade_grades row to
//     grade_grades_history as a deletion, with its feedback files), and
//     the course's user_lastaccess row;
//   - the events role_unassigned, group_member_removed, grade_deleted and
//     user_enrolment_deleted, and the user's access marked dirty so a
//     logged-in user loses the course on the next request; the user's group
//     cache and the course contacts cache are dropped through a.Caches.
//
// Not done, as nothing outside PHP can: recomputing activity completion
// from the deleted grades. It reports false when the user had no manual
// enrolment in the course.
func UnenrolFromManual(ctx context.Context, q database.Querier, a Actor, site *Site, u Unenrolment) (bool, error) {
	courseID := u.Course.InstanceID
	var ue struct {
		ID           int64 `db:"id"`
		Status       int64 `db:"status"`
		EnrolID      int64 `db:"enrolid"`
		UserID       int64 `db:"userid"`
		TimeStart    int64 `db:"timestart"`
		TimeEnd      int64 `db:"timeend"`
		ModifierID   int64 `db:"modifierid"`
		TimeCreated  int64 `db:"timecreated"`
		TimeModified int64 `db:"timemodified"`
	}
	err := q.Get(ctx, &ue, `SELECT ue.id, ue.status, ue.enrolid, ue.userid, ue.timestart, ue.timeend, ue.modifierid,
		ue.timecreated, ue.timemodified FROM {user_enrolments} ue JOIN {enrol} e ON e.id = ue.enrolid
		WHERE e.courseid = ? AND e.enrol = 'manual' AND ue.userid = ? ORDER BY e.sortorder, e.id LIMIT 1 FOR UPDATE`, courseID, u.UserID)
	if errors.Is(err, database.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("manual enrolment of user %d in course %d: %w", u.UserID, courseID, err)
	}
	un := unenroller{q: q, a: a, site: site, u: u}
	// What the instance itself made.
	if err := un.removeGroupMembers(ctx, "gm.component = 'enrol_manual' AND gm.itemid = ?", ue.EnrolID); err != nil {
		return false, err
	}
	if err := un.unassignRoles(ctx, "contextid = ? AND component = 'enrol_manual' AND itemid = ?", u.Course.ID, ue.EnrolID); err != nil {
		return false, err
	}
	if _, err := q.Exec(ctx, "DELETE FROM {user_enrolments} WHERE id = ?", ue.ID); err != nil {
		return false, fmt.Errorf("unenrolling user %d: %w", u.UserID, err)
	}
	var others int
	if err := q.Get(ctx, &others, `SELECT COUNT(*) FROM {user_enrolments} ue JOIN {enrol} e ON e.id = ue.enrolid
		WHERE ue.userid = ? AND e.courseid = ?`, u.UserID, courseID); err != nil {
		return false, fmt.Errorf("enrolments of user %d: %w", u.UserID, err)
	}
	last := others == 0
	if last {
		// The big cleanup: the user has no place in the course any more.
		if err := un.unassignRoles(ctx, "(contextid = ? OR contextid IN (SELECT id FROM {context} WHERE path LIKE ?))",
			u.Course.ID, u.Course.Path+"/%"); err != nil {
			return false, err
		}
		if err := un.removeGroupMembers(ctx, "1 = 1"); err != nil {
			return false, err
		}
		if err := un.deleteGrades(ctx); err != nil {
			return false, err
		}
		if _, err := q.Exec(ctx, "DELETE FROM {user_lastaccess} WHERE userid = ? AND courseid = ?", u.UserID, courseID); err != nil {
			return false, fmt.Errorf("last access of user %d: %w", u.UserID, err)
		}
	}
	err = un.event(ctx, Event{Name: `\core\event\user_enrolment_deleted`, Component: "core", Action: "deleted",
		Target: "user_enrolment", ObjectTable: "user_enrolments", ObjectID: ue.ID, CRUD: "d", EduLevel: LevelOther,
		Context: u.Course, CourseID: courseID, RelatedUser: u.UserID,
		Other: Fields{{"userenrolment", Fields{
			{"id", idString(ue.ID)}, {"status", idString(ue.Status)}, {"enrolid", idString(ue.EnrolID)}, {"userid", idString(ue.UserID)},
			{"timestart", idString(ue.TimeStart)}, {"timeend", idString(ue.TimeEnd)}, {"modifierid", idString(ue.ModifierID)},
			{"timecreated", idString(ue.TimeCreated)}, {"timemodified", idString(ue.TimeModified)},
			{"courseid", idString(courseID)}, {"enrol", "manual"}, {"lastenrol", last}}},
			{"enrol", "manual"}}})
	if err != nil {
		return false, err
	}
	// core_course_category::user_enrolment_changed(): the course listing's
	// contacts may have included the user.
	a.invalidate("core/coursecontacts", idString(courseID))
	return true, MarkUserDirty(ctx, q, site, u.UserID, a.Time)
}

type unenroller struct {
	q    database.Querier
	a    Actor
	site *Site
	u    Unenrolment
}

func (un *unenroller) event(ctx context.Context, e Event) error {
	return un.a.Log.Write(ctx, un.q, un.a.event(e))
}

// unassignRoles is role_unassign_all() for the user's assignments matching
// where: each row deleted, with its role_unassigned event.
func (un *unenroller) unassignRoles(ctx context.Context, where string, args ...any) error {
	var ras []struct {
		ID        int64  `db:"id"`
		RoleID    int64  `db:"roleid"`
		ContextID int64  `db:"contextid"`
		Component string `db:"component"`
		ItemID    int64  `db:"itemid"`
	}
	err := un.q.Select(ctx, &ras, "SELECT id, roleid, contextid, component, itemid FROM {role_assignments} WHERE userid = ? AND "+where+" ORDER BY id",
		append([]any{un.u.UserID}, args...)...)
	if err != nil {
		return fmt.Errorf("role assignments of user %d: %w", un.u.UserID, err)
	}
	for _, ra := range ras {
		if _, err := un.q.Exec(ctx, "DELETE FROM {role_assignments} WHERE id = ?", ra.ID); err != nil {
			return fmt.Errorf("unassigning role %d: %w", ra.ID, err)
		}
		c, err := GetContext(ctx, un.q, ra.ContextID)
		if errors.Is(err, database.ErrNotFound) {
			continue // Moodle triggers nothing for a context that is gone
		} else if err != nil {
			return err
		}
		if err := MarkUserDirty(ctx, un.q, un.site, un.u.UserID, un.a.Time); err != nil {
			return err
		}
		// core_course_category::role_assignment_changed().
		if c.Level <= ContextCourse && un.site.Has("coursecontact", idString(ra.RoleID)) {
			un.a.invalidate("core/coursecontacts", idString(un.u.Course.InstanceID))
		}
		if err := un.event(ctx, Event{Name: `\core\event\role_unassigned`, Component: "core", Action: "unassigned",
			Target: "role", ObjectTable: "role", ObjectID: ra.RoleID, CRUD: "d", EduLevel: LevelOther,
			Context: c, CourseID: un.u.Course.InstanceID, RelatedUser: un.u.UserID,
			Other: Fields{{"id", idString(ra.ID)}, {"component", ra.Component}, {"itemid", idString(ra.ItemID)}}}); err != nil {
			return err
		}
	}
	return nil
}

// removeGroupMembers is groups_remove_member() for the user's memberships
// of the course's groups matching where (on groups_members gm): the row,
// the group's timemodified, the group conversation membership and the
// group_member_removed event.
func (un *unenroller) removeGroupMembers(ctx context.Context, where string, args ...any) error {
	var groups []int64
	err := un.q.Select(ctx, &groups, `SELECT DISTINCT gm.groupid FROM {groups_members} gm JOIN {groups} g ON g.id = gm.groupid
		WHERE g.courseid = ? AND gm.userid = ? AND `+where+" ORDER BY gm.groupid",
		append([]any{un.u.Course.InstanceID, un.u.UserID}, args...)...)
	if err != nil {
		return fmt.Errorf("groups of user %d: %w", un.u.UserID, err)
	}
	for _, gid := range groups {
		if _, err := un.q.Exec(ctx, "DELETE FROM {groups_members} WHERE groupid = ? AND userid = ?", gid, un.u.UserID); err != nil {
			return fmt.Errorf("removing user %d from group %d: %w", un.u.UserID, gid, err)
		}
		if _, err := un.q.Exec(ctx, "UPDATE {groups} SET timemodified = ? WHERE id = ?", un.a.Time, gid); err != nil {
			return fmt.Errorf("group %d: %w", gid, err)
		}
		if _, err := un.q.Exec(ctx, `DELETE m FROM {message_conversation_members} m JOIN {message_conversations} c ON c.id = m.conversationid
			WHERE c.component = 'core_group' AND c.itemtype = 'groups' AND c.itemid = ? AND c.contextid = ? AND c.type = 2 AND m.userid = ?`,
			gid, un.u.Course.ID, un.u.UserID); err != nil {
			return fmt.Errorf("group %d conversation: %w", gid, err)
		}
		un.a.invalidate("core/user_group_groupings", idString(un.u.UserID))
		if err := un.event(ctx, Event{Name: `\core\event\group_member_removed`, Component: "core", Action: "removed",
			Target: "group_member", ObjectTable: "groups", ObjectID: gid, CRUD: "d", EduLevel: LevelOther,
			Context: un.u.Course, CourseID: un.u.Course.InstanceID, RelatedUser: un.u.UserID}); err != nil {
			return err
		}
	}
	return nil
}

// deleteGrades is grade_user_unenrol(): every grade of the user in the
// course deleted through grade_grade::delete('userdelete'): a history row
// (unless $CFG->disablegradehistory), the feedback files of activity
// grades, and the grade_deleted event.
func (un *unenroller) deleteGrades(ctx context.Context) error {
	var grades []struct {
		ID         int64   `db:"id"`
		ItemID     int64   `db:"itemid"`
		ItemType   string  `db:"itemtype"`
		ItemModule *string `db:"itemmodule"`
		Instance   *int64  `db:"iteminstance"`
		FinalGrade *string `db:"finalgrade"`
		Overridden int64   `db:"overridden"`
	}
	err := un.q.Select(ctx, &grades, `SELECT gg.id, gg.itemid, gi.itemtype, gi.itemmodule, gi.iteminstance, gg.finalgrade, gg.overridden
		FROM {grade_grades} gg JOIN {grade_items} gi ON gi.id = gg.itemid
		WHERE gi.courseid = ? AND gg.userid = ? ORDER BY gi.id`, un.u.Course.InstanceID, un.u.UserID)
	if err != nil {
		return fmt.Errorf("grades of user %d: %w", un.u.UserID, err)
	}
	history := !un.site.Bool("disablegradehistory")
	for _, g := range grades {
		if history {
			_, err := un.q.Exec(ctx, `INSERT INTO {grade_grades_history} (action, oldid, source, timemodified, loggeduser, itemid, userid,
				rawgrade, rawgrademax, rawgrademin, rawscaleid, usermodified, finalgrade, hidden, locked, locktime, exported, overridden,
				excluded, feedback, feedbackformat, information, informationformat)
				SELECT 3, id, 'userdelete', ?, ?, itemid, userid, rawgrade, rawgrademax, rawgrademin, rawscaleid, usermodified, finalgrade,
				hidden, locked, locktime, exported, overridden, excluded, feedback, feedbackformat, information, informationformat
				FROM {grade_grades} WHERE id = ?`, un.a.Time, un.a.UserID, g.ID)
			if err != nil {
				return fmt.Errorf("grade history of grade %d: %w", g.ID, err)
			}
		}
		if _, err := un.q.Exec(ctx, "DELETE FROM {grade_grades} WHERE id = ?", g.ID); err != nil {
			return fmt.Errorf("deleting grade %d: %w", g.ID, err)
		}
		// Feedback files live in the activity's context (component grade,
		// area feedback, item the grade id).
		if g.ItemType == "mod" && g.ItemModule != nil && g.Instance != nil {
			if _, err := un.q.Exec(ctx, `DELETE f FROM {files} f JOIN {context} c ON c.id = f.contextid AND c.contextlevel = 70
				JOIN {course_modules} cm ON cm.id = c.instanceid JOIN {modules} m ON m.id = cm.module
				WHERE f.component = 'grade' AND f.filearea = 'feedback' AND f.itemid = ?
				  AND cm.course = ? AND m.name = ? AND cm.instance = ?`, g.ID, un.u.Course.InstanceID, *g.ItemModule, *g.Instance); err != nil {
				return fmt.Errorf("feedback files of grade %d: %w", g.ID, err)
			}
		}
		var final any
		if g.FinalGrade != nil {
			final = *g.FinalGrade
		}
		if err := un.event(ctx, Event{Name: `\core\event\grade_deleted`, Component: "core", Action: "deleted",
			Target: "grade", ObjectTable: "grade_grades", ObjectID: g.ID, CRUD: "d", EduLevel: LevelTeaching,
			Context: un.u.Course, CourseID: un.u.Course.InstanceID, RelatedUser: un.u.UserID,
			Other: Fields{{"itemid", idString(g.ItemID)}, {"overridden", g.Overridden != 0}, {"finalgrade", final}}}); err != nil {
			return err
		}
	}
	return nil
}

func idString(n int64) string { return strconv.FormatInt(n, 10) }
