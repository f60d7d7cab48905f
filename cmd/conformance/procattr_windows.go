package main

import "syscall"

// childProcAttr: Windows has no process groups; a child is interrupted
// by runChild only.
func childProcAttr() *syscall.SysProcAttr { return nil }

// interruptSelf cannot signal on Windows: an interrupt Ginkgo missed ends
// the run at its timeout instead.
func interruptSelf() {}
