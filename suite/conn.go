package suite

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DialTimeout bounds every connection attempt.
const DialTimeout = 3 * time.Second

// WriteTimeout bounds a single Write: a server that stops reading for this
// long is reported as such instead of hanging the check.
const WriteTimeout = 5 * time.Second

// readChunk is how much one read asks for at most. A matcher never asks for
// more than it still needs, so a flooding server cannot grow our memory.
const readChunk = 32 << 10

// pollSlice is how long one poll of a matcher waits on the socket. Gomega's
// Eventually and Consistently poll again until their own time is up, and
// look at the spec's context between polls, so an interrupt stops a wait
// within about this long.
const pollSlice = 50 * time.Millisecond

// A Client is the suite's side of the wire in one check: the connections
// and UDP sockets it opens to one server share one transcript, and Close
// closes whatever is still open.
type Client struct {
	addr string
	tr   *Transcript

	mu      sync.Mutex
	closers []io.Closer
}

// NewClient starts a client of the server at addr.
func NewClient(addr string) *Client {
	return &Client{addr: addr, tr: NewTranscript()}
}

// Addr is the server's address.
func (cl *Client) Addr() string { return cl.addr }

// Transcript is what crossed the wire in this check so far.
func (cl *Client) Transcript() *Transcript { return cl.tr }

func (cl *Client) track(c io.Closer) {
	cl.mu.Lock()
	cl.closers = append(cl.closers, c)
	cl.mu.Unlock()
}

// Close closes every connection, socket and proxy of the client.
func (cl *Client) Close() {
	cl.mu.Lock()
	closers := cl.closers
	cl.closers = nil
	cl.mu.Unlock()
	for _, c := range closers {
		c.Close()
	}
}

// Dial connects to the server; name labels the connection in the transcript.
// When the connection is refused the error is of kind NothingListening.
func (cl *Client) Dial(name string) (*Conn, error) {
	d := net.Dialer{Timeout: DialTimeout}
	nc, err := d.Dial("tcp", cl.addr)
	if err != nil {
		cl.tr.mark(name, NoteEvent, ClientSide, "connect failed: %v", err)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, Errorf(NothingListening, "%s could not connect: nothing listening at %s (connection refused)", name, cl.addr)
		}
		if errors.Is(err, syscall.ECONNRESET) {
			// Something listens: it accepted and reset the connection
			// before connect(2) returned.
			return nil, Errorf(ConnReset, "%s: the server reset the connection as it was being set up (%s)", name, cl.addr)
		}
		if os.IsTimeout(err) {
			return nil, Errorf(TimedOut, "%s could not connect to %s within %v", name, cl.addr, DialTimeout)
		}
		return nil, Errorf(NothingListening, "%s could not connect to %s: %v", name, cl.addr, err)
	}
	c := &Conn{name: name, nc: nc.(*net.TCPConn), tr: cl.tr}
	cl.tr.mark(name, ConnectEvent, ClientSide, "connected from %s", nc.LocalAddr())
	cl.track(nc)
	return c, nil
}

// A Conn is one TCP connection of the suite to the server. Writes have a
// deadline, record what they sent and fail with an *Error. Reading is done
// by the matchers of this package (Receive, ReceiveLine, ReceiveNothing,
// ...), under Gomega's Eventually and Consistently:
//
//	Eventually(conn).WithContext(ctx).Within(2 * time.Second).Should(suite.Receive("ping", "the echo of ping"))
//
// A Conn is not safe for concurrent reads, nor for concurrent writes, but
// one goroutine may read while another writes.
type Conn struct {
	name string
	nc   *net.TCPConn
	tr   *Transcript

	buf  []byte       // received but not yet consumed by a matcher
	recv int64        // bytes received in all: buf starts at recv-len(buf) in the server's stream
	end  error        // io.EOF, a reset or another read error, once seen
	sent atomic.Int64 // bytes the client has written: a writer goroutine counts, a reader's diagnosis reads
}

// Name is the connection's label in the transcript.
func (c *Conn) Name() string { return c.name }

// GoString keeps Gomega from dumping the connection's buffer: given
// Eventually(ctx, conn), it formats conn with %#v to tell it from a
// duration. Eventually(conn).WithContext(ctx) avoids that altogether.
func (c *Conn) GoString() string { return "suite.Conn(" + c.name + ")" }

