package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
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
}

// host and port split inv.Addr.
func (inv Invocation) hostPort() (host, port string) {
	host, port, _ = net.SplitHostPort(inv.Addr)
	return host, port
}

// A ClientRun is how one run of a client went.
type ClientRun struct {
	Command  string // what ran, with the address put in
	Stdout   []byte // the first maxProgramOutput bytes
	Stderr   []byte // likewise
	ExitCode int    // -1 when it did not exit on its own
	TimedOut bool   // it was killed after Invocation.Within
	Started  time.Time
	Duration time.Duration // from start to exit (or kill)
	Err      error         // it could not be started
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
func ClientCommand(cmdline string) ClientProgram { return clientCommand(cmdline) }

type clientCommand string

func (c clientCommand) Name() string { return string(c) }

func (c clientCommand) Run(ctx context.Context, inv Invocation) *ClientRun {
	host, port := inv.hostPort()
	line := strings.NewReplacer("{host}", host, "{port}", port, "{url}", inv.URL).Replace(string(c))
	return runClient(ctx, line, inv, exec.Command("/bin/sh", "-c", line))
}

// runClient runs cmd as a client under test: in its own process group
// (see StartProcess), killed with its children after inv.Within.
func runClient(ctx context.Context, name string, inv Invocation, cmd *exec.Cmd) *ClientRun {
	run := &ClientRun{Command: name, ExitCode: -1, Started: time.Now()}
	runCtx, cancel := context.WithTimeout(ctx, inv.Within)
	defer cancel()
	var out, errOut cappedBuffer
	p, err := StartProcess(runCtx, cmd,
		WithStdin(bytes.NewReader(inv.Stdin)),
		WithOutput(&out, &errOut),
		WithBufferLimit(0), WithOutputLimit(0),
		WithStopGrace(0))
	if err != nil {
		run.Err = err
		return run
	}
	p.Wait()
	p.Stop() // the children it left behind
	run.Duration = time.Since(run.Started)
	run.Stdout, run.Stderr = out.Bytes(), errOut.Bytes()
	if runCtx.Err() != nil && ctx.Err() == nil {
		run.TimedOut = true
		return run
	}
	if ps := p.ProcessState(); ps != nil {
		run.ExitCode = ps.ExitCode()
	}
	return run
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
	code := c.main(runCtx, args, bytes.NewReader(inv.Stdin), &out, &errOut)
	run.Duration = time.Since(run.Started)
	run.Stdout, run.Stderr = out.Bytes(), errOut.Bytes()
	if errors.Is(runCtx.Err(), context.DeadlineExceeded) {
		run.TimedOut = true
		return run
	}
	run.ExitCode = code
	return run
}
