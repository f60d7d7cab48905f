package suite

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// StartTimeout bounds how long a target may take to start answering.
const StartTimeout = 15 * time.Second

// The networks a protocol runs over.
const (
	TCP = "tcp"
	UDP = "udp"
)

// ServeFunc is the shape of every TCP Go reference server: serve
// connections accepted from ln until ctx is cancelled.
type ServeFunc func(ctx context.Context, ln net.Listener) error

// PacketServeFunc is the shape of every UDP Go reference server: answer
// datagrams arriving on pc until ctx is cancelled.
type PacketServeFunc func(ctx context.Context, pc net.PacketConn) error

// InProcess returns a target that runs serve in this process, listening on
// 127.0.0.1 on a free port.
func InProcess(name string, serve ServeFunc) Target {
	return &inProcess{name: name, serve: func(ctx context.Context) (string, func() error, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		return ln.Addr().String(), func() error { return serve(ctx, ln) }, nil
	}}
}

// InProcessUDP is InProcess for a UDP server.
func InProcessUDP(name string, serve PacketServeFunc) Target {
	return &inProcess{name: name, serve: func(ctx context.Context) (string, func() error, error) {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		return pc.LocalAddr().String(), func() error { return serve(ctx, pc) }, nil
	}}
}

type inProcess struct {
	name string
	// serve binds a socket and returns its address and the server's loop.
	serve  func(ctx context.Context) (addr string, run func() error, err error)
	addr   string
	cancel context.CancelFunc
	done   chan error
}

func (t *inProcess) Name() string         { return t.name }
func (t *inProcess) Addr() string         { return t.addr }
func (t *inProcess) SeesClientAddr() bool { return true }
func (t *inProcess) Output() string       { return "" }

func (t *inProcess) Start(ctx context.Context) error {
	ctx, t.cancel = context.WithCancel(context.WithoutCancel(ctx))
	addr, run, err := t.serve(ctx)
	if err != nil {
		t.cancel()
		return err
	}
	t.addr = addr
	t.done = make(chan error, 1)
	go func() { t.done <- run() }()
	return nil
}

func (t *inProcess) Stop() error {
	if t.cancel == nil {
		return nil
	}
	t.cancel()
	t.cancel = nil
	select {
	case err := <-t.done:
		return err
	case <-time.After(5 * time.Second):
		return fmt.Errorf("%s: server did not stop within 5s of being cancelled", t.name)
	}
}

// Address returns a target for a server someone else started at addr, on
// network TCP or UDP.
func Address(network, addr string) Target { return &address{network: network, addr: addr} }

type address struct{ network, addr string }

func (t *address) Name() string { return t.addr }
func (t *address) Addr() string { return t.addr }

// SeesClientAddr is false: between us and an arbitrary address there may be
// NAT (a container's published port is one), so the chat specs check the
// form of the relayed prefix, not its exact value.
func (t *address) SeesClientAddr() bool { return false }
func (t *address) Output() string       { return "" }
func (t *address) Stop() error          { return nil }

func (t *address) Start(ctx context.Context) error {
	if _, _, err := net.SplitHostPort(t.addr); err != nil {
		return fmt.Errorf("--addr %q is not HOST:PORT: %v", t.addr, err)
	}
	if t.network == UDP {
		if err := probeUDP(t.addr, time.Now().Add(2*time.Second), ctx.Done()); err != nil {
			return fmt.Errorf("nothing answers at UDP %s within 2s: %v", t.addr, err)
		}
		return nil
	}
	d := net.Dialer{Timeout: DialTimeout}
	c, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("nothing listening at %s (connection refused)", t.addr)
		}
		return fmt.Errorf("cannot connect to %s: %v", t.addr, err)
	}
	return c.Close()
}

// Command returns a target that runs a shell command line as a local
// process, with every "{port}" replaced by a free port on 127.0.0.1, for a
// server on network TCP or UDP. The command runs in its own process group,
// so Stop ends it and all of its children, and its output is kept for
// failure reports.
func Command(network, cmdline string) Target { return &command{network: network, cmdline: cmdline} }

type command struct {
	network string
	cmdline string
	addr    string
	cmd     *exec.Cmd
	out     *tailBuffer
	exited  chan struct{} // closed when the process has exited
	waitErr error
	stopped sync.Once
}

func (t *command) Name() string         { return t.cmdline }
func (t *command) Addr() string         { return t.addr }
func (t *command) SeesClientAddr() bool { return true }

