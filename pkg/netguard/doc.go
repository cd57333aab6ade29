// Package netguard is the one way the service makes outbound HTTP requests
// (grade passback, membership reads, profile pictures): a client that
// refuses non-public addresses unless an administrator allowed them, checks
// the address actually dialled (so DNS tricks and redirects cannot reach
// inside), keeps TLS verification on, bounds time and response size.
//
// Every package that talks to a consumer takes a *netguard.Guard; none
// builds its own http.Client.
package netguard
