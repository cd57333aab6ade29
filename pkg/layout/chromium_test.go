package layout_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/chromiumtest"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/layout"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/store"
)

// The elements the layout hides, and one it must leave alone.
var probes = map[string]string{
	"navbar":      "nav.navbar",
	"header":      "#page-header",
	"secondary":   ".secondary-navigation",
	"footer":      "#page-footer",
	"courseindex": "#theme_boost-drawers-courseindex",
	"blocks":      `[data-region="blocks-column"]`,
	"main":        "#region-main",
}

// probeScript writes, after load, the computed display and visibility of
// each probe into a <pre id="ltip-probe"> for --dump-dom to carry out.
const probeScript = `<script>
window.addEventListener("load", function () {
  var probes = PROBES, out = {};
  Object.keys(probes).forEach(function (k) {
    var el = document.querySelector(probes[k]);
    if (!el) { out[k] = "missing"; return; }
    var shown = true;
    for (var e = el; e && e.nodeType === 1; e = e.parentElement) {
      var s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden") { shown = false; break; }
    }
    out[k] = shown ? "shown" : "hidden";
  });
  var pre = document.createElement("pre");
  pre.id = "ltip-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>`

// render loads a real Moodle 4.5 Boost page (../shared/moodle/pages, plus
// the block drawer Boost renders when a page has blocks) in headless
// Chromium, with the layout stylesheet linked when css is not empty, and
// returns what the probes saw.
func render(t *testing.T, css string) map[string]string {
	bin := chromiumtest.Path(t)
	dir := t.TempDir()
	page, err := os.ReadFile("testdata/course-view-student-with-blocks.html")
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	// Keep the page from reaching for the Moodle it came from.
	html = regexp.MustCompile(`(?s)<script[^>]*src="https://localhost:8443[^"]*"[^>]*></script>`).ReplaceAllString(html, "")
	head := ""
	if css != "" {
		if err := os.WriteFile(filepath.Join(dir, "layout.css"), []byte(css), 0o644); err != nil {
			t.Fatal(err)
		}
		head = `<link rel="stylesheet" href="layout.css">`
	}
	pj, _ := json.Marshal(probes)
	html = strings.Replace(html, "</head>", head+"</head>", 1)
	html = strings.Replace(html, "</body>", strings.Replace(probeScript, "PROBES", string(pj), 1)+"</body>", 1)
	file := filepath.Join(dir, "page.html")
	if err := os.WriteFile(file, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(chromiumtest.Args(filepath.Join(dir, "profile")),
		"--window-size=1400,900", "--virtual-time-budget=5000", "--dump-dom", "file://"+file)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	m := regexp.MustCompile(`<pre id="ltip-probe">([^<]*)</pre>`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the probe did not run; chromium printed %d bytes", len(out))
	}
	got := map[string]string{}
	if err := json.Unmarshal([]byte(strings.ReplaceAll(string(m[1]), "&quot;", `"`)), &got); err != nil {
		t.Fatalf("probe output %q: %v", m[1], err)
	}
	return got
}

func TestLayoutStylesheetInChromium(t *testing.T) {
	// Without the stylesheet the page shows everything: the probes work.
	plain := render(t, "")
	for k, v := range plain {
		if v != "shown" {
			t.Errorf("without the layout: %s is %s", k, v)
		}
	}
	all := store.Layout{HidePageHeader: true, HidePageFooter: true, HideLeftBlocks: true, HideRightBlocks: true}
	got := render(t, layout.CSS(all))
	for k, v := range got {
		want := "hidden"
		if k == "main" {
			want = "shown"
		}
		if v != want {
			t.Errorf("with the layout: %s is %s, want %s", k, v, want)
		}
	}
	// Each flag hides only its own part.
	got = render(t, layout.CSS(store.Layout{HidePageFooter: true}))
	if got["footer"] != "hidden" || got["header"] != "shown" || got["blocks"] != "shown" || got["navbar"] != "shown" {
		t.Errorf("footer only: %v", got)
	}
	got = render(t, layout.CSS(store.Layout{HideRightBlocks: true, CustomCSS: "#region-main{visibility:hidden}"}))
	if got["blocks"] != "hidden" || got["courseindex"] != "shown" || got["main"] != "hidden" {
		t.Errorf("right blocks and custom CSS: %v", got)
	}
}
