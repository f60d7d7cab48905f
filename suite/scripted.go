package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// scriptedWriteTimeout bounds one write of a scripted server: a client that
// does not read for that long has stopped reading.
const scriptedWriteTimeout = 5 * time.Second

// A ScriptedServer is the suite's side of a client check: a TCP server on a
// free port of 127.0.0.1 that serves every connection it accepts with a
// script, as httptest.Server serves a handler. It records everything that
// crosses the wire in a transcript, named from the client's side as for
// server checks: "->" is what the client sent, "<-" what the server sent.
type ScriptedServer struct {
	ln     net.Listener
	tr     *Transcript
	script func(*ServerConn) error
	ctx    context.Context // cancelled by Close: pauses and reads end
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	conns    []*ServerConn
	err      error // the first script error
	accepted int
}

// NewScriptedServer starts a server that runs script on each connection
// it accepts, in a goroutine of its own, recording into tr. Close it when
// the check is done.
func NewScriptedServer(tr *Transcript, script func(c *ServerConn) error) (*ScriptedServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &ScriptedServer{ln: ln, tr: tr, script: script, ctx: ctx, cancel: cancel}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *ScriptedServer) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		s.accepted++
		name := "client"
		if s.accepted > 1 {
			name = fmt.Sprintf("client#%d", s.accepted)
		}
		c := &ServerConn{nc: nc.(*net.TCPConn), name: name, tr: s.tr, ctx: s.ctx}
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.tr.mark(name, ConnectEvent, ClientSide, "connected from %s", nc.RemoteAddr())
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			if err := s.script(c); err != nil && s.ctx.Err() == nil {
				s.mu.Lock()
				if s.err == nil {
					s.err = err
				}
				s.mu.Unlock()
			}
		}()
	}
}

// Addr is the server's address, host:port.
func (s *ScriptedServer) Addr() string { return s.ln.Addr().String() }

