// Package web is the HTTP plumbing shared by every endpoint: the router
// mounted under /local/ltiprovider, middleware (request ids, client address
// from trusted proxies, panic recovery, access log, security headers) and
// the response writers for escaped HTML error pages and JSON.
//
// Feature packages (launch, services, admin, …) import web and mount their
// routes on the router; web imports none of them and holds no business
// rules.
package web
