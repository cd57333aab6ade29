package coursecopy

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// linkPattern finds the links Moodle's backup encodes and its restore
// rewrites for the copied ids (encode_content_links() of the course, its
// sections and its modules): <wwwroot>/mod/<mod>/view.php?id=<cm>,
// <wwwroot>/mod/<mod>/index.php?id=<course>, <wwwroot>/course/view.php?id=
// <course> and <wwwroot>/course/section.php?id=<section>.
var linkPattern = regexp.MustCompile(`^/(mod/[a-z][a-z0-9_]*/view|mod/[a-z][a-z0-9_]*/index|course/view|course/section)\.php\?id=([0-9]+)`)

// rewriteLinks points the links inside the copied rows' text at the
// copies, as restore does: an activity, section or course that was copied
// is linked as its copy; anything else keeps its link. Only links that
// start with the site's wwwroot are links to this site.
func (c *copier) rewriteLinks(ctx context.Context) error {
	root := strings.TrimRight(c.env.WWWRoot, "/")
	if root == "" {
		return nil
	}
	var tables []string
	for table, ids := range c.ids {
		if len(ids) > 0 && table != "context" && table != "files" {
			tables = append(tables, table)
		}
	}
	if len(tables) == 0 {
		return nil
	}
	// The copied tables' text columns, where HTML lives.
	var cols []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
	}
	prefixed := make([]any, len(tables))
	for i, t := range tables {
		prefixed[i] = strings.Trim(c.q.Table(t), "`")
	}
	err := c.q.Select(ctx, &cols, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = DATABASE() AND data_type IN ('text', 'mediumtext', 'longtext') AND table_name IN (?`+
		strings.Repeat(", ?", len(tables)-1)+`)`, prefixed...)
	if err != nil {
		return fmt.Errorf("text columns: %w", err)
	}
	byName := map[string]string{}
	for _, t := range tables {
		byName[strings.Trim(c.q.Table(t), "`")] = t
	}
	// rewrite rewrites the link at the start of what follows a wwwroot.
	rewrite := func(after string) string {
		sub := linkPattern.FindStringSubmatch(after)
		if sub == nil {
			return after
		}
		old, _ := strconv.ParseInt(sub[2], 10, 64)
		target := "course"
		switch {
		case strings.HasPrefix(sub[1], "mod/") && strings.HasSuffix(sub[1], "/view"):
			target = "course_modules"
		case sub[1] == "course/section":
			target = "course_sections"
		}
		if target == "course" && !c.whole {
			return after // one activity copied: the course it links is not
		}
		id, ok := c.get(target, old)
		if !ok {
			return after
		}
		return "/" + sub[1] + ".php?id=" + strconv.FormatInt(id, 10) + after[len(sub[0]):]
	}
	for _, col := range cols {
		table := byName[col.Table]
		var ids []int64
		for _, id := range c.ids[table] {
			ids = append(ids, id)
		}
		for len(ids) > 0 {
			chunk := ids[:min(len(ids), 500)]
			ids = ids[len(chunk):]
			args := []any{"%" + root + "/%"}
			for _, id := range chunk {
				args = append(args, id)
			}
			var rows []struct {
				ID   int64   `db:"id"`
				Text *string `db:"t"`
			}
			q := fmt.Sprintf("SELECT id, `%s` AS t FROM {%s} WHERE `%s` LIKE ? AND id IN (?%s)", col.Column, table, col.Column,
				strings.Repeat(", ?", len(chunk)-1))
			if err := c.q.Select(ctx, &rows, q, args...); err != nil {
				return fmt.Errorf("links in %s.%s: %w", table, col.Column, err)
			}
			for _, r := range rows {
				if r.Text == nil {
					continue
				}
				// Only the links of this site: split on wwwroot and
				// rewrite what follows each occurrence.
				parts := strings.Split(*r.Text, root)
				for i := 1; i < len(parts); i++ {
					parts[i] = rewrite(parts[i])
				}
				if text := strings.Join(parts, root); text != *r.Text {
					if _, err := c.q.Exec(ctx, fmt.Sprintf("UPDATE {%s} SET `%s` = ? WHERE id = ?", table, col.Column), text, r.ID); err != nil {
						return fmt.Errorf("links in %s.%s: %w", table, col.Column, err)
					}
				}
			}
		}
	}
	return nil
}
