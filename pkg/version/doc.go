// Package version reports the build of the binary: the release set at link
// time (make build passes -ldflags "-X …/pkg/version.Version=…") and the
// commit Go recorded.
package version
