package migrate_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/migrate"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/settings"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testdb"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/testenv"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func migrator(t *testing.T, tdb *testdb.DB) *migrate.Migrator {
	return &migrate.Migrator{DB: testenv.Open(t, tdb), Collation: testenv.Collation}
}

// Running migrate twice changes nothing the second time.
func TestFreshSiteTwice(t *testing.T) {
	tdb := testdb.New(t)
	m := migrator(t, tdb)
	ctx := context.Background()
	res, err := m.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != len(migrate.Steps()) || len(res.Settings) != len(settings.Definitions) {
		t.Fatalf("first run applied %d steps and %d settings", len(res.Applied), len(res.Settings))
	}
	before := tdb.Snapshot(t)
	res, err = m.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Empty() {
		t.Fatalf("second run changed something: %+v", res)
	}
	tdb.AssertUnchanged(t, before)
	if pending, _ := m.Pending(ctx); len(pending) != 0 {
		t.Fatalf("pending after migrate: %v", pending)
	}
}

// The tables are exactly the plugin's install.xml, as Moodle's MySQL
// generator would have made them.
func TestPluginTablesMatchInstallXML(t *testing.T) {
	tdb := testdb.New(t)
	if _, err := migrator(t, tdb).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		// column: type, nullable, default
		"id": "bigint(10) NO <nil>", "courseid": "bigint(10) NO <nil>", "contextid": "bigint(10) NO <nil>",
		"disabled": "tinyint(2) NO 0", "sendgrades": "tinyint(2) NO 1", "forcenavigation": "tinyint(2) NO 1",
		"croleinst": "bigint(10) NO <nil>", "crolelearn": "bigint(10) NO <nil>",
		"aroleinst": "bigint(10) YES NULL", "arolelearn": "bigint(10) YES NULL",
		"secret": "longtext YES NULL", "encoding": "varchar(32) YES NULL",
		"institution": "varchar(40) NO ''", "lang": "varchar(30) NO 'en'", "timezone": "varchar(100) NO '99'",
		"maildisplay": "tinyint(2) NO 2", "city": "varchar(120) NO ''", "country": "varchar(2) NO ''",
		"hidepageheader": "tinyint(2) NO 0", "hidepagefooter": "tinyint(2) NO 0",
		"hideleftblocks": "tinyint(2) NO 0", "hiderightblocks": "tinyint(2) NO 0",
		"customcss": "longtext YES NULL", "enrolstartdate": "bigint(10) NO 0", "enrolperiod": "bigint(10) NO 0",
		"enrolenddate": "bigint(10) NO 0", "maxenrolled": "bigint(10) NO 0",
		"userprofileupdate": "tinyint(1) YES 1", "syncmembers": "tinyint(1) YES 0", "syncmode": "tinyint(2) YES 0",
		"syncperiod": "bigint(10) YES 0", "timemodified": "bigint(10) NO <nil>", "timecreated": "bigint(10) NO <nil>",
		"lastsync": "bigint(10) YES NULL", "requirecompletion": "tinyint(2) YES 0", "enrolinst": "tinyint(2) YES 1",
		"enrollearn": "tinyint(2) YES 1", "addtogroup": "varchar(64) YES ''", "sendcompletion": "tinyint(2) YES 0",
	}
	rows := tdb.Rows(t, "SELECT column_name AS c, column_type AS t, is_nullable AS n, column_default AS d "+
		"FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position",
		tdb.Prefix+"local_ltiprovider")
	if len(rows) != len(want) {
		t.Fatalf("%d columns, want %d", len(rows), len(want))
	}
	for _, r := range rows {
		got := str(r["t"]) + " " + str(r["n"]) + " " + str(r["d"])
		if want[str(r["c"])] != got {
			t.Errorf("column %s: %s, want %s", str(r["c"]), got, want[str(r["c"])])
		}
	}
	opts := tdb.Rows(t, "SELECT table_collation AS c, row_format AS f, table_comment AS m FROM information_schema.tables "+
		"WHERE table_schema = DATABASE() AND table_name = ?", tdb.Prefix+"local_ltiprovider_user")
	if str(opts[0]["c"]) != "utf8mb4_unicode_ci" || str(opts[0]["f"]) != "Compressed" || str(opts[0]["m"]) != "User access log and gradeback data" {
		t.Errorf("table options %v", opts[0])
	}
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// A site that ran an old plugin version (2014080102: no enrolinst,
// enrollearn, addtogroup, sendcompletion) keeps every row and setting.
func TestLegacyPluginSiteKeepsItsRows(t *testing.T) {
	tdb := testdb.New(t)
	tdb.Exec(t, `CREATE TABLE {local_ltiprovider} (
		id BIGINT(10) NOT NULL AUTO_INCREMENT, courseid BIGINT(10) NOT NULL, contextid BIGINT(10) NOT NULL,
		disabled TINYINT(2) NOT NULL DEFAULT 0, sendgrades TINYINT(2) NOT NULL DEFAULT 1,
		forcenavigation TINYINT(2) NOT NULL DEFAULT 1, croleinst BIGINT(10) NOT NULL, crolelearn BIGINT(10) NOT NULL,
		aroleinst BIGINT(10), arolelearn BIGINT(10), secret LONGTEXT, encoding VARCHAR(32),
		institution VARCHAR(40) NOT NULL DEFAULT '', lang VARCHAR(30) NOT NULL DEFAULT 'en',
		timezone VARCHAR(100) NOT NULL DEFAULT '99', maildisplay TINYINT(2) NOT NULL DEFAULT 2,
		city VARCHAR(120) NOT NULL DEFAULT '', country VARCHAR(2) NOT NULL DEFAULT '',
		hidepageheader TINYINT(2) NOT NULL DEFAULT 0, hidepagefooter TINYINT(2) NOT NULL DEFAULT 0,
		hideleftblocks TINYINT(2) NOT NULL DEFAULT 0, hiderightblocks TINYINT(2) NOT NULL DEFAULT 0,
		customcss LONGTEXT, enrolstartdate BIGINT(10) NOT NULL DEFAULT 0, enrolperiod BIGINT(10) NOT NULL DEFAULT 0,
		enrolenddate BIGINT(10) NOT NULL DEFAULT 0, maxenrolled BIGINT(10) NOT NULL DEFAULT 0,
		userprofileupdate TINYINT(1) NOT NULL DEFAULT 1, syncmembers TINYINT(1) NOT NULL DEFAULT 0,
		syncmode TINYINT(2) NOT NULL DEFAULT 0, syncperiod BIGINT(10) NOT NULL DEFAULT 0,
		timemodified BIGINT(10) NOT NULL, timecreated BIGINT(10) NOT NULL, lastsync BIGINT(10),
		requirecompletion TINYINT(2) NOT NULL DEFAULT 0, PRIMARY KEY (id)) ENGINE=InnoDB`)
	tdb.Exec(t, `CREATE TABLE {local_ltiprovider_user} (
		id BIGINT(10) NOT NULL AUTO_INCREMENT, userid BIGINT(10) NOT NULL, toolid BIGINT(10) NOT NULL,
		serviceurl LONGTEXT, sourceid LONGTEXT, consumerkey LONGTEXT, consumersecret LONGTEXT,
		lastgrade BIGINT(10), lastsync BIGINT(10), lastaccess BIGINT(10), membershipsurl LONGTEXT,
		membershipsid LONGTEXT, PRIMARY KEY (id)) ENGINE=InnoDB`)
	tdb.Exec(t, `INSERT INTO {local_ltiprovider} (id, courseid, contextid, croleinst, crolelearn, secret, timemodified, timecreated, lastsync)
		VALUES (7, 3, 13, 3, 5, 'oldsecret', 1400000000, 1400000000, 1500000000), (9, 2, 12, 3, 5, 's9', 1, 1, NULL)`)
	tdb.Exec(t, `INSERT INTO {local_ltiprovider_user} (id, userid, toolid, serviceurl, sourceid, consumerkey, consumersecret, lastgrade, lastsync, lastaccess)
		VALUES (1, 3, 7, 'https://lms.example/outcomes', 'src-1', 'key-A', 'oldsecret', 85, 1500000000, 1500000000),
		       (2, 3, 7, 'https://lms.example/outcomes', 'src-1', 'key-A', 'oldsecret', 85, 1500000000, 1500000000),
		       (3, 4, 7, '', '', 'Key-A', 'oldsecret', 0, 0, 1500000000),
		       (4, 4, 9, '', '', '', 's9', 0, 0, 1500000000),
		       (5, 4, 99, '', '', 'key-gone', 'x', 0, 0, 1500000000)`)
	tdb.Exec(t, `INSERT INTO {config_plugins} (plugin, name, value) VALUES ('local_ltiprovider', 'defaultauthmethod', 'manual'),
		('local_ltiprovider', 'globalsharedsecret', 'legacyglobal'), ('local_ltiprovider', 'version', '2014080102')`)
	toolsBefore := tdb.Rows(t, "SELECT id, courseid, contextid, secret, lastsync FROM {local_ltiprovider} ORDER BY id")
	usersBefore := tdb.Rows(t, "SELECT * FROM {local_ltiprovider_user} ORDER BY id")

	m := migrator(t, tdb)
	if _, err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := tdb.Rows(t, "SELECT id, courseid, contextid, secret, lastsync FROM {local_ltiprovider} ORDER BY id"); !equalRows(got, toolsBefore) {
		t.Errorf("tool rows changed:\n%v\n%v", toolsBefore, got)
	}
	if got := tdb.Rows(t, "SELECT id, userid, toolid, serviceurl, sourceid, consumerkey, consumersecret, lastgrade, lastsync, lastaccess, membershipsurl, membershipsid FROM {local_ltiprovider_user} ORDER BY id"); !equalRows(got, usersBefore) {
		t.Errorf("user rows changed (duplicates must survive too):\n%v\n%v", usersBefore, got)
	}
	added := tdb.Rows(t, "SELECT enrolinst, enrollearn, addtogroup, sendcompletion FROM {local_ltiprovider} WHERE id = 7")[0]
	if str(added["enrolinst"]) != "1" || str(added["enrollearn"]) != "1" || str(added["addtogroup"]) != "" || str(added["sendcompletion"]) != "0" {
		t.Errorf("added columns do not carry the plugin's defaults: %v", added)
	}
	site, err := settings.Load(context.Background(), testenv.Open(t, tdb))
	if err != nil {
		t.Fatal(err)
	}
	if site.DefaultAuthMethod != "manual" || site.GlobalSharedSecret != "legacyglobal" {
		t.Errorf("existing settings overwritten: %+v", site)
	}
	if site.ShortnameFormat != 2 || len(site.RolesAllowedCreateContexts) != 1 {
		t.Errorf("missing settings not defaulted: %+v", site)
	}
	// The consumer keys that launched each tool stay accepted (keys are
	// case-sensitive; a deleted tool's and empty keys bind nothing).
	keys := tdb.Rows(t, "SELECT toolid, consumerkey, keyhash FROM {local_ltiprovider_consumer} ORDER BY keyhash")
	if len(keys) != 2 || str(keys[0]["consumerkey"]) != "Key-A" || str(keys[1]["consumerkey"]) != "key-A" ||
		str(keys[0]["toolid"]) != "7" || str(keys[1]["toolid"]) != "7" || str(keys[1]["keyhash"]) != "b1b20254fd1fd3063fe0532086538964fe7bc051" {
		t.Errorf("pre-bound keys: %v", keys)
	}
	// New inserts continue after the legacy ids: tool ids and launch URLs stay.
	if n := tdb.Count(t, "local_ltiprovider", "id IN (7, 9)"); n != 2 {
		t.Errorf("tool ids lost: %d", n)
	}
}

