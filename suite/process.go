package suite

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
)

// The harness's one process runner: every program the suite starts (a
// --cmd server, a real client program, the conformance command under the
// meta-tests) runs as a Process.

// Defaults of a Process; see the options.
const (
	// DefaultStopGrace is how long Stop waits after SIGTERM before SIGKILL.
	DefaultStopGrace = 2 * time.Second
	// DefaultOutputLimit bounds the tail of output that Output keeps.
	DefaultOutputLimit = 16 << 10
	// DefaultBufferLimit bounds each of the session's Out and Err buffers.
	DefaultBufferLimit = 1 << 20
	// defaultWaitDelay is cmd.WaitDelay when the caller set none.
	defaultWaitDelay = time.Second
)

// A Process is a program running in its own process group, under gexec:
// its stdout and stderr are the gbytes buffers of a gexec.Session, so a
// spec can wait for what it prints with gbytes.Say, and Stop ends it and
// every child it started.
//
// An interactive client, fed line by line:
//
//	p, err := suite.StartProcess(ctx, exec.Command("ncat", host, port), suite.WithStdinPipe())
//	if err != nil { ... }
//	DeferCleanup(p.Stop)
//	io.WriteString(p.Stdin(), "hello\n")
//	Eventually(p.Out()).WithContext(ctx).WithTimeout(5 * time.Second).Should(gbytes.Say(`\]hello\n`))
//
// Memory is bounded whatever the program prints: Out and Err are cleared
// each time they grow past the buffer limit (WithBufferLimit), and Output
// keeps only a tail (WithOutputLimit).
type Process struct {
	cmd     *exec.Cmd
	session *gexec.Session
	stdin   io.WriteCloser // with WithStdinPipe
	out     *tailBuffer    // the tail of stdout and stderr together
	streams [2]*boundedStream
	grace   time.Duration

	stopOnce    sync.Once
	releaseOnce sync.Once
}

// A ProcessOption configures StartProcess.
type ProcessOption func(*processConfig)

type processConfig struct {
	stdin          io.Reader
	stdinPipe      bool
	outputLimit    int
	bufferLimit    int
	grace          time.Duration
	stdout, stderr io.Writer
}

// WithStdin gives the program r as its standard input (by default it has
// none: it reads EOF).
func WithStdin(r io.Reader) ProcessOption { return func(c *processConfig) { c.stdin = r } }

// WithStdinPipe connects the program's standard input to a pipe that
// Stdin returns, for an interactive client. Closing it sends EOF.
func WithStdinPipe() ProcessOption { return func(c *processConfig) { c.stdinPipe = true } }

// WithOutputLimit sets how many of the last bytes of stdout and stderr
// together Output keeps (DefaultOutputLimit by default).
func WithOutputLimit(n int) ProcessOption { return func(c *processConfig) { c.outputLimit = n } }

// WithBufferLimit sets how many bytes each of Out and Err may hold: when
// one grows past n it is cleared, unread bytes included, and fills again
// (DefaultBufferLimit by default). 0 keeps nothing there, for a program
// whose output is only wanted through Output or WithOutput.
func WithBufferLimit(n int) ProcessOption { return func(c *processConfig) { c.bufferLimit = n } }

// WithStopGrace sets how long Stop waits after SIGTERM before SIGKILL
// (DefaultStopGrace by default); 0 sends SIGKILL at once.
func WithStopGrace(d time.Duration) ProcessOption { return func(c *processConfig) { c.grace = d } }

// WithOutput also copies everything the program writes to stdout and
// stderr to these writers (either may be nil), e.g. to keep the whole of
// it. They must bound themselves, and be safe for concurrent use when
// they are the same writer.
func WithOutput(stdout, stderr io.Writer) ProcessOption {
	return func(c *processConfig) { c.stdout, c.stderr = stdout, stderr }
}

