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
		// A server already running is bound: probe datagrams draw an
		// answer, or at least no refusal. Only refusals until the end
		// of this wait mean that nothing listens.
		if err := waitUDPBound(ctx, t.addr, 2*time.Second, nil); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted while probing UDP %s", t.addr)
			}
			return fmt.Errorf("nothing listening at UDP %s: for 2s, %v", t.addr, err)
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
func Command(network, cmdline string, opts ...CommandOption) Target {
	t := &command{network: network, cmdline: cmdline}
	for _, o := range opts {
		o(t)
	}
	return t
}

// A CommandOption configures a Command target.
type CommandOption func(*command)

// CommandDir runs the command in dir (by default, in the working directory).
func CommandDir(dir string) CommandOption { return func(t *command) { t.dir = dir } }

// CommandEnv adds variables ("KEY=value") to the command's environment.
func CommandEnv(env ...string) CommandOption {
	return func(t *command) { t.env = append(t.env, env...) }
}

type command struct {
	network string
	cmdline string
	dir     string
	env     []string
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
	cmd.Env = append(append(os.Environ(), "TZ=UTC"), t.env...)
	cmd.Dir = t.dir
	p, err := StartProcess(context.WithoutCancel(ctx), cmd,
		// Its output is only read through Output; a server printing a
		// flood must not hold megabytes in the session buffers.
		WithBufferLimit(64<<10))
	if err != nil {
		return fmt.Errorf("cannot run %q: %v", line, err)
	}
	t.p = p

	// Wait until the port accepts a connection (TCP), or is bound (UDP:
	// see waitUDPBound). For a local process that is a real probe: the
	// port is refused until the server binds it. The command exiting ends
	// the wait at the next poll (StopTrying), ctx's end at once.
	exited := func() error {
		select {
		case <-p.Exited():
			return gomega.StopTrying("the command exited")
		default:
			return nil
		}
	}
	if t.network == UDP {
		err = waitUDPBound(ctx, t.addr, StartTimeout, exited)
	} else {
		err = eventually(ctx, StartTimeout, 20*time.Millisecond, func() error {
			if err := exited(); err != nil {
				return err
			}
			d := net.Dialer{Timeout: time.Second}
			c, err := d.DialContext(ctx, "tcp", t.addr)
			if err == nil {
				c.Close()
			}
			return err
		})
	}
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
	if t.network == UDP {
		return fmt.Errorf("command %q never bound UDP port %d within %v: nothing listening there (%v); its output:\n%s", line, port, StartTimeout, err, indent(t.Output()))
	}
	return fmt.Errorf("command %q never listened on TCP port %d within %v; its output:\n%s", line, port, StartTimeout, indent(t.Output()))
}

// Stop sends SIGTERM to the whole process group, and SIGKILL if it has not
// exited within two seconds (see Process.Stop).
func (t *command) Stop() error {
	if t.p != nil {
		t.p.Stop()
	}
	return nil
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
// Nor, over UDP, is the silence that waitUDPBound takes for a bound port:
// docker-proxy binds a published port before the server inside does.
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

// probeUDP waits until a datagram sent to addr gets an answer.
func probeUDP(ctx context.Context, addr string, within time.Duration) error {
	u, err := newUDPProbe(addr)
	if err != nil {
		return err
	}
	defer u.close()
	return eventually(ctx, within, 10*time.Millisecond, func() error {
		answered, err := u.try()
		switch {
		case answered:
			return nil
		case err != nil:
			return err
		}
		return errNoAnswer
	})
}

var errNoAnswer = errors.New("no answer to a probe datagram")

// udpQuiet is how long probe datagrams must draw no refusal before a UDP
// port counts as bound. On loopback a refusal (an ICMP port unreachable)
// comes back within microseconds of the datagram; several probes go out
// in this time.
const udpQuiet = 300 * time.Millisecond

// waitUDPBound waits until something is bound to UDP addr, within the
// given time: a probe datagram draws an answer, or probes draw no refusal
// for udpQuiet. A datagram to a port where nothing is bound draws an ICMP
// port unreachable, which the probe's connected socket sees as "connection
// refused"; silence means that a socket is bound there and does not
// answer the probes, which the specs then diagnose (on loopback nothing
// is lost). The wait fails only when refusals keep coming until it ends,
// or when stop (if not nil) returns an error, e.g. gomega.StopTrying: the
// server exited. It returns the last refusal.
//
// Across a network that drops ICMP, silence is all anyone sees, and a
// missing server shows as timed-out checks rather than as "nothing
// listening".
func waitUDPBound(ctx context.Context, addr string, within time.Duration, stop func() error) error {
	u, err := newUDPProbe(addr)
	if err != nil {
		return err
	}
	defer u.close()
	var quietSince time.Time // since when no probe drew a refusal
	var refused error        // the last refusal
	return eventually(ctx, within, 20*time.Millisecond, func() error {
		if stop != nil {
			if err := stop(); err != nil {
				return err
			}
		}
		if quietSince.IsZero() {
			quietSince = time.Now()
		}
		answered, err := u.try()
		switch {
		case answered:
			return nil
		case err != nil:
			refused, quietSince = err, time.Now()
			return err
		case time.Since(quietSince) >= udpQuiet:
			return nil // bound, and silent
		case refused != nil:
			return refused // quiet since the last refusal, not yet for long
		}
		return errNoAnswer
	})
}

// udpProbe sends probe datagrams to a server from a socket of its own,
// connected to the server's address: an ICMP port unreachable for one of
// them makes a later send or receive on it fail with ECONNREFUSED.
type udpProbe struct {
	conn *net.UDPConn
	buf  []byte
}

func newUDPProbe(addr string) (*udpProbe, error) {
	server, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialUDP("udp", nil, server)
	if err != nil {
		return nil, err
	}
	return &udpProbe{conn: conn, buf: make([]byte, maxDatagram)}, nil
}

// try sends a probe datagram and waits at most 50 ms for an answer. It
// reports whether one came, or the error a send or receive met (on
// loopback, "connection refused" for a port where nothing is bound). A
// wait that times out is neither.
func (u *udpProbe) try() (answered bool, err error) {
	u.conn.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := u.conn.Write([]byte("socketspec-probe")); err != nil && !os.IsTimeout(err) {
		return false, probeError(err)
	}
	u.conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err = u.conn.Read(u.buf)
	switch {
	case err == nil:
		return true, nil
	case os.IsTimeout(err):
		return false, nil
	}
	return false, probeError(err)
}

// probeError says what a probe's failed send or receive means.
func probeError(err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return errors.New("probe datagrams drew ICMP port unreachable (connection refused)")
	}
	return fmt.Errorf("probe datagrams failed: %v", err)
}

func (u *udpProbe) close() { u.conn.Close() }
