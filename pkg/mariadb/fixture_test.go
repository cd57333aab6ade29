package mariadb

import (
	"strings"
	"testing"

	sqlfiles "github.com/moodle-ltiprovider/moodle-ltiprovider/sql"
)

func TestParseFixture(t *testing.T) {
	fx, err := ParseFixture(sqlfiles.MoodleFixture, "mdl_", "m45_")
	if err != nil {
		t.Fatal(err)
	}
	if len(fx.Creates) != 494 || len(fx.Inserts) < 7000 {
		t.Errorf("%d CREATE TABLE, %d INSERT; want 494 and about 7200", len(fx.Creates), len(fx.Inserts))
	}
	for _, s := range fx.Creates {
		if strings.Contains(s, "`mdl_") {
			t.Fatalf("prefix left in %.80s", s)
		}
	}
}

func TestParseFixtureRewritesOnlyIdentifiers(t *testing.T) {
	in := "-- comment with `mdl_x`; and 'quote\n" +
		"CREATE TABLE `mdl_a` (\n  `id` int,\n  KEY `mdl_a_ix` (`id`)\n) COMMENT='see `mdl_a`; it''s';\n" +
		"INSERT INTO `mdl_a` VALUES (1,'`mdl_b`; \\'x\\' \"y\"','a\\\\'),(2,\"`mdl_c`;\");\n"
	fx, err := ParseFixture(in, "mdl_", "p_")
	if err != nil {
		t.Fatal(err)
	}
	wantCreate := "CREATE TABLE `p_a` (\n  `id` int,\n  KEY `p_a_ix` (`id`)\n) COMMENT='see `mdl_a`; it''s';"
	wantInsert := "INSERT INTO `p_a` VALUES (1,'`mdl_b`; \\'x\\' \"y\"','a\\\\'),(2,\"`mdl_c`;\");"
	if len(fx.Creates) != 1 || fx.Creates[0] != wantCreate {
		t.Errorf("creates %q\nwant %q", fx.Creates, wantCreate)
	}
	if len(fx.Inserts) != 1 || fx.Inserts[0] != wantInsert {
		t.Errorf("inserts %q\nwant %q", fx.Inserts, wantInsert)
	}
	for _, bad := range []string{"DROP TABLE `mdl_a`;", "INSERT INTO `a` VALUES ('x);", "INSERT INTO `a` VALUES (1)"} {
		if _, err := ParseFixture(bad, "mdl_", "p_"); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestBatches(t *testing.T) {
	got := Batches([]string{"a;", "b", "ccc;"}, 5)
	want := []string{"a;\nb;\n", "ccc;\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%q, want %q", got, want)
	}
}