// StartProcess starts cmd in its own process group, under gexec. When ctx
// is cancelled the process is stopped as by Stop; a caller whose process
// must outlive ctx passes context.WithoutCancel(ctx). cmd's Stdout,
// Stderr and SysProcAttr are the runner's; cmd.WaitDelay defaults to 1 s.
//
// Call Stop once done with it, even after it exited on its own: that also
// kills the children it left behind in its group.
func StartProcess(ctx context.Context, cmd *exec.Cmd, opts ...ProcessOption) (*Process, error) {
	cfg := processConfig{outputLimit: DefaultOutputLimit, bufferLimit: DefaultBufferLimit, grace: DefaultStopGrace}
	for _, o := range opts {
		o(&cfg)
	}
	p := &Process{cmd: cmd, out: &tailBuffer{max: cfg.outputLimit}, grace: cfg.grace}
	p.streams[0] = &boundedStream{limit: cfg.bufferLimit, tail: p.out, extra: cfg.stdout}
	p.streams[1] = &boundedStream{limit: cfg.bufferLimit, tail: p.out, extra: cfg.stderr}

	// Its own process group, so that Stop reaches every child it starts.
	cmd.SysProcAttr = groupAttr()
	// gexec's monitor goroutine calls cmd.Wait, which waits for our copies
	// of the output pipes to end: a descendant that left the group (or
	// outlived a SIGKILL to it) may hold them open for ever. WaitDelay
	// bounds that wait once the process has exited; it must be set before
	// gexec.Start, which starts the monitor.
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = defaultWaitDelay
	}
	if cfg.stdin != nil {
		cmd.Stdin = cfg.stdin
	}
	if cfg.stdinPipe {
		w, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		p.stdin = w
	}
	// gexec keeps everything the program prints in session.Out and Err,
	// gbytes.Buffers without a bound: a server or client printing a flood
	// would grow our memory for as long as it runs. So the writers we give
	// gexec.Start (which it tees each stream to, after the session buffer)
	// count the bytes and Clear the session buffer past the limit; they
	// also keep the bounded tail that Output returns.
	session, err := gexec.Start(cmd, p.streams[0], p.streams[1])
	if err != nil {
		return nil, err
	}
	p.session = session
	// The copying goroutines may already have written: the buffers are
	// handed over only now that gexec.Start has returned them.
	p.streams[0].attach(session.Out)
	p.streams[1].attach(session.Err)

	if ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				p.Stop()
			case <-session.Exited:
			}
		}()
	}
	return p, nil
}

// Session is the gexec session: its Out and Err are the program's stdout
// and stderr, for gbytes.Say and gexec.Exit. Do not use its Terminate,
// Kill, Signal or Interrupt: they signal only the process, not its group
// (use Stop); nor its Wait, which fails through the global Gomega (use
// Wait or Exited).
func (p *Process) Session() *gexec.Session { return p.session }

// Out is the program's stdout as a gbytes.Buffer (see WithBufferLimit).
func (p *Process) Out() *gbytes.Buffer { return p.session.Out }

// Err is the program's stderr as a gbytes.Buffer (see WithBufferLimit).
func (p *Process) Err() *gbytes.Buffer { return p.session.Err }

// Stdin is the write end of the program's standard input with
// WithStdinPipe, nil otherwise.
func (p *Process) Stdin() io.WriteCloser { return p.stdin }

// Pid is the process's ID, which is also its process group's.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed once the process has exited and its output is all in.
func (p *Process) Exited() <-chan struct{} { return p.session.Exited }

// Wait waits for the process to exit and says how it ended: nil for exit
// status 0, else an *exec.ExitError ("exit status 3", "signal: killed").
// gexec drops cmd.Wait's own error, so this is rebuilt from the process
// state; an output copy cut short by WaitDelay goes unreported.
func (p *Process) Wait() error {
	<-p.session.Exited
	p.release()
	if ps := p.cmd.ProcessState; !ps.Success() {
		return &exec.ExitError{ProcessState: ps}
	}
	return nil
}

// ProcessState is the state of the exited process (its exit code, its
// rusage), after Exited is closed; nil before.
func (p *Process) ProcessState() *os.ProcessState {
	select {
	case <-p.session.Exited:
		return p.cmd.ProcessState
	default:
		return nil
	}
}

// Output returns the tail of what the program wrote to stdout and stderr,
// beginning "(earlier output cut)" when more was written.
func (p *Process) Output() string { return p.out.String() }

