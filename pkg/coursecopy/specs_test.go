package coursecopy

import (
	"context"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// Every table and column the module, question-type, file and tag
// descriptions name exists in Moodle 4.5.6: a misspelt name would copy
// nothing without an error.
func TestSpecsNameRealTablesAndColumns(t *testing.T) {
	db, _ := testenv.DB(t)
	ctx := context.Background()
	s := newSchema(db)
	must := func(where, table string, cols ...string) {
		t.Helper()
		for _, col := range cols {
			ok, err := s.has(ctx, table, col)
			if err != nil || !ok {
				t.Errorf("%s: %s.%s does not exist (%v)", where, table, col, err)
			}
		}
	}
	children := func(where, parent string, list []child) {
		for _, ch := range list {
			must(where, ch.table, "id", ch.parent)
			for col := range ch.refs {
				must(where, ch.table, col)
			}
		}
	}
	for mod, sp := range specs {
		must("module "+mod, mod, "id", "course")
		for col := range sp.refs {
			must("module "+mod, mod, col)
		}
		must("module "+mod, mod, sp.scales...)
		children("module "+mod, mod, sp.children)
		for _, tbl := range sp.files {
			must("module "+mod+" files", tbl, "id")
		}
		for _, tbl := range sp.userFiles {
			must("module "+mod+" files", tbl, "id")
		}
	}
	for q, list := range qtypeTables {
		children("question type "+q, "question", list)
	}
	for area, r := range staticFileRules {
		if r.table != "" {
			must("file area "+area, r.table, "id")
		}
	}
	for k, r := range tagTables {
		must("tag "+k, r.table, "id")
	}
	for k, tbl := range commentAreas {
		must("comments "+k, tbl, "id")
	}
	for k, tbl := range ratingAreas {
		must("ratings "+k, tbl, "id")
	}
}
