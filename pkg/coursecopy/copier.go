package coursecopy

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// copier carries one copy: the source and destination, the id of every row
// copied so far (old → new, per table), and the report.
type copier struct {
	q   database.Querier
	s   *schema
	env moodle.Env
	opt Options
	rep *Report

	src, dst       int64
	srcCtx, dstCtx moodle.Context
	// whole: a whole course is copied, so references to the source course's
	// groups, modules and grade items are carried over; when one module is
	// copied into another course they cannot be, and become 0.
	whole bool

	ids      map[string]map[int64]int64
	deferred []deferredRef
	blocks   []int64 // source block instances copied, for their positions
	afters   []*modCopy
}

// deferredRef is an id column written before the row it points at was
// copied (trees, and references to tables copied later).
type deferredRef struct {
	table  string
	id     int64
	column string
	target string
	old    int64
}

func newCopier(q database.Querier, env moodle.Env, opt Options) *copier {
	return &copier{q: q, s: newSchema(q), env: env, opt: opt, rep: &Report{Modules: map[int64]int64{}},
		ids: map[string]map[int64]int64{}}
}

func (c *copier) now() int64 { return c.env.Unix() }

// put records that row old of table was copied as new.
func (c *copier) put(table string, old, new int64) {
	m := c.ids[table]
	if m == nil {
		m = map[int64]int64{}
		c.ids[table] = m
	}
	m[old] = new
}

func (c *copier) get(table string, old int64) (int64, bool) {
	n, ok := c.ids[table][old]
	return n, ok
}

// courseBound are the tables whose rows belong to the source course: a
// reference to one that was not copied cannot point anywhere in the
// destination, so it becomes 0 (Moodle's restore does the same).
var courseBound = map[string]bool{"groups": true, "groupings": true, "course_modules": true, "grade_items": true,
	"course_sections": true, "grade_categories": true}

// ref maps an id column's value: 0 and negative values are kept (they are
// "none" or "all"), copied rows get their copy's id, references to rows of
// the source course that were not copied become 0 (unless the copy stays
// in the source course, where they still exist), anything else (users,
// roles, site-wide scales, other courses) is kept.
func (c *copier) ref(table string, old int64) int64 {
	if old <= 0 {
		return old
	}
	if n, ok := c.get(table, old); ok {
		return n
	}
	if courseBound[table] && (c.whole || c.src != c.dst) {
		return 0
	}
	return old
}

// copyRow inserts a copy and records the mapping.
func (c *copier) copyRow(ctx context.Context, table string, r row, set row) (int64, error) {
	id, err := c.s.insert(ctx, table, r, set)
	if err != nil {
		return 0, err
	}
	c.put(table, r.int("id"), id)
	return id, nil
}

// resolveDeferred fills in the references written before their target.
func (c *copier) resolveDeferred(ctx context.Context) error {
	for _, d := range c.deferred {
		if err := c.s.update(ctx, d.table, d.id, row{d.column: c.ref(d.target, d.old)}); err != nil {
			return err
		}
	}
	c.deferred = nil
	return nil
}

// newContext creates the context of a copied object and records it.
func (c *copier) newContext(ctx context.Context, level int, instance int64, parent moodle.Context, old int64) (moodle.Context, error) {
	nc, err := moodle.CreateContext(ctx, c.q, level, instance, parent)
	if err != nil {
		return nc, err
	}
	c.put("context", old, nc.ID)
	return nc, nil
}

// copyContextContent copies what hangs off a context: role overrides,
// filter settings, custom role names, grade letters, blocks (with their own
// contexts), files and tags, and with user data the role assignments,
// comments and ratings. The objects the files and tags belong to must be
// copied already.
func (c *copier) copyContextContent(ctx context.Context, old, new moodle.Context) error {
	for _, t := range []string{"role_capabilities", "filter_active", "filter_config", "role_names", "grade_letters"} {
		rows, err := c.s.selectRows(ctx, t, "contextid = ?", old.ID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			set := row{"contextid": new.ID}
			if t == "role_capabilities" {
				set["timemodified"] = c.now()
				set["modifierid"] = c.env.UserID
			}
			if _, err := c.copyRow(ctx, t, r, set); err != nil {
				return err
			}
		}
	}
	if err := c.copyBlocks(ctx, old, new); err != nil {
		return err
	}
	if err := c.copyFiles(ctx, old.ID, new.ID); err != nil {
		return err
	}
	if err := c.copyTags(ctx, old.ID, new.ID); err != nil {
		return err
	}
	if c.opt.UserData {
		return c.copyContextUserData(ctx, old, new)
	}
	return nil
}

