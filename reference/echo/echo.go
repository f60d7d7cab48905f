// Package echo is the reference TCP echo server (RFC 862): every byte a
// client sends comes back unchanged, as soon as it arrives.
package echo

import (
	"context"
	"net"
	"time"

	"github.com/socketspec/conformance/reference/serve"
)

// IdleTimeout closes a connection on which nothing has been received for
// this long, and bounds how long a client may refuse to read its echo.
const IdleTimeout = 5 * time.Minute

// Serve runs the echo server on ln until ctx is cancelled.
func Serve(ctx context.Context, ln net.Listener) error {
	return serve.TCP(ctx, ln, handle)
}

func handle(_ context.Context, c net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		c.SetReadDeadline(time.Now().Add(IdleTimeout))
		n, err := c.Read(buf)
		if n > 0 {
			// Write what arrived right away: an echo server does not wait
			// for a newline or a full buffer.
			c.SetWriteDeadline(time.Now().Add(IdleTimeout))
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			// EOF is the client's half-close: everything it sent has been
			// echoed by now, so closing (on return) ends our side too.
			return
		}
	}
}
