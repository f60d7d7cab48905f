// Package clientio holds what the Go reference clients share: connecting
// with a bound, reading with an idle timeout, and failing with one line on
// stderr. Each client is a function with the shape of a main (see
// suite.ClientMain), so that the specs can run it in their own process.
// The faulty clients of fixtures/faulty, each a reference client with one
// fault, use it too.
package clientio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// ConnectTimeout bounds connecting: the client documents allow 5 s
	// before a client must have given up on an address.
	ConnectTimeout = 4 * time.Second
	// IdleTimeout is how long a client waits for the server to say
	// something before it gives up (5 s in the documents).
	IdleTimeout = 4 * time.Second
)

// Failf writes "NAME: MESSAGE" to stderr and returns exit status 1.
func Failf(stderr io.Writer, name, format string, args ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n", name, fmt.Sprintf(format, args...))
	return 1
}

// Dial connects to addr over network within ConnectTimeout. The
// connection is closed when ctx ends, which ends any read or write on it.
func Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: ConnectTimeout}
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { conn.Close() })
	return conn, nil
}

// Why says in a few words what a network error means to the user.
func Why(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (nothing listens there)"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the server"
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("no answer within %v", IdleTimeout)
	}
	return err.Error()
}

// IdleReader reads from conn, failing a read that waits more than
// IdleTimeout for data: a server that stops talking ends the client.
type IdleReader struct{ Conn net.Conn }

func (r IdleReader) Read(p []byte) (int, error) {
	r.Conn.SetReadDeadline(time.Now().Add(IdleTimeout))
	return r.Conn.Read(p)
}

// URL reads an HTTP client's URL argument: the URL, and the address to
// connect to (port 80 when the URL names none). On failure it has said why
// on stderr, as NAME: ..., and returns a nil URL and the exit status to
// end with.
func URL(name string, args []string, stderr io.Writer) (u *url.URL, addr string, status int) {
	if len(args) != 1 {
		return nil, "", Failf(stderr, name, "usage: %s http://HOST:PORT/PATH", name)
	}
	u, err := url.Parse(args[0])
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, "", Failf(stderr, name, "%q is not an http:// URL", args[0])
	}
	addr = u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return u, addr, 0
}

// Connect reads a client's HOST PORT arguments and connects to them over
// network. On failure it has said why on stderr, as NAME: ..., and returns
// the exit status to end with.
func Connect(ctx context.Context, name, network string, args []string, stderr io.Writer) (conn net.Conn, addr string, status int) {
	if len(args) != 2 {
		return nil, "", Failf(stderr, name, "usage: %s HOST PORT", name)
	}
	addr = net.JoinHostPort(args[0], args[1])
	conn, err := Dial(ctx, network, addr)
	if err != nil {
		return nil, addr, Failf(stderr, name, "cannot connect to %s: %s", addr, Why(err))
	}
	return conn, addr, 0
}

// A SendError keeps what ended a client's sending side, for its
// receiving side. When the server resets the connection, the kernel
// reports the reset once, to whichever call on the socket comes first: a
// write of the sending goroutine may take it, and the reader then reads a
// plain end of stream. The reader asks Broken before taking an EOF for
// the server's orderly close.
type SendError struct{ err atomic.Pointer[error] }

// Set records the error that ended the sending side.
func (s *SendError) Set(err error) { s.err.Store(&err) }

// Broken returns the recorded error if it says the connection was reset
// (or the pipe broken by a reset), and nil otherwise.
func (s *SendError) Broken() error {
	p := s.err.Load()
	if p == nil {
		return nil
	}
	if errors.Is(*p, syscall.ECONNRESET) || errors.Is(*p, syscall.EPIPE) {
		return *p
	}
	return nil
}
