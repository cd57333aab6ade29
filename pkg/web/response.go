package web

import (
	"encoding/json"
	"html/template"
	"net/http"
)

var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d2125}
h1{font-size:1.4rem}.ref{color:#6a737b;font-size:.85rem}</style></head>
<body><main><h1>{{.Title}}</h1><p>{{.Message}}</p>{{if .RequestID}}<p class="ref">Reference: {{.RequestID}}</p>{{end}}</main></body></html>
`))

// ErrorPage writes a small HTML page for a browser. Title and message are
// escaped; they must never carry internals (signatures, SQL, stack traces).
func ErrorPage(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *")
	w.WriteHeader(status)
	_ = errorPage.Execute(w, struct{ Title, Message, RequestID string }{title, message, RequestIDOf(r)})
}

// JSON writes v as a JSON response.
func JSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
