package specs

import (
	"bytes"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/socketspec/conformance/suite"
)

// The HTTP client specs, one DescribeClause per clause of
// http-hello-client.md. The check's server plays an HTTP server; the
// client fetches helloPath from it.
var _ = Protocol("http-hello-client", func() {
	DescribeClause("http-hello-client-1", func() {
		CheckClient("sends one well-formed GET for the URL, with Host and its port", func(ctx SpecContext, s *ClientSession) {
			var request []byte
			srv := s.Serve(func(c *suite.ServerConn) error {
				request = readRequest(c)
				return respond(c, okResponse(len(body)), body)
			})
			s.RunURL(ctx, helloURL(srv))
			srv.Close() // the script is done with request
			if why := badRequest(request, helloPath, srv.Addr()); why != "" {
				s.Failf(suite.Violation, "the client's request %s: %s", suite.Quote(request), why)
			}
		})
	})

	DescribeClause("http-hello-client-2", func() {
		CheckClient("prints exactly the body framed by Content-Length, and exits 0 while the connection stays open", func(ctx SpecContext, s *ClientSession) {
			sent := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				readRequest(c)
				// The head in pieces, one piece ending in the middle of
				// the status line, then the body; the connection stays
				// open (HTTP/1.1 keep-alive) until the client goes.
				head := okResponse(len(page))
				if err := c.WritePieces(piecePause, head[:7], head[7:30], head[30:]); err != nil {
					return err
				}
				if err := c.WritePieces(piecePause, body[:50], body[50:]); err != nil {
					return err
				}
				stamp(sent)
				c.Pause(clientRunTimeout) // open until the check ends
				return nil
			})
			run := s.RunURL(ctx, helloURL(srv))
			s.Expect(run).To(suite.Print(body, "the body, framed by Content-Length: 104, with the connection left open"))
			s.Expect(run).To(suite.ExitZero(2*time.Second, receivedOr(sent, run), "the body's last byte"))
		})
	})

	DescribeClause("http-hello-client-3", func() {
		CheckClient("prints a body that ends where the server closes, and exits 0", func(ctx SpecContext, s *ClientSession) {
			srv := s.Serve(func(c *suite.ServerConn) error {
				readRequest(c)
				head := "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
				if err := c.WritePieces(piecePause, []byte(head), body[:60], body[60:]); err != nil {
					return err
				}
				return c.Hangup(clientRunTimeout)
			})
			run := s.RunURL(ctx, helloURL(srv))
			s.Expect(run).To(suite.Print(body, "the body, which ended where the server closed (no Content-Length)"))
			s.Expect(run).To(suite.ExitZero(2*time.Second, run.Ended(), "the server's close"))
		})
	})

	DescribeClause("http-hello-client-4", func() {
		CheckClient("decodes a chunked body, when it asked with HTTP/1.1", func(ctx SpecContext, s *ClientSession) {
			var request []byte
			srv := s.Serve(func(c *suite.ServerConn) error {
				request = readRequest(c)
				if !bytes.Contains(firstLine(request), []byte("HTTP/1.1")) {
					// An HTTP/1.0 client is never sent chunks.
					return respond(c, okResponse(len(body)), body)
				}
				head := "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
				chunks := fmt.Sprintf("%x\r\n%s\r\n%X;note=split\r\n%s\r\n0\r\nX-Trailer: yes\r\n\r\n", 40, body[:40], len(page)-40, body[40:])
				if err := c.WritePieces(piecePause, []byte(head), []byte(chunks[:20]), []byte(chunks[20:])); err != nil {
					return err
				}
				c.Pause(clientRunTimeout) // open until the check ends
				return nil
			})
			run := s.RunURL(ctx, helloURL(srv))
			srv.Close() // the script is done with request
			if !bytes.Contains(firstLine(request), []byte("HTTP/1.1")) {
				Skip(fmt.Sprintf("the client asked with %s, not HTTP/1.1: it is never sent a chunked body", suite.Quote(firstLine(request))))
			}
			s.Expect(run).To(suite.Print(body, "the body, decoded from two chunks (one with an extension) and a trailer"))
			s.Expect(run).To(suite.ExitZero(2*time.Second, run.Ended(), "the last chunk"))
		})
	})

	DescribeClause("http-hello-client-5", func() {
		CheckClient("fails clearly on a 404, naming the status", func(ctx SpecContext, s *ClientSession) {
			notFound := []byte("<h1>Not Found</h1>")
			srv := s.Serve(func(c *suite.ServerConn) error {
				readRequest(c)
				head := fmt.Sprintf("HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n", len(notFound))
				return respond(c, []byte(head), notFound)
			})
			run := s.RunURL(ctx, helloURL(srv))
			s.Expect(run).To(suite.FailClearly(2*time.Second, run.Ended(), "a 404 response"))
			if !bytes.Contains(run.Stderr, []byte("404")) {
				s.Failf(suite.Violation, "the client's message on stderr does not name the status 404: %s", suite.Quote(run.Stderr))
			}
		})
	})

	DescribeClause("http-hello-client-6", func() {
		CheckClient("fails clearly, within 5 s, when nothing listens", func(ctx SpecContext, s *ClientSession) {
			run := s.RunURL(ctx, "http://"+s.ClosedAddr()+helloPath)
			s.expectFailedWhereNothingListens(run)
		})
	})

	DescribeClause("http-hello-client-7", func() {
		CheckClient("gives up within 5 s when the server never answers", func(ctx SpecContext, s *ClientSession) {
			connected := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				stamp(connected)
				c.Pause(clientRunTimeout) // silent, and open, until the check ends
				return nil
			})
			run := s.RunURL(ctx, helloURL(srv))
			s.Expect(run).To(suite.FailClearly(5*time.Second, connectedOr(connected, run), "the connection (the server never answered)"))
		})
	})
})

