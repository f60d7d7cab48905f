//go:build unix

package suite

import "syscall"

// groupAttr starts a process in a process group of its own, so that
// signalGroup reaches every child it starts.
func groupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// signalGroup sends sig to the process group pgid.
func signalGroup(pgid int, sig syscall.Signal) { syscall.Kill(-pgid, sig) }
