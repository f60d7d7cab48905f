package suite

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// maxProgramOutput bounds what RunProgram keeps of a program's output.
const maxProgramOutput = 1 << 20

// RunProgram runs a real client program (curl, nc, a browser) with stdin,
// in its own process group, killed with all its children when it does not
// finish within the given time. It returns what it wrote to stdout and
// stderr (each cut at 1 MiB); the error says how it ended when not well.
func RunProgram(within time.Duration, stdin []byte, name string, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut cappedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // children it left behind
	}
	switch {
	case ctx.Err() != nil:
		err = Errorf(TimedOut, "%s did not finish within %v", name, within)
	case err != nil:
		err = fmt.Errorf("%s failed (%v): %s", name, err, firstLine(string(errOut.Bytes())))
	}
	return out.Bytes(), errOut.Bytes(), err
}

// cappedBuffer keeps the first maxProgramOutput bytes written to it.
type cappedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := maxProgramOutput - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *cappedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}
