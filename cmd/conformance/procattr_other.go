//go:build unix && !linux

package main

import (
	"os"
	"syscall"
)

// childProcAttr puts a child in a process group of its own (see runChild).
// Only Linux can also interrupt it when this process dies.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// interruptSelf interrupts this process, as a Ctrl-C would.
func interruptSelf() { syscall.Kill(os.Getpid(), syscall.SIGINT) }
