package echo

import (
	"context"
	"io"
	"net"
	"time"

	"github.com/socketspec/conformance/reference/clientio"
)

// Client is the reference echo client (specs/echo-client.md): echo-client
// HOST PORT copies stdin to the server and what the server sends to
// stdout, at the same time; at the end of stdin it half-closes, and it
// exits 0 at the server's EOF.
func Client(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const name = "echo-client"
	conn, addr, status := clientio.Connect(ctx, name, "tcp", args, stderr)
	if conn == nil {
		return status
	}
	defer conn.Close()

	// Writing and reading at once: a client that wrote all of its input
	// first would deadlock with a server that echoes as it reads, once
	// the socket buffers in both directions are full.
	var sent clientio.SendError
	go func() {
		if _, err := io.Copy(conn, stdin); err != nil {
			sent.Set(err) // the reading side reports it
			return
		}
		// The server learns that we are done only from our half-close;
		// from then on, it has clientio.IdleTimeout to finish.
		conn.(*net.TCPConn).CloseWrite()
		conn.SetReadDeadline(time.Now().Add(clientio.IdleTimeout))
	}()
	_, err := io.Copy(stdout, conn)
	if err == nil {
		err = sent.Broken() // a reset our write took: an EOF here is none
	}
	if err != nil {
		return clientio.Failf(stderr, name, "%s: %s", addr, clientio.Why(err))
	}
	return 0
}
