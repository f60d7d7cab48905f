// Package welcome is the reference welcome server: it greets each client
// with a one-line banner and closes the connection.
package welcome

import (
	"context"
	"io"
	"net"
	"time"

	"github.com/socketspec/conformance/reference/serve"
)

// Banner is what every client receives, at once, before anything else.
const Banner = "Hello, welcome to the server!\n"

// DrainTimeout bounds how long the server waits for the client to close
// after the banner, reading and discarding what the client sent.
const DrainTimeout = 2 * time.Second

// Serve runs the welcome server on ln until ctx is cancelled.
func Serve(ctx context.Context, ln net.Listener) error {
	return serve.TCP(ctx, ln, handle)
}

func handle(_ context.Context, c net.Conn) {
	c.SetWriteDeadline(time.Now().Add(DrainTimeout))
	if _, err := io.WriteString(c, Banner); err != nil {
		return
	}
	// Send our FIN now, then read until the client closes. Closing a
	// socket with unread input makes the kernel send RST instead of FIN,
	// and an RST may destroy the banner before the client has read it.
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(DrainTimeout))
	io.Copy(io.Discard, io.LimitReader(c, 1<<20))
}
