package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DialTimeout bounds every connection attempt.
const DialTimeout = 3 * time.Second

// readChunk is how much one read asks for. Reads never ask for more than the
// caller still wants plus this, so a flooding server cannot grow our memory.
const readChunk = 32 << 10

// A Session is the set of connections one spec makes to one server. They
// share a transcript, and Close closes whatever is still open.
type Session struct {
	addr string
	tr   *Transcript

	mu      sync.Mutex
	conns   []*Conn
	closers []io.Closer // UDP sockets
}

// NewSession starts a session against the server at addr.
func NewSession(addr string) *Session {
	return &Session{addr: addr, tr: NewTranscript()}
}

// Addr is the server's address.
func (s *Session) Addr() string { return s.addr }

// Transcript is what crossed the wire in this session so far.
func (s *Session) Transcript() *Transcript { return s.tr }

// Dial connects to the server; name labels the connection in the transcript.
// When the connection is refused the error is of kind NothingListening.
func (s *Session) Dial(name string) (*Conn, error) {
	d := net.Dialer{Timeout: DialTimeout}
	nc, err := d.Dial("tcp", s.addr)
	if err != nil {
		s.tr.Note(name, "connect failed: %v", err)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, Errorf(NothingListening, "%s could not connect: nothing listening at %s (connection refused)", name, s.addr)
		}
		if os.IsTimeout(err) {
			return nil, Errorf(TimedOut, "%s could not connect to %s within %v", name, s.addr, DialTimeout)
		}
		return nil, Errorf(NothingListening, "%s could not connect to %s: %v", name, s.addr, err)
	}
	c := &Conn{name: name, nc: nc, tr: s.tr}
	s.tr.Note(name, "connected from %s", nc.LocalAddr())
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	return c, nil
}

// Close closes every connection of the session.
func (s *Session) Close() {
	s.mu.Lock()
	conns, closers := s.conns, s.closers
	s.conns, s.closers = nil, nil
	s.mu.Unlock()
	for _, c := range conns {
		c.nc.Close()
	}
	for _, c := range closers {
		c.Close()
	}
}

// A Conn is one client connection. Every operation takes or has a deadline,
// records what it did in the transcript, and fails with an *Error.
// A Conn is not safe for concurrent reads, nor for concurrent writes, but
// one goroutine may read while another writes.
type Conn struct {
	name string
	nc   net.Conn
	tr   *Transcript

	buf []byte // received but not yet consumed by a read method
	eof error  // io.EOF or a reset, once seen: later reads return it
}

// WriteTimeout bounds a single Write: a server that stops reading for this
// long is reported as such instead of hanging the spec.
const WriteTimeout = 5 * time.Second

// Name is the connection's label in the transcript.
func (c *Conn) Name() string { return c.name }

// LocalAddr is the client's end of the connection, as "host:port".
func (c *Conn) LocalAddr() string { return c.nc.LocalAddr().String() }

// Write sends p, all of it, within WriteTimeout.
func (c *Conn) Write(p []byte) error {
	c.nc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	n, err := c.nc.Write(p)
	if n > 0 {
		c.tr.sent(c.name, p[:n])
	}
	if err != nil {
		return c.writeError(err, n, len(p))
	}
	return nil
}

// WriteString is Write for a string.
func (c *Conn) WriteString(s string) error { return c.Write([]byte(s)) }

func (c *Conn) writeError(err error, n, total int) error {
	switch {
	case os.IsTimeout(err):
		c.tr.Note(c.name, "write stalled")
		return Errorf(TimedOut, "%s: the server stopped reading: after %v only %d of %d bytes could be written", c.name, WriteTimeout, n, total)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		c.tr.Note(c.name, "write failed: connection reset by server")
		return Errorf(ConnReset, "%s: the server reset the connection while the client was writing (%d of %d bytes written)", c.name, n, total)
	default:
		c.tr.Note(c.name, "write failed: %v", err)
		return Errorf(ClosedEarly, "%s: write failed after %d of %d bytes: %v", c.name, n, total, err)
	}
}

// CloseWrite half-closes the connection: the server reads EOF, but can still send.
func (c *Conn) CloseWrite() error {
	c.tr.Note(c.name, "client half-closed its side (FIN)")
	if err := c.nc.(*net.TCPConn).CloseWrite(); err != nil {
		return Errorf(ClosedEarly, "%s: half-close failed: %v", c.name, err)
	}
	return nil
}

