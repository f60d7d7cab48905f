package greeterudp

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"time"

	"github.com/socketspec/conformance/reference/clientio"
)

// Client is the reference UDP greeting client
// (specs/greeter-udp-client.md): greeter-udp-client HOST PORT sends each
// line of stdin as a datagram and prints each answer on a line of its own.
func Client(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const name = "greeter-udp-client"
	// A connected UDP socket: the kernel delivers only datagrams from the
	// server's address and port.
	conn, addr, status := clientio.Connect(ctx, name, "udp", args, stderr)
	if conn == nil {
		return status
	}
	defer conn.Close()
	names := bufio.NewReader(stdin)
	answer := make([]byte, 65535)
	for {
		line, err := names.ReadBytes('\n')
		if len(line) > 0 {
			who := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
			if _, err := conn.Write(who); err != nil {
				return clientio.Failf(stderr, name, "sending %q to %s: %s", who, addr, clientio.Why(err))
			}
			conn.SetReadDeadline(time.Now().Add(clientio.IdleTimeout))
			n, err := conn.Read(answer)
			if err != nil {
				return clientio.Failf(stderr, name, "no answer to %q from %s: %s", who, addr, clientio.Why(err))
			}
			stdout.Write(append(answer[:n:n], '\n'))
		}
		if err != nil {
			return 0
		}
	}
}
