package coursecopy

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/database"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var fixedNow = time.Unix(1795760000, 0)

// richDB returns a test database whose template course TPL1 (id 2) holds
// the content testdata/tpl1-rich.sql adds: rows Moodle 4.5.6 itself wrote
// (through its APIs) on the reference site, covering the module types,
// question types and cross-references the copy handles.
func richDB(t *testing.T) (*database.DB, *testdb.DB) { return richDBB(t) }

func richDBB(t testing.TB) (*database.DB, *testdb.DB) {
	t.Helper()
	db, tdb := testenv.DB(t)
	f, err := os.Open("testdata/tpl1-rich.sql")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := strings.Replace(sc.Text(), "`mdl_", "`"+tdb.Prefix, 1)
		if _, err := tdb.SQL.Exec(line); err != nil {
			t.Fatalf("%.60s: %v", line, err)
		}
	}
	return db, tdb
}

func testEnv(t testing.TB, q database.Querier) moodle.Env {
	t.Helper()
	ctx := context.Background()
	site, err := moodle.LoadSite(ctx, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := moodle.LoadLogStore(ctx, q, site)
	if err != nil {
		t.Fatal(err)
	}
	return moodle.Env{Site: site, Log: ls, IP: "198.51.100.7", Now: fixedNow, WWWRoot: testWWWRoot}
}

// newBareCourse creates the destination of a course copy.
func newBareCourse(t *testing.T, ctx context.Context, tx *database.Tx, env moodle.Env, short string) int64 {
	t.Helper()
	id, err := moodle.CreateCourse(ctx, tx, env, moodle.NewCourse{Fullname: "Copy " + short, Shortname: short, IDNumber: short, Category: 2, Bare: true})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
