// Package chromiumtest runs headless Chromium for tests that need a real
// browser (CSS applied to a real Moodle page, cookies in a cross-site
// iframe, screenshots). It is imported only by _test files.
package chromiumtest
