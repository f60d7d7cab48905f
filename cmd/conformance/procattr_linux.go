package main

import (
	"os"
	"syscall"
)

// childProcAttr puts a child in a process group of its own (see runChild),
// and has the kernel interrupt it should this process die without
// interrupting it, even by SIGKILL: it then stops its servers and exits.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT}
}

// interruptSelf interrupts this process, as a Ctrl-C would.
func interruptSelf() { syscall.Kill(os.Getpid(), syscall.SIGINT) }