// LocalAddr is the client's end of the connection, as "host:port".
func (c *Conn) LocalAddr() string { return c.nc.LocalAddr().String() }

// Write sends p, all of it, within WriteTimeout.
func (c *Conn) Write(p []byte) error {
	c.nc.SetWriteDeadline(time.Now().Add(WriteTimeout))
	n, err := c.nc.Write(p)
	if n > 0 {
		c.tr.sent(c.name, p[:n])
		c.sent.Add(int64(n))
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
		c.tr.mark(c.name, NoteEvent, ClientSide, "write stalled")
		return Errorf(TimedOut, "%s: the server stopped reading: after %v only %d of %d bytes could be written", c.name, WriteTimeout, n, total)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		c.tr.mark(c.name, ResetEvent, ServerSide, "write failed: connection reset by server")
		return Errorf(ConnReset, "%s: the server reset the connection while the client was writing (%d of %d bytes written)", c.name, n, total)
	default:
		c.tr.mark(c.name, NoteEvent, ClientSide, "write failed: %v", err)
		return Errorf(ClosedEarly, "%s: write failed after %d of %d bytes: %v", c.name, n, total, err)
	}
}

// CloseWrite half-closes the connection: the server reads EOF, but can still send.
func (c *Conn) CloseWrite() error {
	c.tr.mark(c.name, HalfCloseEvent, ClientSide, "client half-closed its side (FIN)")
	if err := c.nc.CloseWrite(); err != nil {
		return Errorf(ClosedEarly, "%s: half-close failed: %v", c.name, err)
	}
	return nil
}

// Close closes the connection normally (FIN).
func (c *Conn) Close() error {
	c.tr.mark(c.name, CloseEvent, ClientSide, "client closed")
	return c.nc.Close()
}

// Reset aborts the connection with an RST (SO_LINGER 0), as a crashing
// client would.
func (c *Conn) Reset() error {
	c.tr.mark(c.name, ResetEvent, ClientSide, "client reset the connection (RST)")
	c.nc.SetLinger(0)
	return c.nc.Close()
}

// SetReadBuffer caps the kernel's receive buffer for the connection
// (SO_RCVBUF), e.g. so that a client that never reads fills up quickly.
func (c *Conn) SetReadBuffer(bytes int) error { return c.nc.SetReadBuffer(bytes) }

// receive reads once, waiting at most pollSlice, at most limit bytes, into
// c.buf. The end of the stream (EOF, a reset) is kept in c.end; a read that
// times out is not an error: the matcher polls again.
func (c *Conn) receive(limit int) {
	if c.end != nil {
		return
	}
	c.nc.SetReadDeadline(time.Now().Add(pollSlice))
	p := make([]byte, min(readChunk, max(limit, 1)))
	n, err := c.nc.Read(p)
	if n > 0 {
		c.tr.received(c.name, p[:n])
		c.buf = append(c.buf, p[:n]...)
		c.recv += int64(n)
	}
	switch {
	case err == nil, os.IsTimeout(err):
	case errors.Is(err, io.EOF):
		c.tr.mark(c.name, CloseEvent, ServerSide, "server closed the connection (EOF)")
		c.end = io.EOF
	case errors.Is(err, syscall.ECONNRESET):
		c.tr.mark(c.name, ResetEvent, ServerSide, "connection reset by server (RST)")
		c.end = syscall.ECONNRESET
	default:
		c.tr.mark(c.name, NoteEvent, ServerSide, "read failed: %v", err)
		c.end = err
	}
}

// receiveMore is receive repeated while data keeps coming, for at most
// pollSlice and limit bytes in all: a big answer is read in one poll.
func (c *Conn) receiveMore(limit int) {
	start := time.Now()
	for limit > 0 && c.end == nil {
		before := len(c.buf)
		c.receive(limit)
		got := len(c.buf) - before
		if got == 0 || time.Since(start) > pollSlice {
			return
		}
		limit -= got
	}
}

// consume takes the first n buffered bytes.
func (c *Conn) consume(n int) []byte {
	out := append([]byte(nil), c.buf[:n]...)
	c.buf = c.buf[n:]
	return out
}

// bufStart is where the buffered bytes start in what the server has sent.
func (c *Conn) bufStart() int64 { return c.recv - int64(len(c.buf)) }

// closedByServer reports whether the server ended the stream by an orderly close.
func (c *Conn) closedByServer() bool { return errors.Is(c.end, io.EOF) }