// Close closes the connection normally (FIN).
func (c *Conn) Close() error {
	c.tr.Note(c.name, "client closed")
	return c.nc.Close()
}

// Reset aborts the connection with an RST (SO_LINGER 0), as a crashing
// client would.
func (c *Conn) Reset() error {
	c.tr.Note(c.name, "client reset the connection (RST)")
	tc := c.nc.(*net.TCPConn)
	tc.SetLinger(0)
	return tc.Close()
}

// fill reads once from the network into c.buf, waiting until deadline.
// It returns the number of bytes added, or the error that stopped it.
func (c *Conn) fill(deadline time.Time, limit int) (int, error) {
	if c.eof != nil {
		return 0, c.eof
	}
	c.nc.SetReadDeadline(deadline)
	p := make([]byte, min(readChunk, max(limit, 1)))
	n, err := c.nc.Read(p)
	if n > 0 {
		c.tr.received(c.name, p[:n])
		c.buf = append(c.buf, p[:n]...)
	}
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		c.tr.Note(c.name, "server closed the connection (EOF)")
		c.eof = io.EOF
	case errors.Is(err, syscall.ECONNRESET):
		c.tr.Note(c.name, "connection reset by server (RST)")
		c.eof = syscall.ECONNRESET
	case os.IsTimeout(err):
		return n, err
	default:
		c.tr.Note(c.name, "read failed: %v", err)
		c.eof = err
	}
	if n > 0 {
		return n, nil
	}
	return 0, c.eof
}

// endError turns the end of a read (timeout, EOF, reset) into a diagnosis of
// what the client was waiting for.
func (c *Conn) endError(err error, what string, within time.Duration, have int) error {
	got := ""
	if have > 0 {
		got = fmt.Sprintf(" (%d bytes of it had arrived)", have)
	}
	switch {
	case os.IsTimeout(err):
		return Errorf(TimedOut, "%s: timed out after %v waiting for %s%s", c.name, within, what, got)
	case errors.Is(err, syscall.ECONNRESET):
		return Errorf(ConnReset, "%s: the server reset the connection while the client waited for %s%s", c.name, what, got)
	case errors.Is(err, io.EOF):
		return Errorf(ClosedEarly, "%s: the server closed the connection while the client waited for %s%s", c.name, what, got)
	default:
		return Errorf(ClosedEarly, "%s: read failed while waiting for %s: %v", c.name, what, err)
	}
}

// ReadFull reads exactly n bytes within the given time. what names them in
// a failure ("the echo of 1 MiB").
func (c *Conn) ReadFull(n int, what string, within time.Duration) ([]byte, error) {
	deadline := time.Now().Add(within)
	for len(c.buf) < n {
		if _, err := c.fill(deadline, n-len(c.buf)); err != nil && !(os.IsTimeout(err) && time.Now().Before(deadline)) {
			return nil, c.endError(err, what, within, len(c.buf))
		}
	}
	return c.take(n), nil
}

func (c *Conn) take(n int) []byte {
	out := append([]byte(nil), c.buf[:n]...)
	c.buf = c.buf[n:]
	return out
}

// Expect reads len(want) bytes and checks that they are want. It fails as
// soon as a byte differs, with the offset and the bytes around it.
func (c *Conn) Expect(want []byte, what string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		if d := DiffBytes(want, c.buf[:min(len(c.buf), len(want))]); d != "" {
			return Errorf(WrongBytes, "%s: wrong bytes in %s: %s", c.name, what, d)
		}
		if len(c.buf) >= len(want) {
			c.take(len(want))
			return nil
		}
		if _, err := c.fill(deadline, len(want)-len(c.buf)); err != nil && !(os.IsTimeout(err) && time.Now().Before(deadline)) {
			return c.endError(err, what, within, len(c.buf))
		}
	}
}

// ExpectString is Expect for a string.
func (c *Conn) ExpectString(want, what string, within time.Duration) error {
	return c.Expect([]byte(want), what, within)
}

// ReadLine reads up to and including the next "\n", at most max bytes.
func (c *Conn) ReadLine(max int, what string, within time.Duration) ([]byte, error) {
	deadline := time.Now().Add(within)
	for {
		if i := bytes.IndexByte(c.buf, '\n'); i >= 0 && i < max {
			return c.take(i + 1), nil
		}
		if len(c.buf) >= max {
			return nil, Errorf(Violation, "%s: %s: no end of line (\\n) within %d bytes", c.name, what, max)
		}
		if _, err := c.fill(deadline, max-len(c.buf)); err != nil && !(os.IsTimeout(err) && time.Now().Before(deadline)) {
			return nil, c.endError(err, what, within, len(c.buf))
		}
	}
}

