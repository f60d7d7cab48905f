package echoudp

import (
	"context"
	"io"
	"net"
	"time"

	"github.com/socketspec/conformance/reference/clientio"
)

// MaxDatagram is the most a client sends in one datagram: the largest UDP
// payload over IPv4.
const MaxDatagram = 65507

// Client is the reference UDP echo client (specs/echo-udp-client.md):
// echo-udp-client HOST PORT sends stdin as one datagram and prints the
// datagram that comes back from the server's address and port.
func Client(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const name = "echo-udp-client"
	if len(args) != 2 {
		return clientio.Failf(stderr, name, "usage: %s HOST PORT", name)
	}
	addr := net.JoinHostPort(args[0], args[1])
	msg, err := io.ReadAll(io.LimitReader(stdin, MaxDatagram+1))
	switch {
	case err != nil:
		return clientio.Failf(stderr, name, "reading stdin: %v", err)
	case len(msg) > MaxDatagram:
		return clientio.Failf(stderr, name, "stdin holds more than %d bytes, more than one datagram", MaxDatagram)
	}
	// A connected UDP socket: the kernel delivers only datagrams from
	// the server's address and port, and reports a port where nothing
	// listens (ICMP port unreachable) as a refused read.
	conn, err := clientio.Dial(ctx, "udp", addr)
	if err != nil {
		return clientio.Failf(stderr, name, "%s: %s", addr, clientio.Why(err))
	}
	defer conn.Close()
	if _, err := conn.Write(msg); err != nil {
		return clientio.Failf(stderr, name, "sending to %s: %s", addr, clientio.Why(err))
	}
	conn.SetReadDeadline(time.Now().Add(clientio.IdleTimeout))
	answer := make([]byte, 65535)
	n, err := conn.Read(answer)
	if err != nil {
		return clientio.Failf(stderr, name, "%s: %s", addr, clientio.Why(err))
	}
	if _, err := stdout.Write(answer[:n]); err != nil {
		return clientio.Failf(stderr, name, "writing stdout: %v", err)
	}
	return 0
}
