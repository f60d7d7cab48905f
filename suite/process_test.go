package suite

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
)

// aliveFIFO makes a FIFO and opens its read end: reading it gives EOF
// exactly when every process that opened its write end has died.
func aliveFIFO(t *testing.T) (path string, alive *os.File) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "alive")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	alive, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alive.Close() })
	return path, alive
}

// expectAllDead checks that every holder of the FIFO's write end is dead.
func expectAllDead(t *testing.T, alive *os.File, within time.Duration) {
	t.Helper()
	alive.SetReadDeadline(time.Now().Add(within))
	if _, err := alive.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("a process outlived Stop: reading the FIFO its child holds gave %v, not EOF", err)
	}
}

// helperLine is the shell line that runs helperServer (see suite_test.go)
// on port, its child holding fifo open.
func helperLine(fifo, port string, env ...string) string {
	self, _ := os.Executable()
	return strings.Join(append(env, "SUITE_HELPER_SERVER=1", "SUITE_HELPER_FIFO="+fifo, self, port), " ")
}

// An interactive client as the chat specs run ncat: lines written to its
// stdin, its stdout awaited with gbytes.Say.
func TestProcessInteractiveClient(t *testing.T) {
	g := gomega.NewWithT(t)
	ctx := context.Background()
	p, err := StartProcess(ctx, exec.Command("cat"), WithStdinPipe())
	g.Expect(err).NotTo(gomega.HaveOccurred())
	defer p.Stop()

	io.WriteString(p.Stdin(), "hello from A\n")
	g.Eventually(p.Out()).WithContext(ctx).WithTimeout(5 * time.Second).Should(gbytes.Say(`hello from A\n`))
	io.WriteString(p.Stdin(), "hello from B\n")
	g.Eventually(p.Out()).WithContext(ctx).WithTimeout(5 * time.Second).Should(gbytes.Say(`from B`))
	g.Expect(p.Stdin().Close()).To(gomega.Succeed())
	g.Expect(p.Wait()).To(gomega.Succeed())
	g.Expect(p.Output()).To(gomega.Equal("hello from A\nhello from B\n"))
}

// A server that ignores SIGTERM, and so does the shell that started it and
// the child it started: Stop takes the 2 s grace, then kills them all.
func TestCommandTargetStopsAServerIgnoringSIGTERM(t *testing.T) {
	fifo, alive := aliveFIFO(t)
	target := Command(TCP, "trap '' TERM; "+helperLine(fifo, "{port}", "SUITE_HELPER_IGNORE_TERM=1"))
	if err := target.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	target.Stop()
	took := time.Since(start)
	t.Logf("Stop took %v", took.Round(time.Millisecond))
	if took < 1900*time.Millisecond || took > 4*time.Second {
		t.Errorf("Stop took %v; a server ignoring SIGTERM gets 2 s, then SIGKILL", took)
	}
	expectAllDead(t, alive, 2*time.Second)
}

func TestCommandTargetReportsAnEarlyExitAtOnce(t *testing.T) {
	start := time.Now()
	err := Command(TCP, "echo 'cannot bind' >&2; exit 3 # {port}").Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "exited (exit status 3) before listening on port ") ||
		!strings.Contains(err.Error(), "    cannot bind") {
		t.Fatalf("got %v, want an error naming the exit and the output", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v to see that the command exited", took)
	}
}

func TestCommandTargetInterrupted(t *testing.T) {
	fifo, alive := aliveFIFO(t)
	port, _ := FreePort(TCP)
	// The helper listens on another port than the one it is given.
	target := Command(TCP, helperLine(fifo, strconv.Itoa(port))+" # {port}")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := target.Start(ctx)
	if err == nil || !strings.HasPrefix(err.Error(), "interrupted while waiting for ") || !strings.HasSuffix(err.Error(), " to listen") {
		t.Fatalf("got %v, want it interrupted", err)
	}
	expectAllDead(t, alive, 5*time.Second)
	target.Stop()
}

func TestProcessStoppedWhenContextIsCancelled(t *testing.T) {
	fifo, alive := aliveFIFO(t)
	port, _ := FreePort(TCP)
	ctx, cancel := context.WithCancel(context.Background())
	p, err := StartProcess(ctx, exec.Command("/bin/sh", "-c", helperLine(fifo, strconv.Itoa(port))))
	if err != nil {
		t.Fatal(err)
	}
	if err := Probe(context.Background(), TCP, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-p.Exited():
	case <-time.After(5 * time.Second):
		t.Fatal("the process did not exit once its context was cancelled")
	}
	expectAllDead(t, alive, 5*time.Second)
	p.Stop()
}

