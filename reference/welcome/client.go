package welcome

import (
	"context"
	"io"

	"github.com/socketspec/conformance/reference/clientio"
)

// Client is the reference welcome client (specs/welcome-client.md):
// welcome-client HOST PORT prints every byte the server sends until it
// closes, and exits 0 then.
func Client(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	const name = "welcome-client"
	conn, addr, status := clientio.Connect(ctx, name, "tcp", args, stderr)
	if conn == nil {
		return status
	}
	defer conn.Close()
	// The banner may come in any number of pieces: copy them all, as
	// bytes, until the server's EOF.
	if _, err := io.Copy(stdout, clientio.IdleReader{Conn: conn}); err != nil {
		return clientio.Failf(stderr, name, "%s: %s", addr, clientio.Why(err))
	}
	return 0
}
