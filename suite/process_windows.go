package suite

import (
	"os"
	"syscall"
)

// groupAttr: Windows has no process groups to signal; a process is
// stopped alone (a --cmd needs a POSIX shell anyway, see README).
func groupAttr() *syscall.SysProcAttr { return nil }

// signalGroup ends the process pid: Windows has no SIGTERM to send first.
func signalGroup(pid int, _ syscall.Signal) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
