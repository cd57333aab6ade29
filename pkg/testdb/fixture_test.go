package testdb

import (
	"strings"
	"testing"

	sqlfiles "github.com/moodle-ltiprovider/moodle-ltiprovider/sql"
)

func TestParseFixture(t *testing.T) {
	fx, err := parseFixture(sqlfiles.MoodleFixture, "mdl_", "m45_")
	if err != nil {
		t.Fatal(err)
	}
	if len(fx.creates) != 494 || len(fx.inserts) < 7000 {
		t.Errorf("%d CREATE TABLE, %d INSERT; want 494 and about 7200", len(fx.creates), len(fx.inserts))
	}
	for _, s := range fx.creates {
		if strings.Contains(s, "`mdl_") {
			t.Fatalf("prefix left in %.80s", s)
		}
	}
}

func TestParseFixtureRewritesOnlyIdentifiers(t *testing.T) {
	in := "-- comment with `mdl_x`; and 'quote\n" +
		"CREATE TABLE `mdl_a` (\n  `id` int,\n  KEY `mdl_a_ix` (`id`)\n) COMMENT='see `mdl_a`; it''s';\n" +
		"INSERT INTO `mdl_a` VALUES (1,'`mdl_b`; \\'x\\' \"y\"','a\\\\'),(2,\"`mdl_c`;\");\n"
	fx, err := parseFixture(in, "mdl_", "p_")
	if err != nil {
		t.Fatal(err)
	}
	wantCreate := "CREATE TABLE `p_a` (\n  `id` int,\n  KEY `p_a_ix` (`id`)\n) COMMENT='see `mdl_a`; it''s';"
	wantInsert := "INSERT INTO `p_a` VALUES (1,'`mdl_b`; \\'x\\' \"y\"','a\\\\'),(2,\"`mdl_c`;\");"
	if len(fx.creates) != 1 || fx.creates[0] != wantCreate {
		t.Errorf("creates %q\nwant %q", fx.creates, wantCreate)
	}
	if len(fx.inserts) != 1 || fx.inserts[0] != wantInsert {
		t.Errorf("inserts %q\nwant %q", fx.inserts, wantInsert)
	}
	for _, bad := range []string{"DROP TABLE `mdl_a`;", "INSERT INTO `a` VALUES ('x);", "INSERT INTO `a` VALUES (1)"} {
		if _, err := parseFixture(bad, "mdl_", "p_"); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestBatches(t *testing.T) {
	got := batches([]string{"a;", "b", "ccc;"}, 5)
	want := []string{"a;\nb;\n", "ccc;\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%q, want %q", got, want)
	}
}
