package migrate

import "context"

// steps is every schema change, in the order they must run. Versions are
// grouped by area so work on different areas never picks the same number:
//
//	1–99     the plugin's tables and upgrades of plugin-era sites
//	100–199  launches (nonces, per-resource-link outcomes)
//	200–299  session handoff
//	300–399  grade and membership sync
//	400–499  course and activity creation
//	500–599  administration
//	600–699  operations
//
// Never change a step that has shipped; add a new one.
var steps = []Step{
	fileStep(1, "0001_local_ltiprovider.sql"),
	fileStep(2, "0002_local_ltiprovider_user.sql"),
	{Version: 3, Name: "columns added by plugin upgrades 2011121703–2016020103", Run: pluginUpgradeColumns},
	indexStep(4, "0003_local_ltiprovider_user_tool_index.sql", "local_ltiprovider_user", "@PREFIX@loclti_user_tooluse_ix"),
	indexStep(5, "0004_local_ltiprovider_course_index.sql", "local_ltiprovider", "@PREFIX@loclti_cou_ix"),
	indexStep(6, "0005_local_ltiprovider_context_index.sql", "local_ltiprovider", "@PREFIX@loclti_con_ix"),
	fileStep(7, "0006_local_ltiprovider_nonce.sql"),
	fileStep(8, "0007_local_ltiprovider_outcome.sql"),
	fileStep(9, "0008_local_ltiprovider_launch.sql"),
	fileStep(100, "0100_local_ltiprovider_consumer.sql"),
	fileStep(101, "0101_local_ltiprovider_consumer_prebind.sql"),
	fileStep(110, "0110_local_ltiprovider_picture.sql"),
	fileStep(300, "0300_local_ltiprovider_grade.sql"),
	fileStep(301, "0301_local_ltiprovider_membersync.sql"),
	fileStep(302, "0302_local_ltiprovider_memberlog.sql"),
	fileStep(400, "0400_local_ltiprovider_lock.sql"),
}

// fileStep runs one idempotent statement file (CREATE TABLE IF NOT EXISTS,
// or an INSERT that adds nothing the second time).
func fileStep(version int, file string) Step {
	return Step{Version: version, Name: file, Run: func(ctx context.Context, m *Migrator) error {
		return m.ExecFile(ctx, file)
	}}
}

// indexStep creates an index unless it exists.
func indexStep(version int, file, table, index string) Step {
	return Step{Version: version, Name: file, Run: func(ctx context.Context, m *Migrator) error {
		ok, err := m.IndexExists(ctx, table, index)
		if err != nil || ok {
			return err
		}
		return m.ExecFile(ctx, file)
	}}
}

// pluginUpgradeColumns brings a table created by an old plugin version up to
// 2016020104 with the definitions of the plugin's own db/upgrade.php. On a
// fresh install every column already exists and nothing happens.
func pluginUpgradeColumns(ctx context.Context, m *Migrator) error {
	columns := []struct{ table, column, definition string }{
		// 2011121703
		{"local_ltiprovider", "enrolperiod", "BIGINT(10) NOT NULL DEFAULT 0 AFTER `sendgrades`"},
		{"local_ltiprovider", "enrolstartdate", "BIGINT(10) NOT NULL DEFAULT 0 AFTER `enrolperiod`"},
		{"local_ltiprovider", "enrolenddate", "BIGINT(10) NOT NULL DEFAULT 0 AFTER `enrolstartdate`"},
		{"local_ltiprovider", "maxenrolled", "BIGINT(10) NOT NULL DEFAULT 0 AFTER `enrolenddate`"},
		// 2011121707
		{"local_ltiprovider", "userprofileupdate", "TINYINT(1) NOT NULL DEFAULT 1 AFTER `maxenrolled`"},
		{"local_ltiprovider", "syncmembers", "TINYINT(1) NOT NULL DEFAULT 0 AFTER `userprofileupdate`"},
		{"local_ltiprovider", "syncmode", "TINYINT(2) NOT NULL DEFAULT 0 AFTER `syncmembers`"},
		{"local_ltiprovider", "syncperiod", "BIGINT(10) NOT NULL DEFAULT 0 AFTER `syncmode`"},
		{"local_ltiprovider_user", "membershipsurl", "LONGTEXT COLLATE @COLLATION@ DEFAULT NULL AFTER `lastaccess`"},
		{"local_ltiprovider_user", "membershipsid", "LONGTEXT COLLATE @COLLATION@ DEFAULT NULL AFTER `membershipsurl`"},
		// 2014080102
		{"local_ltiprovider", "requirecompletion", "TINYINT(2) NOT NULL DEFAULT 0 AFTER `lastsync`"},
		// 2014080103
		{"local_ltiprovider", "enrolinst", "TINYINT(2) NOT NULL DEFAULT 1 AFTER `requirecompletion`"},
		{"local_ltiprovider", "enrollearn", "TINYINT(2) NOT NULL DEFAULT 1 AFTER `enrolinst`"},
		// 2016020101
		{"local_ltiprovider", "addtogroup", "VARCHAR(64) COLLATE @COLLATION@ NOT NULL DEFAULT '' AFTER `enrollearn`"},
		// 2016020103
		{"local_ltiprovider", "sendcompletion", "TINYINT(2) NOT NULL DEFAULT 0 AFTER `addtogroup`"},
	}
	for _, c := range columns {
		if err := m.AddColumn(ctx, c.table, c.column, c.definition); err != nil {
			return err
		}
	}
	return nil
}
