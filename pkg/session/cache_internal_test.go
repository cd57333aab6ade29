package session

import (
	"context"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

// The custom profile fields are read once per ttl, and again after it.
func TestProfileFieldCache(t *testing.T) {
	db, tdb := testenv.DB(t)
	ctx := context.Background()
	c := &profileFieldCache{ttl: time.Hour}
	fields, err := c.get(ctx, db)
	if err != nil || len(fields) != 0 {
		t.Fatalf("the fixture's fields: %v %v", fields, err)
	}
	tdb.Exec(t, "INSERT INTO {user_info_category} (id, name, sortorder) VALUES (1, 'Other', 1)")
	tdb.Exec(t, `INSERT INTO {user_info_field} (id, shortname, name, datatype, categoryid, sortorder, defaultdata) VALUES
		(1, 'school', 'School', 'text', 1, 2, 'none'), (3, 'level', 'Level', 'menu', 1, 1, 'A')`)
	if fields, _ := c.get(ctx, db); len(fields) != 0 {
		t.Fatalf("read again within the ttl: %v", fields)
	}
	c.ttl = time.Millisecond
	time.Sleep(2 * time.Millisecond)
	fields, err = c.get(ctx, db)
	if err != nil || len(fields) != 2 || fields[0].Shortname != "level" || fields[1].Shortname != "school" {
		t.Fatalf("after the ttl: %+v %v", fields, err)
	}
}
