package httphello

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/socketspec/conformance/reference/clientio"
)

// Client is the reference HTTP client (specs/http-hello-client.md):
// http-client URL sends one GET for the URL and prints the body of a 2xx
// response; it knows where the body ends from the response itself
// (Content-Length, chunked coding, or the close), so a server that keeps
// the connection open does not keep it waiting.
func Client(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	const name = "http-client"
	u, addr, status := clientio.URL(name, args, stderr)
	if u == nil {
		return status
	}
	conn, err := clientio.Dial(ctx, "tcp", addr)
	if err != nil {
		return clientio.Failf(stderr, name, "cannot connect to %s: %s", addr, clientio.Why(err))
	}
	defer conn.Close()

	// One request, written by hand to show its bytes: CRLF line ends,
	// and Host as the URL gives it, port included (RFC 9110 section 7.2).
	request := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: socketspec-reference\r\nConnection: close\r\n\r\n", u.RequestURI(), u.Host)
	if _, err := io.WriteString(conn, request); err != nil {
		return clientio.Failf(stderr, name, "sending the request to %s: %s", addr, clientio.Why(err))
	}
	// net/http reads the response as RFC 9112 says: the body is framed
	// by Content-Length, the chunked coding, or the close, in that order.
	resp, err := http.ReadResponse(bufio.NewReader(clientio.IdleReader{Conn: conn}), &http.Request{Method: http.MethodGet})
	if err != nil {
		return clientio.Failf(stderr, name, "reading the response from %s: %s", addr, clientio.Why(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return clientio.Failf(stderr, name, "GET %s: the server answered %s", u, resp.Status)
	}
	if _, err := io.Copy(stdout, resp.Body); err != nil {
		return clientio.Failf(stderr, name, "reading the body from %s: %s", addr, clientio.Why(err))
	}
	return 0
}
