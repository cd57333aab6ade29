package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// The jobs' choice of tools: all that pass the filter, or exactly the ids
// asked for, each of which must exist and pass.
func TestSelectTools(t *testing.T) {
	db, _ := testenv.DB(t)
	ctx := context.Background()
	var ids []int64
	for _, disabled := range []bool{false, true, false} {
		tool := store.NewTool(3, 13, 3, 5, 1)
		tool.Disabled = disabled
		if err := store.InsertTool(ctx, db, tool); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tool.ID)
	}
	enabled := func(t *store.Tool) bool { return !t.Disabled }
	got, err := store.SelectTools(ctx, db, nil, enabled)
	if err != nil || len(got) != 2 || got[0].ID != ids[0] || got[1].ID != ids[2] {
		t.Fatalf("all: %+v %v", got, err)
	}
	got, err = store.SelectTools(ctx, db, []int64{ids[2]}, enabled)
	if err != nil || len(got) != 1 || got[0].ID != ids[2] {
		t.Fatalf("by id: %+v %v", got, err)
	}
	var ns *store.ToolNotSelected
	if _, err := store.SelectTools(ctx, db, []int64{ids[0], ids[1]}, enabled); !errors.As(err, &ns) || ns.ID != ids[1] || ns.Missing {
		t.Fatalf("filtered out: %v", err)
	}
	if _, err := store.SelectTools(ctx, db, []int64{999}, enabled); !errors.As(err, &ns) || ns.ID != 999 || !ns.Missing {
		t.Fatalf("missing: %v", err)
	}
}