// helloPath is the path the client is sent to fetch: not "/", so that a
// client that ignores the URL's path is seen to.
const helloPath = "/hello.html"

// body is what the check's server sends: the http-hello body.
var body = []byte(page)

func helloURL(srv *suite.ScriptedServer) string { return "http://" + srv.Addr() + helloPath }

func okResponse(length int) []byte {
	return fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n", length)
}

// readRequest reads the client's request head, up to its empty line (CRLF
// or bare LF), or what came within a second: the answer comes either way,
// so that the framing clauses are judged even for a malformed request.
func readRequest(c *suite.ServerConn) []byte {
	var head []byte
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		p, err := c.Read(time.Until(deadline))
		head = append(head, p...)
		if err != nil || bytes.Contains(head, []byte("\r\n\r\n")) || bytes.Contains(head, []byte("\n\n")) {
			break
		}
	}
	return head
}

// respond sends a response, then ends the conversation.
func respond(c *suite.ServerConn, head, body []byte) error {
	if err := c.Write(append(append([]byte(nil), head...), body...)); err != nil {
		return err
	}
	return c.Hangup(clientRunTimeout)
}

func firstLine(p []byte) []byte {
	line, _, _ := bytes.Cut(p, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// requestLine is a GET request line of HTTP/1.0 or 1.1.
var requestLine = regexp.MustCompile(`^GET (\S+) HTTP/1\.[01]$`)

// badRequest says what is wrong with a request head for path at addr, or
// "" when it is well-formed (RFC 9112 section 3, RFC 9110 section 7.2).
func badRequest(head []byte, path, addr string) string {
	if len(head) == 0 {
		return "the client sent nothing within a second of connecting"
	}
	end := bytes.Index(head, []byte("\r\n\r\n"))
	if end < 0 {
		return "it does not end with an empty line after CRLF line ends (\\r\\n\\r\\n)"
	}
	lines := strings.Split(string(head[:end]), "\r\n")
	for _, l := range lines {
		if strings.Contains(l, "\n") {
			return fmt.Sprintf("the line %s ends in a bare LF: every line of a request ends in CRLF", suite.Quote([]byte(l)))
		}
	}
	m := requestLine.FindStringSubmatch(lines[0])
	switch {
	case m == nil:
		return fmt.Sprintf("the request line %s is not GET PATH HTTP/1.1 (or HTTP/1.0)", suite.Quote([]byte(lines[0])))
	case m[1] != path:
		return fmt.Sprintf("it asks for %s, and the URL's path is %s", m[1], path)
	}
	var hosts []string
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return fmt.Sprintf("the header line %s is not NAME: VALUE", suite.Quote([]byte(l)))
		}
		if strings.EqualFold(name, "Host") {
			hosts = append(hosts, strings.TrimSpace(value))
		}
	}
	_, port, _ := net.SplitHostPort(addr)
	switch {
	case len(hosts) != 1:
		return fmt.Sprintf("it has %d Host fields, and must have one", len(hosts))
	case !strings.HasSuffix(hosts[0], ":"+port):
		return fmt.Sprintf("its Host is %q, without the URL's port %s (the URL's host and port: %s)", hosts[0], port, addr)
	}
	return ""
}