// ReadUntilEOF reads until the server closes, at most max bytes, within the
// given time. On a timeout or when the server sends more than max, the error
// says so and the bytes received so far are returned with it.
func (c *Conn) ReadUntilEOF(max int, what string, within time.Duration) ([]byte, error) {
	deadline := time.Now().Add(within)
	for {
		if len(c.buf) > max {
			return c.take(len(c.buf)), Errorf(UnexpectedBytes, "%s: more than %d bytes of %s without the server closing", c.name, max, what)
		}
		_, err := c.fill(deadline, max+1-len(c.buf))
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return c.take(len(c.buf)), nil
		case os.IsTimeout(err) && time.Now().Before(deadline):
		case os.IsTimeout(err):
			return c.take(len(c.buf)), Errorf(NotClosed, "%s: the server did not close the connection within %v after sending %s", c.name, within, what)
		default:
			return c.take(len(c.buf)), c.endError(err, what+" and the close that ends it", within, len(c.buf))
		}
	}
}

// ExpectEOF checks that the server closes the connection within the given
// time without sending anything more.
func (c *Conn) ExpectEOF(after string, within time.Duration) error {
	got, err := c.ReadUntilEOF(4096, after, within)
	if len(got) > 0 {
		return Errorf(UnexpectedBytes, "%s: expected the server to close after %s, but it sent %d more bytes: %s", c.name, after, len(got), Quote(got[:min(len(got), 64)]))
	}
	return err
}

// ExpectQuiet checks that nothing arrives during a bounded quiet window and
// that the connection stays open. This is how "the server sends nothing"
// is checked: never by sleeping and hoping.
func (c *Conn) ExpectQuiet(window time.Duration, why string) error {
	if len(c.buf) > 0 {
		return Errorf(UnexpectedBytes, "%s: expected nothing %s, but received %s", c.name, why, Quote(c.buf[:min(len(c.buf), 64)]))
	}
	deadline := time.Now().Add(window)
	for {
		_, err := c.fill(deadline, 4096)
		switch {
		case len(c.buf) > 0:
			return Errorf(UnexpectedBytes, "%s: expected nothing %s, but received %s", c.name, why, Quote(c.buf[:min(len(c.buf), 64)]))
		case err == nil:
		case os.IsTimeout(err) && time.Now().Before(deadline):
		case os.IsTimeout(err):
			return nil
		default:
			return c.endError(err, fmt.Sprintf("nothing for %v %s (the connection should stay open)", window, why), window, 0)
		}
	}
}

// Buffered reports how many received bytes no read method has consumed yet.
func (c *Conn) Buffered() int { return len(c.buf) }

// ContextDeadline shortens within so that an operation does not outlive ctx.
func ContextDeadline(ctx context.Context, within time.Duration) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return min(within, time.Until(d))
	}
	return within
}

// SetReadBuffer caps the kernel's receive buffer for the connection
// (SO_RCVBUF), e.g. so that a client that never reads fills up quickly.
func (c *Conn) SetReadBuffer(bytes int) error {
	return c.nc.(*net.TCPConn).SetReadBuffer(bytes)
}

// ExpectNoReset checks that no reset (RST) arrives during a bounded window,
// typically after the server closed with a FIN: a server that closes its
// socket without reading what the client sent answers that data with an
// RST, which may come just after the FIN. It waits on the socket itself
// (poll for an error or hang-up), so it returns as soon as one arrives.
func (c *Conn) ExpectNoReset(window time.Duration, after string) error {
	raw, err := c.nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		return err
	}
	var revents int16
	deadline := time.Now().Add(window)
	raw.Control(func(fd uintptr) {
		for {
			fds := []unix.PollFd{{Fd: int32(fd)}} // no events: only POLLERR and POLLHUP
			left := time.Until(deadline)
			if left <= 0 {
				return
			}
			n, err := unix.Poll(fds, int(left.Milliseconds())+1)
			if err == unix.EINTR {
				continue
			}
			if n > 0 {
				revents = fds[0].Revents
			}
			return
		}
	})
	if revents&(unix.POLLERR|unix.POLLHUP) != 0 {
		c.tr.Note(c.name, "connection reset by server (RST)")
		return Errorf(ConnReset, "%s: the server reset the connection %s", c.name, after)
	}
	return nil
}
