package mariadb

import (
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel kill mariadbd if this process dies without
// running Main's cleanup (a panic, go test's timeout, kill -9).
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
