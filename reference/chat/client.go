package chat

import (
	"bufio"
	"context"
	"io"
	"sync/atomic"

	"github.com/socketspec/conformance/reference/clientio"
)

// Client is the reference chat client (specs/chat-client.md): chat-client
// HOST PORT sends each line of stdin as soon as it is read, and prints what
// the room sends as it comes, whatever stdin is doing. It leaves (closes
// the connection, exits 0) at the end of stdin, or when the room closes.
func Client(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const name = "chat-client"
	conn, addr, status := clientio.Connect(ctx, name, "tcp", args, stderr)
	if conn == nil {
		return status
	}
	defer conn.Close()

	// The user's side, in a goroutine of its own: reading stdin blocks for
	// as long as the user is idle, and the room must be shown meanwhile.
	var left atomic.Bool
	go func() {
		lines := bufio.NewReader(stdin)
		for {
			line, err := lines.ReadBytes('\n')
			if len(line) > 0 {
				if _, err := conn.Write(line); err != nil {
					return // the room's side sees what went wrong
				}
			}
			if err != nil {
				left.Store(true)
				conn.Close() // the user leaves: the room's side ends too
				return
			}
		}
	}()
	if _, err := io.Copy(stdout, conn); err != nil && !left.Load() {
		return clientio.Failf(stderr, name, "%s: %s", addr, clientio.Why(err))
	}
	return 0
}
