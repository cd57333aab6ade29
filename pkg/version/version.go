package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the release, set by the linker; "dev" for plain go builds.
var Version = "dev"

// String describes the build in one line.
func String() string {
	commit, dirty := "unknown", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
				if len(commit) > 12 {
					commit = commit[:12]
				}
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
	}
	return fmt.Sprintf("ltiprovider %s (commit %s%s, %s %s/%s)", Version, commit, dirty, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