func (t *command) Output() string {
	if t.out == nil {
		return ""
	}
	return t.out.String()
}

func (t *command) Start(ctx context.Context) error {
	if !strings.Contains(t.cmdline, "{port}") {
		return fmt.Errorf("--cmd %q has no {port}: the suite chooses the port and substitutes it", t.cmdline)
	}
	port, err := FreePort(t.network)
	if err != nil {
		return err
	}
	t.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	line := strings.ReplaceAll(t.cmdline, "{port}", strconv.Itoa(port))

	t.out = &tailBuffer{max: 16 << 10}
	t.cmd = exec.Command("/bin/sh", "-c", line)
	t.cmd.Stdout, t.cmd.Stderr = t.out, t.out
	t.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A descendant that left the process group may hold our output pipe
	// open for ever; Wait must not wait for it once the server is gone.
	t.cmd.WaitDelay = time.Second
	if err := t.cmd.Start(); err != nil {
		return fmt.Errorf("cannot run %q: %v", line, err)
	}
	t.exited = make(chan struct{})
	go func() { t.waitErr = t.cmd.Wait(); close(t.exited) }()

	// Poll until the port accepts a connection (TCP) or answers a
	// datagram (UDP). For a local process that is a real probe: nothing
	// answers on the port before the server does.
	deadline := time.Now().Add(StartTimeout)
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for {
		if t.answers() {
			return nil
		}
		select {
		case <-t.exited:
			return fmt.Errorf("command %q exited (%v) before listening on port %d; its output:\n%s", line, t.waitErr, port, indent(t.Output()))
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("interrupted while waiting for %q to listen", line)
		case <-poll.C:
		}
		if time.Now().After(deadline) {
			t.Stop()
			what := "listened on TCP"
			if t.network == UDP {
				what = "answered a datagram on UDP"
			}
			return fmt.Errorf("command %q never %s port %d within %v; its output:\n%s", line, what, port, StartTimeout, indent(t.Output()))
		}
	}
}

// Stop sends SIGTERM to the whole process group, and SIGKILL if it has not
// exited within two seconds.
func (t *command) Stop() error {
	if t.cmd == nil || t.cmd.Process == nil {
		return nil
	}
	t.stopped.Do(func() {
		pgid := t.cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-t.exited:
		case <-time.After(2 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-t.exited
		}
		// The shell may be gone while children it started live on.
		syscall.Kill(-pgid, syscall.SIGKILL)
	})
	return nil
}

// answers reports whether the server answers on its port yet.
func (t *command) answers() bool {
	if t.network == UDP {
		return probeUDP(t.addr, time.Now().Add(150*time.Millisecond), t.exited) == nil
	}
	c, err := net.DialTimeout("tcp", t.addr, time.Second)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// FreePort asks the kernel for a free port on 127.0.0.1, for network
// TCP or UDP.
func FreePort(network string) (int, error) {
	if network == UDP {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
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

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (no output)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// Probe waits until a server at addr really answers: over UDP, a datagram
// gets an answer; over TCP, a connection gets data or stays open for
// 100 ms. Connecting is not enough in front of a container: docker-proxy
// accepts at once and, when nothing listens behind it, closes at once.
func Probe(ctx context.Context, network, addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	if network == UDP {
		return probeUDP(addr, deadline, ctx.Done())
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := errors.New("no connection accepted")
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, rerr := c.Read(make([]byte, 1))
			c.Close()
			if n > 0 || os.IsTimeout(rerr) {
				return nil
			}
			last = fmt.Errorf("connections are closed at once (%v)", rerr)
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return last
}

// probeUDP waits until a datagram sent to addr gets any answer.
func probeUDP(addr string, deadline time.Time, stop <-chan struct{}) error {
	pc, err := net.ListenPacket("udp", ":0")
	if err != nil {
		return err
	}
	defer pc.Close()
	server, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return err
	}
	buf := make([]byte, maxDatagram)
	last := fmt.Errorf("no answer to a probe datagram")
	for time.Now().Before(deadline) {
		pc.WriteTo([]byte("socketspec-probe"), server)
		pc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if _, _, err := pc.ReadFrom(buf); err == nil {
			return nil
		} else if !os.IsTimeout(err) {
			last = err
		}
		select {
		case <-stop:
			return last
		default:
		}
	}
	return last
}
