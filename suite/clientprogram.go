package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"
)

// A ClientProgram is a client under test. The client specs run it once
// per check, against a server of their own (see ScriptedServer).
type ClientProgram interface {
	// Name is how reports name the client, e.g. its command line.
	Name() string
	// Run runs the client once and waits for it to end, at most
	// inv.Within: then it is killed, and the run says it timed out.
	Run(ctx context.Context, inv Invocation) *ClientRun
}

// An Invocation is what one run of a client is given.
type Invocation struct {
	Addr   string // the server's host:port
	URL    string // for an HTTP client: http://host:port/path
	Stdin  []byte
	Within time.Duration // how long it may run
	// StdinEnds, when not nil, holds back the end of stdin: the client
	// reads Stdin at once, and EOF only once StdinEnds is closed (or the
	// run is over), as when a user types a line, waits for the answer,
	// and only then presses Ctrl-D.
	StdinEnds <-chan struct{}
}

// stdin is what the client reads on its standard input during a run that
// ends with ctx: inv.Stdin, then EOF, held back as inv.StdinEnds says.
func (inv Invocation) stdin(ctx context.Context) io.Reader {
	r := bytes.NewReader(inv.Stdin)
	if inv.StdinEnds == nil {
		return r
	}
	return io.MultiReader(r, heldEOF{ends: inv.StdinEnds, ctx: ctx})
}

// heldEOF is an end of input that comes once ends is closed or ctx ends.
type heldEOF struct {
	ends <-chan struct{}
	ctx  context.Context
}

func (h heldEOF) Read([]byte) (int, error) {
	select {
	case <-h.ends:
	case <-h.ctx.Done():
	}
	return 0, io.EOF
}

// host and port split inv.Addr.
func (inv Invocation) hostPort() (host, port string) {
	host, port, _ = net.SplitHostPort(inv.Addr)
	return host, port
}

// A ClientRun is how one run of a client went.
type ClientRun struct {
	Command  string  // what ran, with the address put in
	Stdout   []byte  // the first maxProgramOutput bytes
	Printed  []Write // when each write to stdout came
	Stderr   []byte  // likewise
	ExitCode int     // -1 when it did not exit on its own
	TimedOut bool    // it was killed after Invocation.Within
	Started  time.Time
	Duration time.Duration // from start to exit (or kill)
	Err      error         // it could not be started
}

// PrintedBy is when the client had printed n bytes, or false if it never did.
func (r *ClientRun) PrintedBy(n int) (time.Time, bool) {
	for _, w := range r.Printed {
		if w.Total >= n {
			return w.At, true
		}
	}
	return time.Time{}, false
}

// Ended is when the client exited or was killed.
func (r *ClientRun) Ended() time.Time { return r.Started.Add(r.Duration) }

// Exited reports whether the client exited on its own, with a status.
func (r *ClientRun) Exited() bool { return r.Err == nil && !r.TimedOut && r.ExitCode >= 0 }

