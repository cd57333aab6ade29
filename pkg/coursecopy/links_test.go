package coursecopy

import (
	"fmt"
	"strings"
	"testing"
)

const testWWWRoot = "https://moodle.example.org"

// linkedPage puts links in TPL1's locked page (page 3, course module 21):
// to the template's book (cm 13), the course, its forums, itself, an
// activity of another course, and another site's look-alike.
func linkedPage(t *testing.T, tdbExec func(string, ...any)) {
	t.Helper()
	html := `<p><a href="` + testWWWRoot + `/mod/book/view.php?id=13">book</a>
<a href="` + testWWWRoot + `/course/view.php?id=2">course</a>
<a href="` + testWWWRoot + `/mod/forum/index.php?id=2&amp;x=1">forums</a>
<a href="` + testWWWRoot + `/mod/page/view.php?id=21#top">itself</a>
<a href="` + testWWWRoot + `/mod/page/view.php?id=99999">elsewhere</a>
<a href="https://other.example/mod/book/view.php?id=13">other site</a>
<a href="/mod/book/view.php?id=13">relative</a></p>`
	tdbExec("UPDATE {page} SET content = ? WHERE id = 3", html)
}

// A course copy links the copies, as Moodle's restore does; what was not
// copied, other sites and relative links keep their targets.
func TestCourseCopyRewritesLinks(t *testing.T) {
	db, tdb := richDB(t)
	linkedPage(t, func(q string, a ...any) { tdb.Exec(t, q, a...) })
	c, dst := copyTPL1(t, db, Options{})
	page, ok := c.get("page", 3)
	if !ok {
		t.Fatal("page 3 not copied")
	}
	book, _ := c.get("course_modules", 13)
	self, _ := c.get("course_modules", 21)
	got := fmt.Sprint(one(t, tdb, "SELECT content FROM {page} WHERE id = ?", page)["content"])
	for _, want := range []string{
		fmt.Sprintf(`%s/mod/book/view.php?id=%d"`, testWWWRoot, book),
		fmt.Sprintf(`%s/course/view.php?id=%d"`, testWWWRoot, dst),
		fmt.Sprintf(`%s/mod/forum/index.php?id=%d&amp;x=1"`, testWWWRoot, dst),
		fmt.Sprintf(`%s/mod/page/view.php?id=%d#top"`, testWWWRoot, self),
		testWWWRoot + `/mod/page/view.php?id=99999"`,
		`https://other.example/mod/book/view.php?id=13"`,
		`"/mod/book/view.php?id=13"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("copied page lacks %s:\n%s", want, got)
		}
	}
	// The template keeps its own links.
	if src := fmt.Sprint(one(t, tdb, "SELECT content FROM {page} WHERE id = 3")["content"]); !strings.Contains(src, "/mod/book/view.php?id=13\"") {
		t.Errorf("the template changed: %s", src)
	}
}

// One activity copied into another course: its link to itself follows it;
// the template's book and course were not copied and stay linked.
func TestModuleCopyRewritesItsOwnLinks(t *testing.T) {
	db, tdb := richDB(t)
	linkedPage(t, func(q string, a ...any) { tdb.Exec(t, q, a...) })
	cm, _ := copyModule(t, db, 21, prov1, "")
	inst := one(t, tdb, "SELECT instance FROM {course_modules} WHERE id = ?", cm)["instance"]
	got := fmt.Sprint(one(t, tdb, "SELECT content FROM {page} WHERE id = ?", inst)["content"])
	for _, want := range []string{
		fmt.Sprintf(`/mod/page/view.php?id=%d#top"`, cm),
		testWWWRoot + `/mod/book/view.php?id=13"`,
		testWWWRoot + `/course/view.php?id=2"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("copied page lacks %s:\n%s", want, got)
		}
	}
}