// Accepted is how many connections the server has accepted.
func (s *ScriptedServer) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Err is the first error a script returned, if any: what the client did
// that the script could not go on from (it sent nothing, it stopped reading).
func (s *ScriptedServer) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close stops the server: it stops accepting, ends the scripts' pauses and
// reads, closes every connection and waits for the scripts to return.
func (s *ScriptedServer) Close() {
	s.cancel()
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// A ServerConn is one connection of a ScriptedServer, as its script sees
// it. Every operation has a deadline, and ends when the server is closed.
type ServerConn struct {
	nc   *net.TCPConn
	name string
	tr   *Transcript
	ctx  context.Context
	buf  []byte // read from the client, not yet returned
	eof  bool   // the client has half-closed
}

// Name is the connection's name in the transcript.
func (c *ServerConn) Name() string { return c.name }

// Write sends p to the client.
func (c *ServerConn) Write(p []byte) error {
	c.nc.SetWriteDeadline(time.Now().Add(scriptedWriteTimeout))
	n, err := c.nc.Write(p)
	if n > 0 {
		c.tr.received(c.name, p[:n])
	}
	if err != nil {
		return fmt.Errorf("the server could write only %d of %d bytes to the client: %w", n, len(p), err)
	}
	return nil
}

// WritePieces sends pieces one write each, pausing between them: on any
// network the client may then read them in as many reads.
func (c *ServerConn) WritePieces(pause time.Duration, pieces ...[]byte) error {
	for i, p := range pieces {
		if i > 0 {
			if err := c.Pause(pause); err != nil {
				return err
			}
		}
		if err := c.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// Pause keeps the server silent for d: part of the script, not a wait for
// the client. It ends early, with an error, when the server is closed.
func (c *ServerConn) Pause(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-c.ctx.Done():
		return c.ctx.Err()
	}
}

// ReadUntil reads from the client until what it sent contains delim, and
// returns it up to and including delim; the rest is kept for the next
// read. It gives up after within, or at limit bytes, or at the client's
// EOF, returning what it has with an error: an *Error of kind TimedOut,
// or io.EOF.
func (c *ServerConn) ReadUntil(delim []byte, limit int, within time.Duration) ([]byte, error) {
	deadline := time.Now().Add(within)
	for {
		if i := bytes.Index(c.buf, delim); i >= 0 {
			out := c.buf[:i+len(delim)]
			c.buf = c.buf[i+len(delim):]
			return out, nil
		}
		if len(c.buf) >= limit {
			return c.take(), Errorf(Violation, "the client sent %d bytes without %s", len(c.buf), Quote(delim))
		}
		if err := c.fill(deadline); err != nil {
			return c.take(), quietFor(err, within)
		}
	}
}

// ReadToEOF reads from the client until it half-closes, or until within
// has passed or limit bytes have come (then with an error).
func (c *ServerConn) ReadToEOF(limit int, within time.Duration) ([]byte, error) {
	deadline := time.Now().Add(within)
	for len(c.buf) < limit {
		if err := c.fill(deadline); err != nil {
			if errors.Is(err, io.EOF) {
				return c.take(), nil
			}
			return c.take(), quietFor(err, within)
		}
	}
	return c.take(), Errorf(Violation, "the client sent more than %d bytes", limit)
}

// Read returns what the client has sent that was not read yet, waiting up
// to within for some when there is none; io.EOF once it has half-closed.
func (c *ServerConn) Read(within time.Duration) ([]byte, error) {
	if len(c.buf) == 0 {
		if err := c.fill(time.Now().Add(within)); err != nil {
			return nil, quietFor(err, within)
		}
	}
	return c.take(), nil
}

func (c *ServerConn) take() []byte {
	out := c.buf
	c.buf = nil
	return out
}

// fill reads once more from the client, before deadline.
func (c *ServerConn) fill(deadline time.Time) error {
	if c.eof {
		return io.EOF
	}
	if c.ctx.Err() != nil {
		return c.ctx.Err()
	}
	c.nc.SetReadDeadline(deadline)
	p := make([]byte, 64<<10)
	n, err := c.nc.Read(p)
	if n > 0 {
		c.tr.sent(c.name, p[:n])
		c.buf = append(c.buf, p[:n]...)
		return nil
	}
	switch {
	case errors.Is(err, io.EOF):
		c.eof = true
		c.tr.mark(c.name, HalfCloseEvent, ClientSide, "client half-closed its side (FIN)")
		return io.EOF
	case isTimeout(err):
		return errQuiet
	default:
		if errors.Is(err, syscall.ECONNRESET) {
			c.tr.mark(c.name, ResetEvent, ClientSide, "client reset the connection (RST)")
		} else {
			c.tr.Note(c.name, "read failed: %v", err)
		}
		return err
	}
}

// ClientClosed reports whether the client has half-closed its side.
func (c *ServerConn) ClientClosed() bool { return c.eof }

// CloseWrite ends the server's side of the stream: the client reads EOF.
func (c *ServerConn) CloseWrite() error {
	c.tr.mark(c.name, CloseEvent, ServerSide, "server closed its side (the client reads EOF)")
	return c.nc.CloseWrite()
}

// Close closes the connection.
func (c *ServerConn) Close() error { return c.nc.Close() }

// Reset aborts the connection: the client's next read fails with
// ECONNRESET.
func (c *ServerConn) Reset() error {
	c.tr.mark(c.name, ResetEvent, ServerSide, "server reset the connection (RST)")
	c.nc.SetLinger(0)
	return c.nc.Close()
}

// errQuiet is fill's error when the client sent nothing before the
// deadline; the read functions say how long they waited.
var errQuiet = errors.New("nothing more from the client")

func quietFor(err error, within time.Duration) error {
	if err == errQuiet {
		return Errorf(TimedOut, "the client sent nothing more within %v", within)
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// A ScriptedUDPServer is a ScriptedServer for datagrams: a UDP socket on a
// free port of 127.0.0.1 whose script receives and sends datagrams, and a
// second socket, the stranger, on another port, for answers that do not
// come from the server.
type ScriptedUDPServer struct {
	pc, stranger net.PacketConn
	tr           *Transcript
	done         chan struct{}
	err          error
	closed       chan struct{} // closed by Close: pauses end
	closeOnce    sync.Once
}

// NewScriptedUDPServer starts script in a goroutine of its own, recording
// into tr. Close it when the check is done.
func NewScriptedUDPServer(tr *Transcript, script func(s *ScriptedUDPServer) error) (*ScriptedUDPServer, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	stranger, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		pc.Close()
		return nil, err
	}
	s := &ScriptedUDPServer{pc: pc, stranger: stranger, tr: tr, done: make(chan struct{}), closed: make(chan struct{})}
	go func() {
		defer close(s.done)
		s.err = script(s)
	}()
	return s, nil
}

// Addr is the server's address, host:port.
func (s *ScriptedUDPServer) Addr() string { return s.pc.LocalAddr().String() }

// Receive waits up to within for a datagram to the server.
func (s *ScriptedUDPServer) Receive(within time.Duration) ([]byte, net.Addr, error) {
	s.pc.SetReadDeadline(time.Now().Add(within))
	p := make([]byte, 64<<10)
	n, from, err := s.pc.ReadFrom(p)
	if err != nil {
		if isTimeout(err) {
			return nil, nil, Errorf(TimedOut, "no datagram came from the client within %v", within)
		}
		return nil, nil, err
	}
	s.tr.sent("client", p[:n])
	return p[:n], from, nil
}

// Send sends p to addr from the server's address.
func (s *ScriptedUDPServer) Send(p []byte, to net.Addr) error {
	s.tr.received("client", p)
	_, err := s.pc.WriteTo(p, to)
	return err
}

// SendFromStranger sends p to addr from another port than the server's,
// as any host on the network could.
func (s *ScriptedUDPServer) SendFromStranger(p []byte, to net.Addr) error {
	s.tr.Note("client", "a stranger at %s (not the server) sends the next datagram", s.stranger.LocalAddr())
	s.tr.received("client", p)
	_, err := s.stranger.WriteTo(p, to)
	return err
}

// Err waits for the script to end (Close ends its waits) and returns its error.
func (s *ScriptedUDPServer) Err() error {
	<-s.done
	return s.err
}

// Pause keeps the server silent for d, as ServerConn.Pause does: part of
// the script. It ends early, with an error, when the server is closed.
func (s *ScriptedUDPServer) Pause(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.closed:
		return net.ErrClosed
	}
}

// Close closes both sockets and waits for the script to return.
func (s *ScriptedUDPServer) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	s.pc.Close()
	s.stranger.Close()
	<-s.done
}

// Hangup ends the conversation the way a careful server does: it shuts
// down its side (the client reads EOF), then reads and discards what the
// client still sends until the client closes, at most within, so that
// closing cannot reset the connection under data the client has not read.
func (c *ServerConn) Hangup(within time.Duration) error {
	if err := c.CloseWrite(); err != nil {
		return err
	}
	_, err := c.ReadToEOF(1<<20, within)
	return err
}

// ReadFull reads from the client until n bytes have come, or it
// half-closes, or within has passed, and returns what came (at most n
// bytes; the rest is kept for the next read).
func (c *ServerConn) ReadFull(n int, within time.Duration) ([]byte, error) {
	deadline := time.Now().Add(within)
	for len(c.buf) < n {
		if err := c.fill(deadline); err != nil {
			return c.take(), quietFor(err, within)
		}
	}
	out := c.buf[:n]
	c.buf = c.buf[n:]
	return out, nil
}

// SetBuffers makes the connection's socket buffers small, so that a client
// that does not read soon blocks the server's writes, as over a slow link.
func (c *ServerConn) SetBuffers(bytes int) {
	c.nc.SetReadBuffer(bytes)
	c.nc.SetWriteBuffer(bytes)
}
