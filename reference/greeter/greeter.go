// Package greeter is the reference greeting server: "Welcome!" on connect,
// then "Hello, NAME!" for each line NAME, until the client sends "exit".
package greeter

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"time"

	"github.com/socketspec/conformance/reference/serve"
)

const (
	// MaxLine is the longest name answered; a longer line ends the connection.
	MaxLine = 4096
	// IdleTimeout closes a connection on which no line has arrived for this long.
	IdleTimeout = 5 * time.Minute
)

// Serve runs the greeter on ln until ctx is cancelled.
func Serve(ctx context.Context, ln net.Listener) error {
	return serve.TCP(ctx, ln, handle)
}

func handle(_ context.Context, c net.Conn) {
	c.SetWriteDeadline(time.Now().Add(IdleTimeout))
	if _, err := c.Write([]byte("Welcome!\n")); err != nil {
		return
	}
	// A bufio.Reader finds line ends across reads: a name may arrive in
	// pieces, or several names in one read.
	in := bufio.NewReaderSize(c, MaxLine+2)
	for {
		c.SetReadDeadline(time.Now().Add(IdleTimeout))
		line, err := in.ReadSlice('\n')
		if err != nil {
			return // EOF, idle, or a line over MaxLine: close
		}
		name := bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
		if string(name) == "exit" {
			return
		}
		c.SetWriteDeadline(time.Now().Add(IdleTimeout))
		if _, err := c.Write(append(append([]byte("Hello, "), name...), "!\n"...)); err != nil {
			return
		}
	}
}
