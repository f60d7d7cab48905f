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
	"syscall"
	"time"

	"github.com/onsi/gomega"
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
		if err := probeUDP(ctx, t.addr, 2*time.Second); err != nil {
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
// so Stop ends it and all of its children, and the tail of its output is
// kept for failure reports.
func Command(network, cmdline string) Target { return &command{network: network, cmdline: cmdline} }

type command struct {
	network string
	cmdline string
	addr    string
	p       *Process
}

func (t *command) Name() string         { return t.cmdline }
func (t *command) Addr() string         { return t.addr }
func (t *command) SeesClientAddr() bool { return true }

func (t *command) Output() string {
	if t.p == nil {
		return ""
	}
	return t.p.Output()
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

	// Start's ctx bounds the start only (cmd/conformance cancels it once
	// every target is up): the server runs until Stop, whatever ctx does.
	cmd := exec.Command("/bin/sh", "-c", line)
	// Local time is UTC, as in this project's containers: timestamp-echo
	// compares the server's clock with the suite's.
	cmd.Env = append(os.Environ(), "TZ=UTC")
	p, err := StartProcess(context.WithoutCancel(ctx), cmd,
		// Its output is only read through Output; a server printing a
		// flood must not hold megabytes in the session buffers.
		WithBufferLimit(64<<10))
	if err != nil {
		return fmt.Errorf("cannot run %q: %v", line, err)
	}
	t.p = p

	// Wait until the port accepts a connection (TCP) or answers a datagram
	// (UDP). For a local process that is a real probe: nothing answers on
	// the port before the server does. The command exiting ends the wait
	// at the next poll (StopTrying), ctx's end at once.
	answers, closeProbe, err := answerProbe(t.network, t.addr)
	if err != nil {
		t.Stop()
		return err
	}
	defer closeProbe()
	err = eventually(ctx, StartTimeout, 20*time.Millisecond, func() error {
		select {
		case <-p.Exited():
			return gomega.StopTrying("the command exited")
		default:
			return answers(ctx)
		}
	})
	if err == nil {
		return nil
	}
	select {
	case <-p.Exited():
		exit := p.Wait()
		t.Stop() // children the shell left behind
		return fmt.Errorf("command %q exited (%v) before listening on port %d; its output:\n%s", line, exit, port, indent(t.Output()))
	default:
	}
	t.Stop()
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted while waiting for %q to listen", line)
	}
	what := "listened on TCP"
	if t.network == UDP {
		what = "answered a datagram on UDP"
	}
	return fmt.Errorf("command %q never %s port %d within %v; its output:\n%s", line, what, port, StartTimeout, indent(t.Output()))
}

// Stop sends SIGTERM to the whole process group, and SIGKILL if it has not
// exited within two seconds (see Process.Stop).
func (t *command) Stop() error {
	if t.p != nil {
		t.p.Stop()
	}
	return nil
}

// answerProbe returns one attempt at reaching a server at addr: over TCP,
// a connection is accepted; over UDP, a datagram gets an answer within
// 100 ms. Call closeProbe when done.
func answerProbe(network, addr string) (answers func(context.Context) error, closeProbe func(), err error) {
	if network == UDP {
		u, err := newUDPProbe(addr)
		if err != nil {
			return nil, nil, err
		}
		return func(context.Context) error { return u.try() }, u.close, nil
	}
	return func(ctx context.Context) error {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	}, func() {}, nil
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

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "    (no output)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// eventually calls probe until it returns nil, then returns nil; or until
// it returns gomega.StopTrying, ctx is done, or within has passed, then
// returns the last error probe returned (ctx.Err() if it never ran). It is
// Gomega's Eventually on a Gomega of its own, whose failure handler only
// notes that it failed: callers build their own messages from the probe's
// error, free of Gomega's "Timed out after" preamble.
func eventually(ctx context.Context, within, every time.Duration, probe func() error) error {
	g := gomega.NewGomega(func(string, ...int) {})
	last := ctx.Err()
	ok := g.Eventually(func() error {
		err := probe()
		if err != nil {
			var signal gomega.PollingSignalError
			if !errors.As(err, &signal) {
				last = err
			}
		}
		return err
	}).WithContext(ctx).WithTimeout(within).WithPolling(every).Should(gomega.Succeed())
	if ok {
		return nil
	}
	if last == nil {
		last = errors.New("no answer")
	}
	return last
}

// Probe waits until a server at addr really answers: over UDP, a datagram
// gets an answer; over TCP, a connection gets data or stays open for
// 100 ms. Connecting is not enough in front of a container: docker-proxy
// accepts at once and, when nothing listens behind it, closes at once.
func Probe(ctx context.Context, network, addr string, within time.Duration) error {
	if network == UDP {
		return probeUDP(ctx, addr, within)
	}
	err := eventually(ctx, within, 50*time.Millisecond, func() error {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, rerr := c.Read(make([]byte, 1))
		if n > 0 || os.IsTimeout(rerr) {
			return nil
		}
		return fmt.Errorf("connections are closed at once (%v)", rerr)
	})
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// probeUDP waits until a datagram sent to addr gets any answer.
func probeUDP(ctx context.Context, addr string, within time.Duration) error {
	u, err := newUDPProbe(addr)
	if err != nil {
		return err
	}
	defer u.close()
	return eventually(ctx, within, 10*time.Millisecond, u.try)
}

// udpProbe sends probe datagrams to a server from a socket of its own.
type udpProbe struct {
	pc     net.PacketConn
	server *net.UDPAddr
	buf    []byte
	last   error
}

func newUDPProbe(addr string) (*udpProbe, error) {
	server, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	pc, err := net.ListenPacket("udp", ":0")
	if err != nil {
		return nil, err
	}
	return &udpProbe{pc: pc, server: server, buf: make([]byte, maxDatagram),
		last: errors.New("no answer to a probe datagram")}, nil
}

// try sends a datagram and waits 100 ms for any answer. A wait that times
// out returns the last real error seen, or "no answer to a probe datagram".
func (u *udpProbe) try() error {
	u.pc.WriteTo([]byte("socketspec-probe"), u.server)
	u.pc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, _, err := u.pc.ReadFrom(u.buf)
	if err == nil {
		return nil
	}
	if !os.IsTimeout(err) {
		u.last = err
	}
	return u.last
}

func (u *udpProbe) close() { u.pc.Close() }
