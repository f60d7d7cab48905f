package containers

import "os"

// alive reports whether the process pid exists: on Windows, finding it
// opens it, which fails once it is gone.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err == nil {
		p.Release()
	}
	return err == nil
}
