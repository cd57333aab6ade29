package coursecopy

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// copyGradebook copies the grade categories (with their path and depth),
// the grade items (course total, category totals, module items of the
// copied modules, manual items, with ##gi<id>## calculations rewritten), the
// course's grade settings and outcomes. Every item is flagged needsupdate,
// as restore's grade_force_full_regrading() does, so Moodle recomputes
// final grades on first use.
func (c *copier) copyGradebook(ctx context.Context) error {
	cats, err := c.s.selectRows(ctx, "grade_categories", "courseid = ?", c.src)
	if err != nil {
		return err
	}
	sort.SliceStable(cats, func(i, j int) bool { return cats[i].int("depth") < cats[j].int("depth") })
	paths := map[int64]string{}
	for _, cat := range cats {
		parent := c.ref("grade_categories", cat.int("parent"))
		id, err := c.copyRow(ctx, "grade_categories", cat, row{"courseid": c.dst, "parent": nullIfZero(parent),
			"path": nil, "timecreated": c.now(), "timemodified": c.now()})
		if err != nil {
			return err
		}
		path := "/" + strconv.FormatInt(id, 10) + "/"
		if parent != 0 {
			path = paths[parent] + strconv.FormatInt(id, 10) + "/"
		}
		paths[id] = path
		depth := int64(len(splitPath(path)))
		if err := c.s.update(ctx, "grade_categories", id, row{"path": path, "depth": depth}); err != nil {
			return err
		}
	}
	items, err := c.s.selectRows(ctx, "grade_items", "courseid = ?", c.src)
	if err != nil {
		return err
	}
	var copied []row
	for _, it := range items {
		set := row{"courseid": c.dst, "categoryid": nullIfZero(c.ref("grade_categories", it.int("categoryid"))),
			"scaleid": nullIfZero(c.ref("scale", it.int("scaleid"))), "outcomeid": nullIfZero(c.ref("grade_outcomes", it.int("outcomeid"))),
			"needsupdate": 1, "timecreated": c.now(), "timemodified": c.now()}
		switch it.str("itemtype") {
		case "course", "category":
			set["iteminstance"] = c.ref("grade_categories", it.int("iteminstance"))
		case "mod":
			n, ok := c.get(it.str("itemmodule"), it.int("iteminstance"))
			if !ok {
				continue // its module was not copied
			}
			set["iteminstance"] = n
		}
		if _, err := c.copyRow(ctx, "grade_items", it, set); err != nil {
			return err
		}
		copied = append(copied, it)
	}
	for _, it := range copied {
		calc := it.str("calculation")
		if calc == "" {
			continue
		}
		nc, missing := c.remapCalculation(calc)
		n, _ := c.get("grade_items", it.int("id"))
		if len(missing) > 0 {
			c.rep.warn("grade item %q: its calculation used grade items that were not copied and was removed", it.str("itemname"))
			if err := c.s.update(ctx, "grade_items", n, row{"calculation": nil}); err != nil {
				return err
			}
			continue
		}
		if err := c.s.update(ctx, "grade_items", n, row{"calculation": nc}); err != nil {
			return err
		}
	}
	if err := c.copyWhere(ctx, "grade_settings", "courseid = ?", []any{c.src}, row{"courseid": c.dst}); err != nil {
		return err
	}
	outs, err := c.s.selectRows(ctx, "grade_outcomes_courses", "courseid = ?", c.src)
	if err != nil {
		return err
	}
	for _, o := range outs {
		if _, err := c.copyRow(ctx, "grade_outcomes_courses", o, row{"courseid": c.dst,
			"outcomeid": c.ref("grade_outcomes", o.int("outcomeid"))}); err != nil {
			return err
		}
	}
	return nil
}

// copyModuleGradeItems copies the grade items of one module copied on its
// own: into the destination's top grade category (made if the course has
// none yet, as Moodle makes it on first use), after its other items.
func (c *copier) copyModuleGradeItems(ctx context.Context, m *modCopy) error {
	items, err := c.s.selectRows(ctx, "grade_items", "courseid = ? AND itemtype = 'mod' AND itemmodule = ? AND iteminstance = ?",
		c.src, m.modname, m.oldInst)
	if err != nil || len(items) == 0 {
		return err
	}
	top, err := moodle.CourseGradeCategory(ctx, c.q, c.env, c.dst)
	if err != nil {
		return err
	}
	var sortorder int64
	if err := c.q.Get(ctx, &sortorder, "SELECT COALESCE(MAX(sortorder), 0) FROM {grade_items} WHERE courseid = ?", c.dst); err != nil {
		return err
	}
	for _, it := range items {
		sortorder++
		cat := c.ref("grade_categories", it.int("categoryid"))
		if cat == 0 {
			cat = top
		}
		set := row{"courseid": c.dst, "iteminstance": m.newInst, "categoryid": cat, "sortorder": sortorder, "needsupdate": 1,
			"timecreated": c.now(), "timemodified": c.now()}
		if idn := it.str("idnumber"); idn != "" {
			var n int
			if err := c.q.Get(ctx, &n, "SELECT COUNT(1) FROM {grade_items} WHERE courseid = ? AND idnumber = ?", c.dst, idn); err != nil {
				return err
			}
			if n > 0 {
				set["idnumber"] = ""
			}
		}
		if _, err := c.copyRow(ctx, "grade_items", it, set); err != nil {
			return err
		}
	}
	_, err = c.q.Exec(ctx, "UPDATE {grade_items} SET needsupdate = 1 WHERE courseid = ? AND itemtype = 'course'", c.dst)
	return err
}

func nullIfZero(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
