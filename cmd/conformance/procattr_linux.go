package main

import "syscall"

// childProcAttr puts a child in a process group of its own (see runChild),
// and has the kernel interrupt it should this process die without
// interrupting it, even by SIGKILL: it then stops its servers and exits.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT}
}
