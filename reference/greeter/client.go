package greeter

import (
	"bufio"
	"context"
	"io"

	"github.com/socketspec/conformance/reference/clientio"
)

// Client is the reference greeting client (specs/greeter-client.md):
// greeter-client HOST PORT sends each line of stdin as a name, and "exit"
// at its end, while it prints everything the server sends; it exits 0 at
// the server's EOF.
func Client(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const name = "greeter-client"
	conn, addr, status := clientio.Connect(ctx, name, "tcp", args, stderr)
	if conn == nil {
		return status
	}
	defer conn.Close()

	// Sending and printing are independent: the welcome and the
	// greetings may come in any number of pieces, at any time.
	var sent clientio.SendError
	go func() {
		names := bufio.NewReader(stdin)
		for {
			line, err := names.ReadBytes('\n')
			if len(line) > 0 {
				if line[len(line)-1] != '\n' {
					line = append(line, '\n') // a last name without its line end
				}
				if _, err := conn.Write(line); err != nil {
					sent.Set(err) // the printing side reports it
					return
				}
			}
			if err != nil {
				break
			}
		}
		conn.Write([]byte("exit\n"))
	}()
	_, err := io.Copy(stdout, clientio.IdleReader{Conn: conn})
	if err == nil {
		err = sent.Broken() // a reset our write took: an EOF here is none
	}
	if err != nil {
		return clientio.Failf(stderr, name, "%s: %s", addr, clientio.Why(err))
	}
	return 0
}
