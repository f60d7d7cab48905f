//go:build unix && !linux

package main

import "syscall"

// childProcAttr puts a child in a process group of its own (see runChild).
// Only Linux can also interrupt it when this process dies.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
