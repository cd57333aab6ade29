//go:build !linux

package mariadb

import "os/exec"

// setDeathSignal does nothing here: only Linux can tie a child's life to ours.
func setDeathSignal(cmd *exec.Cmd) {}
