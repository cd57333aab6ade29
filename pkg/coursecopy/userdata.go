package coursecopy

import (
	"context"
	"sort"
	"strconv"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// User data, copied only when Options.UserData asks for it.

// commentAreas and ratingAreas map the item ids of comments and ratings to
// the tables of the commented or rated rows.
var commentAreas = map[string]string{
	"assignsubmission_comments/submission_comments": "assign_submission",
	"mod_data/database_entry":                       "data_records",
	"mod_glossary/glossary_entry":                   "glossary_entries",
}

var ratingAreas = map[string]string{
	"mod_forum/post":     "forum_posts",
	"mod_glossary/entry": "glossary_entries",
	"mod_data/entry":     "data_records",
}

// copyContextUserData copies a context's role assignments, comments and
// ratings, and marks the users whose roles changed so their sessions
// reload their capabilities.
func (c *copier) copyContextUserData(ctx context.Context, old, new moodle.Context) error {
	ras, err := c.s.selectRows(ctx, "role_assignments", "contextid = ?", old.ID)
	if err != nil {
		return err
	}
	for _, ra := range ras {
		set := row{"contextid": new.ID, "timemodified": c.now(), "modifierid": c.env.UserID}
		if comp := ra.str("component"); comp != "" {
			n, ok := c.get("enrol", ra.int("itemid"))
			if !ok {
				continue // assigned by an enrolment method that was not carried over
			}
			set["itemid"] = n
		}
		if _, err := c.copyRow(ctx, "role_assignments", ra, set); err != nil {
			return err
		}
		if err := moodle.MarkUserDirty(ctx, c.q, c.env.Site, ra.int("userid"), c.now()); err != nil {
			return err
		}
	}
	for table, areas := range map[string]map[string]string{"comments": commentAreas, "rating": ratingAreas} {
		area := "commentarea"
		if table == "rating" {
			area = "ratingarea"
		}
		rows, err := c.s.selectRows(ctx, table, "contextid = ?", old.ID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			t, ok := areas[r.str("component")+"/"+r.str(area)]
			if !ok {
				continue
			}
			item, ok := c.get(t, r.int("itemid"))
			if !ok {
				continue
			}
			if _, err := c.copyRow(ctx, table, r, row{"contextid": new.ID, "itemid": item}); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyCourseUserData copies enrolments (into the destination's instance of
// the same enrolment method), group members, grades of the copied items and
// course completion.
func (c *copier) copyCourseUserData(ctx context.Context) error {
	if !c.opt.UserData {
		return nil
	}
	srcEnrols, err := c.s.selectRows(ctx, "enrol", "courseid = ?", c.src)
	if err != nil {
		return err
	}
	dstEnrols, err := c.s.selectRows(ctx, "enrol", "courseid = ?", c.dst)
	if err != nil {
		return err
	}
	sort.SliceStable(dstEnrols, func(i, j int) bool { return dstEnrols[i].int("sortorder") < dstEnrols[j].int("sortorder") })
	for _, e := range srcEnrols {
		var target int64
		for _, d := range dstEnrols {
			if d.str("enrol") == e.str("enrol") {
				target = d.int("id")
				break
			}
		}
		var n int
		if err := c.q.Get(ctx, &n, "SELECT COUNT(1) FROM {user_enrolments} WHERE enrolid = ?", e.int("id")); err != nil {
			return err
		}
		if target == 0 {
			if n > 0 {
				c.rep.warn("%d enrolments by %s were not copied: the new course has no such enrolment method", n, e.str("enrol"))
			}
			continue
		}
		c.put("enrol", e.int("id"), target)
		ues, err := c.s.selectRows(ctx, "user_enrolments", "enrolid = ? AND userid NOT IN (SELECT userid FROM {user_enrolments} WHERE enrolid = ?)",
			e.int("id"), target)
		if err != nil {
			return err
		}
		for _, ue := range ues {
			if _, err := c.copyRow(ctx, "user_enrolments", ue, row{"enrolid": target, "modifierid": c.env.UserID,
				"timecreated": c.now(), "timemodified": c.now()}); err != nil {
				return err
			}
		}
	}
	// Role assignments by enrolment plugins need the instance map above;
	// manual ones were copied with the course context.
	ras, err := c.s.selectRows(ctx, "role_assignments", "contextid = ? AND component <> ''", c.srcCtx.ID)
	if err != nil {
		return err
	}
	for _, ra := range ras {
		n, ok := c.get("enrol", ra.int("itemid"))
		if !ok {
			continue
		}
		if _, err := c.copyRow(ctx, "role_assignments", ra, row{"contextid": c.dstCtx.ID, "itemid": n,
			"timemodified": c.now(), "modifierid": c.env.UserID}); err != nil {
			return err
		}
		if err := moodle.MarkUserDirty(ctx, c.q, c.env.Site, ra.int("userid"), c.now()); err != nil {
			return err
		}
	}
	members, err := c.s.selectRows(ctx, "groups_members", "groupid IN (SELECT id FROM {groups} WHERE courseid = ?)", c.src)
	if err != nil {
		return err
	}
	for _, m := range members {
		if _, err := c.copyRow(ctx, "groups_members", m, row{"groupid": c.ref("groups", m.int("groupid")), "timeadded": c.now()}); err != nil {
			return err
		}
		// As groups_add_member(): the user's cached groups are stale.
		c.env.Invalidate("core/user_group_groupings", strconv.FormatInt(m.int("userid"), 10))
	}
	grades, err := c.s.selectRows(ctx, "grade_grades", "itemid IN (SELECT id FROM {grade_items} WHERE courseid = ?)", c.src)
	if err != nil {
		return err
	}
	for _, g := range grades {
		item, ok := c.get("grade_items", g.int("itemid"))
		if !ok {
			continue
		}
		if _, err := c.copyRow(ctx, "grade_grades", g, row{"itemid": item}); err != nil {
			return err
		}
	}
	if err := c.copyWhere(ctx, "course_completions", "course = ?", []any{c.src}, row{"course": c.dst}); err != nil {
		return err
	}
	done, err := c.s.selectRows(ctx, "course_completion_crit_compl", "course = ?", c.src)
	if err != nil {
		return err
	}
	for _, d := range done {
		crit, ok := c.get("course_completion_criteria", d.int("criteriaid"))
		if !ok {
			continue
		}
		if _, err := c.copyRow(ctx, "course_completion_crit_compl", d, row{"course": c.dst, "criteriaid": crit}); err != nil {
			return err
		}
	}
	return nil
}
