package doctor

import (
	"context"
	"net/url"
	"strings"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/migrate"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/moodle"
)

// Standard is the foundation's list of checks, in report order.
func Standard() []Check {
	return []Check{
		{"database", checkDatabase},
		{"table prefix", checkPrefix},
		{"moodle version", checkVersion},
		{"plugin tables", checkMigrations},
		{"manual enrolment", checkManualEnrol},
		{"frame embedding", checkFrameEmbedding},
		{"https", checkHTTPS},
	}
}

func checkDatabase(ctx context.Context, e *Env) Result {
	if e.DB == nil {
		return fail("check db.* in config.php or the LTIPROVIDER_DB_* settings, and that the server runs",
			"cannot connect: %v", e.DBErr)
	}
	var cs struct {
		Charset   string `db:"cs"`
		Collation string `db:"coll"`
		Version   string `db:"version"`
	}
	if err := e.DB.Get(ctx, &cs, "SELECT @@character_set_connection AS cs, @@collation_connection AS coll, VERSION() AS version"); err != nil {
		return fail("", "connected, but the server did not answer: %v", err)
	}
	if cs.Charset != "utf8mb4" || cs.Collation != e.Config.DB.Collation {
		return fail("set db.collation to the collation Moodle uses ($CFG->dboptions['dbcollation'])",
			"connection charset %s collation %s, want utf8mb4 %s", cs.Charset, cs.Collation, e.Config.DB.Collation)
	}
	var tableColl string
	err := e.DB.Get(ctx, &tableColl, "SELECT table_collation FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
		e.DB.Prefix()+"config")
	if err == nil && tableColl != cs.Collation {
		return fail("set db.collation to "+tableColl+", the collation of Moodle's tables",
			"Moodle's tables use %s but the service connects with %s", tableColl, cs.Collation)
	}
	return pass("%s, database %s, %s", cs.Version, e.DB.Name, cs.Collation)
}

func checkPrefix(ctx context.Context, e *Env) Result {
	if e.DB == nil {
		return skip("needs the database")
	}
	var n int
	names := []any{e.DB.Prefix() + "config", e.DB.Prefix() + "user", e.DB.Prefix() + "course", e.DB.Prefix() + "context"}
	err := e.DB.Get(ctx, &n, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (?, ?, ?, ?)", names...)
	if err != nil {
		return fail("", "cannot list tables: %v", err)
	}
	if n != 4 {
		return fail("set db.prefix to Moodle's $CFG->prefix", "no Moodle tables with prefix %q in database %s", e.DB.Prefix(), e.DB.Name)
	}
	return pass("Moodle's tables found with prefix %q", e.DB.Prefix())
}

func checkVersion(ctx context.Context, e *Env) Result {
	if r, ok := needDB(e); !ok {
		return r
	}
	v := moodle.SiteVersion(e.Site)
	if !v.Supported() {
		return fail("the service supports Moodle 4.1 to 5.x", "%s (branch %d) is not supported", v, v.Branch)
	}
	return pass("%s", v)
}

func checkMigrations(ctx context.Context, e *Env) Result {
	if e.DB == nil {
		return skip("needs the database")
	}
	pending, err := (&migrate.Migrator{DB: e.DB}).Pending(ctx)
	if err != nil {
		return fail("", "cannot read the schema table: %v", err)
	}
	if len(pending) > 0 {
		return fail("run `ltiprovider migrate`", "%d schema steps not applied (first: %d %s)", len(pending), pending[0].Version, pending[0].Name)
	}
	return pass("all %d schema steps applied", len(migrate.Steps()))
}

func checkManualEnrol(ctx context.Context, e *Env) Result {
	if r, ok := needDB(e); !ok {
		return r
	}
	if !e.Site.Has("enrol_plugins_enabled", "manual") {
		return fail("enable Manual enrolments in Site administration > Plugins > Enrolments > Manage enrol plugins",
			"the manual enrolment plugin is disabled (enrol_plugins_enabled = %q); launches cannot enrol users", e.Site.Get("enrol_plugins_enabled"))
	}
	return pass("manual enrolment is enabled")
}

func checkFrameEmbedding(ctx context.Context, e *Env) Result {
	if r, ok := needDB(e); !ok {
		return r
	}
	if !e.Site.Bool("allowframembedding") {
		return fail("consumers show tools in an iframe: tick Site administration > Security > HTTP security > Allow frame embedding",
			"allowframembedding is off; launches will open Moodle in a new window")
	}
	return pass("allowframembedding is on")
}

func checkHTTPS(ctx context.Context, e *Env) Result {
	u, err := url.Parse(e.Config.Moodle.WWWRoot)
	if err != nil || !strings.EqualFold(u.Scheme, "https") {
		return fail("serve Moodle over https: browsers only send Moodle's cookie inside a consumer's iframe with SameSite=None, which needs Secure",
			"wwwroot %s is not https", e.Config.Moodle.WWWRoot)
	}
	return pass("wwwroot %s", e.Config.Moodle.WWWRoot)
}