// String describes the run for a failure message: the command, how it
// ended and when, and what it printed.
func (r *ClientRun) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "The client: %s\n", r.Command)
	switch {
	case r.Err != nil:
		fmt.Fprintf(&b, "  could not be started: %v\n", r.Err)
		return b.String()
	case r.TimedOut:
		fmt.Fprintf(&b, "  had not exited after %.1f s: killed\n", r.Duration.Seconds())
	case r.ExitCode < 0:
		fmt.Fprintf(&b, "  was killed by a signal after %.2f s\n", r.Duration.Seconds())
	default:
		fmt.Fprintf(&b, "  exited with status %d after %.2f s\n", r.ExitCode, r.Duration.Seconds())
	}
	fmt.Fprintf(&b, "  stdout: %d bytes  %s\n", len(r.Stdout), quoteShortened(shortened(r.Stdout)))
	if len(r.Stderr) == 0 {
		b.WriteString("  stderr: (nothing)\n")
	} else {
		b.WriteString("  stderr (last lines):\n")
		for _, line := range lastLines(string(r.Stderr), 8) {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	return b.String()
}

// shortened is p as a transcript event keeps it: its head and tail.
func shortened(p []byte) Event {
	e := Event{Size: len(p), Data: p}
	if len(p) > eventKeepHead+eventKeepTail {
		e.Data, e.Tail = p[:eventKeepHead], p[len(p)-eventKeepTail:]
	}
	return e
}

func lastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("(%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return lines
}

// OutputBuffer keeps the first 2 MiB written to it and drops the rest, as
// a ClientRun keeps a client's stdout and stderr; safe for concurrent
// writes. For the ClientPrograms of other packages (containers).
type OutputBuffer = cappedBuffer

// ClientCommand is a client run as a shell command line, with "{host}",
// "{port}" and "{url}" replaced by the server's address for each run, e.g.
// "python3 client.py {host} {port}" or "curl -fsS {url}".
func ClientCommand(cmdline string, opts ...ClientOption) ClientProgram {
	c := &clientCommand{cmdline: cmdline}
	for _, o := range opts {
		o(c)
	}
	return c
}

// A ClientOption configures a ClientCommand.
type ClientOption func(*clientCommand)

// ClientDir runs the command in dir (by default, in the working directory).
func ClientDir(dir string) ClientOption { return func(c *clientCommand) { c.dir = dir } }

// ClientEnv adds variables ("KEY=value") to the command's environment.
func ClientEnv(env ...string) ClientOption {
	return func(c *clientCommand) { c.env = append(c.env, env...) }
}

type clientCommand struct {
	cmdline string
	dir     string
	env     []string
}

func (c *clientCommand) Name() string { return c.cmdline }

func (c *clientCommand) Run(ctx context.Context, inv Invocation) *ClientRun {
	host, port := inv.hostPort()
	line := strings.NewReplacer("{host}", host, "{port}", port, "{url}", inv.URL).Replace(c.cmdline)
	cmd := exec.Command("/bin/sh", "-c", line)
	cmd.Dir = c.dir
	if len(c.env) > 0 {
		cmd.Env = append(os.Environ(), c.env...)
	}
	return runClient(ctx, line, inv, cmd)
}

// runClient runs cmd as a client under test: in its own process group
// (see StartProcess), killed with its children after inv.Within.
func runClient(ctx context.Context, name string, inv Invocation, cmd *exec.Cmd) *ClientRun {
	run := &ClientRun{Command: name, ExitCode: -1, Started: time.Now()}
	runCtx, cancel := context.WithTimeout(ctx, inv.Within)
	defer cancel()
	var out, errOut cappedBuffer
	stdin, err := pipeStdin(inv.stdin(runCtx))
	if err != nil {
		run.Err = err
		return run
	}
	p, err := StartProcess(runCtx, cmd,
		WithStdin(stdin),
		WithOutput(&out, &errOut),
		WithBufferLimit(0), WithOutputLimit(0),
		WithStopGrace(0))
	stdin.Close() // the client has its own copy; ours would keep the pipe open
	if err != nil {
		run.Err = err
		return run
	}
	p.Wait()
	p.Stop() // the children it left behind
	run.Duration = time.Since(run.Started)
	run.Stdout, run.Stderr, run.Printed = out.Bytes(), errOut.Bytes(), out.Writes()
	if runCtx.Err() != nil && ctx.Err() == nil {
		run.TimedOut = true
		return run
	}
	if ps := p.ProcessState(); ps != nil {
		run.ExitCode = ps.ExitCode()
	}
	return run
}

// pipeStdin returns the read end of a pipe that a goroutine fills from
// stdin, then closes: the client process's standard input. exec's own
// copying goroutine (for a stdin that is no file) would do the same, but
// Wait waits for it, and with the end of stdin held back it would keep
// Wait waiting after the client had exited. Ours ends when stdin does
// (with the run at the latest), or when the client is gone and the pipe
// breaks.
func pipeStdin(stdin io.Reader) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	go func() {
		io.Copy(w, stdin)
		w.Close()
	}()
	return r, nil
}

// A ClientMain is a client written as a Go function with the shape of a
// main: the Go reference clients. It gets its arguments (host and port,
// or the URL), stdin, stdout and stderr, and returns the exit status; it
// must return soon after ctx ends.
type ClientMain func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// ClientFunc is a client that runs main in this process.
func ClientFunc(name string, main ClientMain) ClientProgram {
	return &clientFunc{name: name, main: main}
}

type clientFunc struct {
	name string
	main ClientMain
}

func (c *clientFunc) Name() string { return c.name }

func (c *clientFunc) Run(ctx context.Context, inv Invocation) *ClientRun {
	args := []string{inv.URL}
	if inv.URL == "" {
		host, port := inv.hostPort()
		args = []string{host, port}
	}
	run := &ClientRun{Command: c.name + " " + strings.Join(args, " "), ExitCode: -1, Started: time.Now()}
	runCtx, cancel := context.WithTimeout(ctx, inv.Within)
	defer cancel()
	var out, errOut cappedBuffer
	code := c.main(runCtx, args, inv.stdin(runCtx), &out, &errOut)
	run.Duration = time.Since(run.Started)
	run.Stdout, run.Stderr, run.Printed = out.Bytes(), errOut.Bytes(), out.Writes()
	if errors.Is(runCtx.Err(), context.DeadlineExceeded) {
		run.TimedOut = true
		return run
	}
	run.ExitCode = code
	return run
}
