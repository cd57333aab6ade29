package chromiumtest

import (
	"os/exec"
	"testing"
)

// Path returns Chromium's executable, or fails the test with how to
// install it (.ci/run installs it).
func Path(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("headless Chromium is needed for this test: apt-get install -y chromium (Debian's package; .ci/run installs it)")
	return ""
}

// Args are the flags every test run needs, with profile as the user data
// folder: headless as root, and none of the background connections this
// machine's closed network refuses.
func Args(profile string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile}
}
