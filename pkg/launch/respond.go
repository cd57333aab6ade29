package launch

import (
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"net/http"

	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/lti11"
	"github.com/moodle-ltiprovider/moodle-ltiprovider/pkg/web"
)

// fail answers a failed launch. An authentic launch with a valid return URL
// goes back to its consumer with lti_errormsg; anything else gets a small
// escaped page. Neither ever carries a signature or a base string.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, f *failure, returnURL string) {
	if f.status >= 500 {
		h.log.ErrorContext(r.Context(), "launch failed", "status", f.status, "err", f.cause)
	} else {
		h.log.InfoContext(r.Context(), "launch refused", "status", f.status, "reason", f.msg, "err", f.cause)
	}
	if f.authentic && returnURL != "" {
		msg := f.msg
		if f.status >= 500 {
			msg = "The launch could not be completed because of a problem on the tool's site (reference " + web.RequestIDOf(r) + ")."
		}
		if u, err := lti11.ErrorReturnURL(returnURL, msg); err == nil {
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, u, http.StatusSeeOther)
			return
		}
	}
	web.ErrorPage(w, r, f.status, f.title, f.msg)
}

// succeed sets the Moodle session's cookies and sends the browser on: a
// redirect, or, when Moodle forbids being framed (allowframembedding off),
// a page that opens the destination in a new window, as the plugin did.
func (h *Handler) succeed(w http.ResponseWriter, r *http.Request, s *state) {
	for _, c := range s.handoff.Cookies {
		http.SetCookie(w, c)
	}
	w.Header().Set("Cache-Control", "no-store")
	if _, set := s.site.Lookup("allowframembedding"); set && !s.site.Bool("allowframembedding") {
		newWindow(w, s.handoff.Redirect)
		return
	}
	http.Redirect(w, r, s.handoff.Redirect, http.StatusSeeOther)
}

var newWindowPage = template.Must(template.New("newwindow").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Open the tool</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d2125}</style>
<script nonce="{{.Nonce}}">window.addEventListener("load", function () { window.open({{.URL}}, "_blank"); });</script>
</head><body><main>
<p>The tool opens in a new window. If it does not, please allow pop-up windows for this site in your browser, or use the link below.</p>
<p><a href="{{.URL}}" target="_blank" rel="noopener">Open tool in a new window</a></p>
<p>To show the tool inside the page instead, the site administrator can enable "Allow frame embedding" (Site administration &gt; Security &gt; HTTP security).</p>
</main></body></html>
`))

// newWindow writes the new-window page. The URL is escaped for its HTML and
// JavaScript contexts; a nonce-based CSP allows only the page's own script.
func newWindow(w http.ResponseWriter, dest string) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	nonce := base64.RawStdEncoding.EncodeToString(b)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")
	w.WriteHeader(http.StatusOK)
	_ = newWindowPage.Execute(w, struct {
		Nonce string
		URL   string
	}{nonce, dest})
}
