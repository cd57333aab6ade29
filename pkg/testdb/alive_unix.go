//go:build unix

package testdb

import (
	"errors"
	"syscall"
)

// processAlive reports whether pid is a running process on this host.
// EPERM means it exists but belongs to someone else.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