// copyBlocks copies the block instances whose parent is a context, each
// with its context and content. Their positions are copied at the end,
// when every context they may refer to exists.
func (c *copier) copyBlocks(ctx context.Context, old, new moodle.Context) error {
	blocks, err := c.s.selectRows(ctx, "block_instances", "parentcontextid = ?", old.ID)
	if err != nil {
		return err
	}
	for _, b := range blocks {
		id, err := c.copyRow(ctx, "block_instances", b, row{"parentcontextid": new.ID, "timecreated": c.now(), "timemodified": c.now()})
		if err != nil {
			return err
		}
		c.blocks = append(c.blocks, b.int("id"))
		oldctx, err := moodle.ContextOf(ctx, c.q, moodle.ContextBlock, b.int("id"))
		if err != nil {
			// Moodle creates block contexts lazily; one never made has no content.
			if _, err := c.newContext(ctx, moodle.ContextBlock, id, new, 0); err != nil {
				return err
			}
			continue
		}
		nc, err := c.newContext(ctx, moodle.ContextBlock, id, new, oldctx.ID)
		if err != nil {
			return err
		}
		if err := c.copyContextContent(ctx, oldctx, nc); err != nil {
			return err
		}
	}
	return nil
}

// copyBlockPositions copies the positions of the copied blocks on pages
// whose context was copied too.
func (c *copier) copyBlockPositions(ctx context.Context) error {
	if len(c.blocks) == 0 {
		return nil
	}
	marks, args := in(c.blocks)
	rows, err := c.s.selectRows(ctx, "block_positions", "blockinstanceid IN "+marks, args...)
	if err != nil {
		return err
	}
	for _, r := range rows {
		nctx, ok := c.get("context", r.int("contextid"))
		if !ok {
			continue // a position on a page of another course
		}
		nb, _ := c.get("block_instances", r.int("blockinstanceid"))
		if _, err := c.copyRow(ctx, "block_positions", r, row{"blockinstanceid": nb, "contextid": nctx}); err != nil {
			return err
		}
	}
	return nil
}

// copyFiles copies the file records of a context: same content (the bytes
// in Moodle's file pool are shared by contenthash and never copied), new
// context, itemid mapped to the copied row, pathnamehash recomputed.
func (c *copier) copyFiles(ctx context.Context, oldCtx, newCtx int64) error {
	files, err := c.s.selectRows(ctx, "files", "contextid = ?", oldCtx)
	if err != nil {
		return err
	}
	warned := map[string]bool{}
	for _, f := range files {
		component, area, item := f.str("component"), f.str("filearea"), f.int("itemid")
		rule, known := fileRuleFor(component, area)
		if rule.skip || (rule.userdata && !c.opt.UserData) {
			continue
		}
		newItem := item
		switch {
		case known && rule.table != "":
			n, ok := c.get(rule.table, item)
			if !ok {
				continue // the row it belongs to was not copied
			}
			newItem = n
		case !known && item != 0:
			if key := component + "/" + area; !warned[key] {
				warned[key] = true
				c.rep.warn("files of %s were not copied: the copy does not know what their item ids refer to", key)
			}
			continue
		}
		path := f.str("filepath")
		hash := sha1.Sum([]byte(fmt.Sprintf("/%d/%s/%s/%d%s%s", newCtx, component, area, newItem, path, f.str("filename"))))
		if _, err := c.copyRow(ctx, "files", f, row{"contextid": newCtx, "itemid": newItem,
			"pathnamehash": hex.EncodeToString(hash[:])}); err != nil {
			return err
		}
	}
	return nil
}

// copyTags copies the tag instances of a context for the items copied.
func (c *copier) copyTags(ctx context.Context, oldCtx, newCtx int64) error {
	tags, err := c.s.selectRows(ctx, "tag_instance", "contextid = ?", oldCtx)
	if err != nil {
		return err
	}
	for _, t := range tags {
		rule, ok := tagTables[t.str("component")+"/"+t.str("itemtype")]
		if !ok || (rule.userdata && !c.opt.UserData) {
			continue
		}
		item, ok := c.get(rule.table, t.int("itemid"))
		if !ok {
			continue
		}
		if _, err := c.copyRow(ctx, "tag_instance", t, row{"contextid": newCtx, "itemid": item,
			"timecreated": c.now(), "timemodified": c.now()}); err != nil {
			return err
		}
	}
	return nil
}

// remapCalculation rewrites the ##gi<id>## references of a grade
// calculation; it reports the ids it could not map.
func (c *copier) remapCalculation(calc string) (string, []int64) {
	var missing []int64
	var out strings.Builder
	for {
		i := strings.Index(calc, "##gi")
		if i < 0 {
			out.WriteString(calc)
			break
		}
		j := strings.Index(calc[i+4:], "##")
		if j < 0 {
			out.WriteString(calc)
			break
		}
		num := calc[i+4 : i+4+j]
		old := toInt(num)
		out.WriteString(calc[:i])
		if n, ok := c.get("grade_items", old); ok && old > 0 {
			fmt.Fprintf(&out, "##gi%d##", n)
		} else {
			missing = append(missing, old)
			out.WriteString(calc[i : i+4+j+2])
		}
		calc = calc[i+4+j+2:]
	}
	return out.String(), missing
}
