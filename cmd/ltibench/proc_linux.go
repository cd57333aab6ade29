package main

import (
	"os/exec"
	"syscall"
)

// setDeathSignal has the kernel stop the service if ltibench dies first.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