// A program printing without end: what is kept of its output stays
// bounded, and so does our memory.
func TestProcessBoundsAFlood(t *testing.T) {
	const flood = 64 << 20
	before := maxRSS()
	p, err := StartProcess(context.Background(), exec.Command("/bin/sh", "-c", "echo start >&2; head -c 67108864 /dev/zero"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	p.Stop()
	grew := maxRSS() - before
	t.Logf("%d MiB printed: peak RSS grew by %d KiB", flood>>20, grew)
	if n := len(p.Out().Contents()); n > DefaultBufferLimit+64<<10 {
		t.Errorf("Out holds %d bytes, past its limit", n)
	}
	out := p.Output()
	if !strings.HasPrefix(out, "(earlier output cut)\n\x00") || len(out) > DefaultOutputLimit+64 {
		t.Errorf("Output is %d bytes, %q...%q", len(out), out[:min(len(out), 30)], out[max(0, len(out)-30):])
	}
	if grew > flood>>10/2 {
		t.Errorf("peak RSS grew by %d KiB for a %d MiB flood: output is kept without bound", grew, flood>>20)
	}
}

func maxRSS() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss
}

func TestRunProgram(t *testing.T) {
	ctx := context.Background()
	out, errOut, err := RunProgram(ctx, 5*time.Second, []byte("abc"), "/bin/sh", "-c", "cat; echo err >&2")
	if err != nil || string(out) != "abc" || string(errOut) != "err\n" {
		t.Errorf("got %q, %q, %v", out, errOut, err)
	}

	_, _, err = RunProgram(ctx, 5*time.Second, nil, "/bin/sh", "-c", "echo oops >&2; exit 3")
	if err == nil || err.Error() != "/bin/sh failed (exit status 3): oops" {
		t.Errorf("got %v, want the exit status and the first line of stderr", err)
	}

	_, _, err = RunProgram(ctx, 5*time.Second, nil, "no-such-program-here")
	if err == nil || !strings.Contains(err.Error(), "no-such-program-here failed") {
		t.Errorf("got %v, want it failed", err)
	}

	out, _, err = RunProgram(ctx, 5*time.Second, nil, "head", "-c", strconv.Itoa(maxProgramOutput+1000), "/dev/zero")
	if err != nil || len(out) != maxProgramOutput {
		t.Errorf("got %d bytes, %v; want the first %d", len(out), err, maxProgramOutput)
	}
}

func TestRunProgramKillsTheGroupOnTimeout(t *testing.T) {
	fifo, alive := aliveFIFO(t)
	start := time.Now()
	_, _, err := RunProgram(context.Background(), 300*time.Millisecond, nil, "/bin/sh", "-c", "sleep 300 >"+fifo+" & sleep 300")
	expectKind(t, err, TimedOut, "/bin/sh did not finish within 300ms")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v", took)
	}
	expectAllDead(t, alive, 2*time.Second)
}

func TestRunProgramInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _, err := RunProgram(ctx, time.Minute, nil, "sleep", "300")
	if err == nil || !strings.Contains(err.Error(), "sleep was interrupted") {
		t.Errorf("got %v", err)
	}
}

func TestEventually(t *testing.T) {
	ctx := context.Background()
	n := 0
	if err := eventually(ctx, time.Second, time.Millisecond, func() error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	}); err != nil || n != 3 {
		t.Errorf("got %v after %d calls", err, n)
	}

	start := time.Now()
	err := eventually(ctx, 100*time.Millisecond, 10*time.Millisecond, func() error { return errors.New("refused") })
	if err == nil || err.Error() != "refused" {
		t.Errorf("got %v, want the probe's last error alone", err)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("gave up after %v", took)
	}

	n, start = 0, time.Now()
	err = eventually(ctx, time.Minute, time.Millisecond, func() error {
		if n++; n > 2 {
			return gomega.StopTrying("exited")
		}
		return errors.New("refused")
	})
	if err == nil || err.Error() != "refused" || time.Since(start) > time.Second {
		t.Errorf("got %v after %v; StopTrying should end the wait at once", err, time.Since(start))
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := eventually(cctx, time.Minute, time.Millisecond, func() error { return errors.New("refused") }); err == nil {
		t.Error("a cancelled wait succeeded")
	}
}

func TestProbe(t *testing.T) {
	ctx := context.Background()
	addr := serve(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	if err := Probe(ctx, TCP, addr, time.Second); err != nil {
		t.Errorf("a listening server: %v", err)
	}
	addr = serve(t, func(c net.Conn) {})
	if err := Probe(ctx, TCP, addr, 300*time.Millisecond); err == nil || !strings.Contains(err.Error(), "connections are closed at once") {
		t.Errorf("a server closing at once: %v", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := Probe(cctx, TCP, addr, time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a cancelled probe: %v", err)
	}

	if err := Probe(ctx, UDP, udpServer(t, true), time.Second); err != nil {
		t.Errorf("a UDP server: %v", err)
	}
	if err := Probe(ctx, UDP, udpServer(t, false), 300*time.Millisecond); err == nil || err.Error() != "no answer to a probe datagram" {
		t.Errorf("a silent UDP server: %v", err)
	}
}

// udpServer is a UDP socket that echoes each datagram, or never answers.
func udpServer(t *testing.T, echo bool) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, maxDatagram)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if echo {
				pc.WriteTo(buf[:n], from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return pc.LocalAddr().String()
}