// Stop sends SIGTERM to the whole process group, SIGKILL if the process has
// not exited within the grace time (2 s by default), then SIGKILL to the
// group again for the children left behind: the shell of a command line may
// be gone while the children it started live on. gexec's own Terminate and
// Kill cannot do this: Session.Signal signals only the process
// (cmd.Process.Signal), never its group. Stop returns once the process has
// exited; it is safe to call more than once, and concurrently.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		pgid := p.cmd.Process.Pid
		if p.grace > 0 {
			signalGroup(pgid, syscall.SIGTERM)
			timer := time.NewTimer(p.grace)
			select {
			case <-p.session.Exited:
			case <-timer.C:
				signalGroup(pgid, syscall.SIGKILL)
				<-p.session.Exited
			}
			timer.Stop()
		} else {
			signalGroup(pgid, syscall.SIGKILL)
			<-p.session.Exited
		}
		signalGroup(pgid, syscall.SIGKILL)
	})
	p.release()
}

// release drops what the exited process no longer needs. gexec keeps every
// session it started in a package-level list (for gexec.Kill and the like)
// that nothing ever empties, and each session holds its exec.Cmd: without
// this, a WithOutput writer and the stdin of every program run would stay
// reachable for the life of the process.
func (p *Process) release() {
	select {
	case <-p.session.Exited:
	default:
		return
	}
	p.releaseOnce.Do(func() {
		p.cmd.Stdin = nil
		for _, s := range p.streams {
			s.detach()
		}
	})
}

// boundedStream is the writer given to gexec.Start for one of stdout and
// stderr: gexec writes each chunk to its session buffer, then here.
type boundedStream struct {
	mu    sync.Mutex
	limit int            // bytes the session buffer may hold
	n     int            // bytes written since the session buffer was last cleared
	buf   *gbytes.Buffer // the session buffer, once gexec.Start has returned
	tail  *tailBuffer
	extra io.Writer
}

func (s *boundedStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tail.Write(p)
	if s.extra != nil {
		s.extra.Write(p)
	}
	s.n += len(p)
	if s.buf != nil && s.n > s.limit {
		s.buf.Clear() // fails only once closed, and then nothing writes
		s.n = 0
	}
	return len(p), nil
}

func (s *boundedStream) attach(buf *gbytes.Buffer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = buf
	if s.n > s.limit {
		buf.Clear()
		s.n = 0
	}
}

func (s *boundedStream) detach() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra = nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
	cut bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.max <= 0 {
		b.cut = b.cut || len(p) > 0
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
		b.cut = true
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cut {
		return "(earlier output cut)\n" + string(b.buf)
	}
	return string(b.buf)
}

// maxProgramOutput bounds what RunProgram and a client run keep of a
// program's output: more than the 8 MiB an echo client prints.
const maxProgramOutput = 10 << 20

// RunProgram runs a real client program (curl, nc, a browser) with stdin,
// in its own process group, killed with all its children when it does not
// finish within the given time or when ctx is cancelled. It returns what it
// wrote to stdout and stderr (the first 10 MiB of each); the error says how
// it ended when not well.
func RunProgram(ctx context.Context, within time.Duration, stdin []byte, name string, args ...string) (stdout, stderr []byte, err error) {
	runCtx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	var out, errOut cappedBuffer
	p, err := StartProcess(runCtx, exec.Command(name, args...),
		WithStdin(bytes.NewReader(stdin)),
		WithOutput(&out, &errOut),
		// Nobody reads the session buffers: the output is in out and errOut.
		WithBufferLimit(0),
		WithOutputLimit(0),
		// A client that overran its time is not asked: SIGKILL at once.
		WithStopGrace(0))
	if err != nil {
		return nil, nil, fmt.Errorf("%s failed (%v): ", name, err)
	}
	err = p.Wait()
	p.Stop() // children it left behind
	switch {
	case ctx.Err() != nil:
		err = fmt.Errorf("%s was interrupted: %v", name, ctx.Err())
	case runCtx.Err() != nil:
		err = Errorf(TimedOut, "%s did not finish within %v", name, within)
	case err != nil:
		err = fmt.Errorf("%s failed (%v): %s", name, err, firstLine(string(errOut.Bytes())))
	}
	return out.Bytes(), errOut.Bytes(), err
}

// cappedBuffer keeps the first maxProgramOutput bytes written to it.
type cappedBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes []Write // when each write came, for a client's stdout
}

// A Write is one write of a program to its output: when it came, and how
// much had been written once it had.
type Write struct {
	At    time.Time
	Total int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := maxProgramOutput - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
		b.writes = append(b.writes, Write{At: time.Now(), Total: b.buf.Len()})
	}
	return len(p), nil
}

func (b *cappedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

// Writes lists when each write came.
func (b *cappedBuffer) Writes() []Write {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.writes)
}