func equalRows(a, b []map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		for k, v := range a[i] {
			if str(v) != str(b[i][k]) {
				return false
			}
		}
	}
	return true
}

// Several replicas starting together: each step runs once.
func TestConcurrentMigrations(t *testing.T) {
	tdb := testdb.New(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	applied := make(chan int, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := migrator(t, tdb).Run(context.Background())
			errs <- err
			if res != nil {
				applied <- len(res.Applied)
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(applied)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for n := range applied {
		total += n
	}
	if total != len(migrate.Steps()) {
		t.Fatalf("%d steps applied in total, want %d", total, len(migrate.Steps()))
	}
	if n := tdb.Count(t, "local_ltiprovider_schema", "1=1"); n != len(migrate.Steps()) {
		t.Fatalf("%d schema rows", n)
	}
}

// The prefix comes from the configuration; nothing assumes mdl_.
func TestOtherPrefix(t *testing.T) {
	tdb := testdb.New(t, testdb.WithPrefix("m45_"))
	db := testenv.Open(t, tdb)
	if _, err := (&migrate.Migrator{DB: db, Collation: testenv.Collation}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := tdb.Count(t, "local_ltiprovider", "1=1"); n != 0 {
		t.Fatal(n)
	}
	var tables []string
	if err := db.Select(context.Background(), &tables, "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'mdl\\_%'"); err != nil {
		t.Fatal(err)
	}
	if len(tables) != 0 {
		t.Fatalf("tables with mdl_ prefix: %v", tables)
	}
}
