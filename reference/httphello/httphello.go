// Package httphello is the reference HTTP hello server: GET / answers a
// small HTML page, everything else 404 (specs/http-hello.md).
//
// It speaks HTTP/1.1 itself, in one short loop per connection, rather than
// through net/http's server: that server writes its own 400 and 431
// answers, and without the Date field RFC 9110 requires of them. Here
// every answer, the refusals included, is written by respond.
package httphello

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/socketspec/conformance/reference/serve"
)

// Page is the body of GET / (104 bytes, no trailing newline).
const Page = `<!DOCTYPE html><html><head><title>Hello, World!</title></head><body><h1>Hello, World!</h1></body></html>`

const (
	// MaxHeaderBytes caps a request's header block, however it is made
	// up (many short fields or a few large ones); beyond it the client
	// gets 431.
	MaxHeaderBytes = 16 << 10
	// RequestTimeout is how long a client has to send each request; a
	// connection idle that long between requests is closed too.
	RequestTimeout = 10 * time.Second
	// Linger bounds how long we read and discard what a client still
	// sends after our last response, so that our close is a FIN and not
	// a reset that could destroy that response.
	Linger = 2 * time.Second
)

// Serve runs the HTTP hello server on ln until ctx is cancelled.
func Serve(ctx context.Context, ln net.Listener) error {
	return serve.TCP(ctx, ln, handle)
}

// handle answers the requests of one connection, in order, until one of
// them (or its answer) closes it.
func handle(_ context.Context, c net.Conn) {
	// TCP delivers bytes, not requests: a read may hold half a request or
	// two. The buffer keeps what follows a request for the next one, and
	// its size bounds a line.
	in := bufio.NewReaderSize(c, MaxHeaderBytes)
	for {
		c.SetReadDeadline(time.Now().Add(RequestTimeout))
		lines, err := readHead(in)
		var req *request
		switch {
		case errors.Is(err, errTooLarge):
			req = refuse(http.StatusRequestHeaderFieldsTooLarge)
		case err != nil:
			return // closed, reset or silent: no request to answer
		default:
			req = parse(lines)
		}
		c.SetWriteDeadline(time.Now().Add(RequestTimeout))
		if _, err := c.Write(respond(req)); err != nil {
			return
		}
		// What follows the request is the next one, once its body (which
		// we do not need) has been skipped.
		if req.close || discard(in, req.bodyLen) != nil {
			linger(c)
			return
		}
	}
}

var errTooLarge = errors.New("header block too large")

// readHead reads a request's header block: its lines without their ends
// (a bare LF ends a line too, as RFC 9112 §2.2 lets a recipient read),
// up to the empty line. Empty lines before the request line are skipped.
func readHead(in *bufio.Reader) ([]string, error) {
	var lines []string
	size := 0
	for {
		line, err := in.ReadSlice('\n')
		size += len(line)
		switch {
		case errors.Is(err, bufio.ErrBufferFull) || size > MaxHeaderBytes:
			return nil, errTooLarge
		case err != nil:
			return nil, err
		}
		text := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
		switch {
		case text != "":
			lines = append(lines, text)
		case len(lines) > 0:
			return lines, nil
		}
	}
}

// A request is what the answer depends on.
type request struct {
	status  int   // the answer: 200, 404, 400...
	head    bool  // HEAD: the answer has no body
	http10  bool  // HTTP/1.0: keep-alive only if asked for
	close   bool  // the connection ends after the answer
	bodyLen int64 // bytes of body to skip before the next request
}

var (
	// token is RFC 9110 §5.6.2's: a method, a field name.
	token = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	// version is HTTP-version (RFC 9112 §2.3).
	version = regexp.MustCompile(`^HTTP/[0-9]\.[0-9]$`)
	// digits is a Content-Length we accept: 1*DIGIT, at most 15 of them.
	digits = regexp.MustCompile(`^[0-9]{1,15}$`)
)

// refuse is the answer to a request we do not serve: an error status, and
// the connection closes after it, since we cannot trust that the request
// ends where we think.
func refuse(status int) *request { return &request{status: status, close: true} }

// parse reads a request line and its field lines, and decides the answer.
func parse(lines []string) *request {
	// method SP request-target SP HTTP-version (RFC 9112 §3)
	parts := strings.Split(lines[0], " ")
	if len(parts) != 3 || !token.MatchString(parts[0]) || !version.MatchString(parts[2]) {
		return refuse(http.StatusBadRequest)
	}
	method, target, proto := parts[0], parts[1], parts[2]
	if proto[5] != '1' {
		return refuse(http.StatusHTTPVersionNotSupported)
	}
	r := &request{head: method == "HEAD", http10: proto == "HTTP/1.0"}

	// field-name ":" OWS field-value OWS (RFC 9112 §5): a name with
	// whitespace before its colon, or a folded line, is not a token.
	hosts, lengths, connection := 0, map[string]bool{}, ""
	for _, line := range lines[1:] {
		name, value, ok := strings.Cut(line, ":")
		value = strings.Trim(value, " \t")
		if !ok || !token.MatchString(name) || strings.ContainsFunc(value, isCTL) {
			return refuse(http.StatusBadRequest)
		}
		switch strings.ToLower(name) {
		case "host":
			hosts++
		case "content-length":
			lengths[value] = true
		case "transfer-encoding":
			// Like the Python and C servers, this one reads no chunked
			// request body (a general HTTP/1.1 server MUST, RFC 9112
			// §7.1), so it cannot find where the next request starts: it
			// declines with 501, and closes.
			return refuse(http.StatusNotImplemented)
		case "connection":
			connection += "," + strings.ToLower(value)
		}
	}
	// RFC 9112 §3.2: HTTP/1.1 needs exactly one Host; nobody may send two.
	if hosts > 1 || hosts == 0 && !r.http10 {
		return refuse(http.StatusBadRequest)
	}
	// RFC 9112 §6.3: the body's length must be certain, one number.
	for l := range lengths {
		if len(lengths) > 1 || !digits.MatchString(l) {
			return refuse(http.StatusBadRequest)
		}
		r.bodyLen, _ = strconv.ParseInt(l, 10, 64)
	}
	// HTTP/1.1 connections persist unless "close"; HTTP/1.0 ones close
	// unless "keep-alive" (RFC 9112 §9.3).
	tokens := strings.Split(connection, ",")
	r.close = has(tokens, "close") || r.http10 && !has(tokens, "keep-alive")

	// The target: "/" with any query, also in absolute form
	// ("http://localhost/?q", RFC 9112 §3.2.2).
	u, err := url.ParseRequestURI(target)
	switch {
	case err != nil:
		return refuse(http.StatusBadRequest)
	case method != "GET" && method != "HEAD":
		r.status = http.StatusMethodNotAllowed
	case u.Path == "/" || u.Path == "" && u.Host != "":
		r.status = http.StatusOK
	default:
		r.status = http.StatusNotFound
	}
	return r
}

// respond is the answer to r: the page for 200, a line of text otherwise.
func respond(r *request) []byte {
	body, contentType := Page, "text/html; charset=utf-8"
	if r.status != http.StatusOK {
		body, contentType = fmt.Sprintf("%d %s\n", r.status, http.StatusText(r.status)), "text/plain; charset=utf-8"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", r.status, http.StatusText(r.status))
	// Required of every 2xx, 3xx and 4xx answer (RFC 9110 §6.6.1).
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().UTC().Format(http.TimeFormat))
	fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	// Also for HEAD: the length GET would get (RFC 9110 §9.3.2).
	fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	if r.status == http.StatusMethodNotAllowed {
		b.WriteString("Allow: GET, HEAD\r\n")
	}
	switch {
	case r.close:
		b.WriteString("Connection: close\r\n")
	case r.http10:
		b.WriteString("Connection: keep-alive\r\n") // HTTP/1.0 asked for it
	}
	b.WriteString("\r\n")
	if !r.head {
		b.WriteString(body)
	}
	return b.Bytes()
}

// discard skips n bytes of request body.
func discard(in *bufio.Reader, n int64) error {
	_, err := io.CopyN(io.Discard, in, n)
	return err
}

// linger ends the connection gently: our FIN first, then whatever the
// client still sends is read and thrown away (for at most Linger), so
// that closing with unread data does not reset the connection and destroy
// the answer before the client has read it (RFC 9112 §9.6).
func linger(c net.Conn) {
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
	}
	c.SetReadDeadline(time.Now().Add(Linger))
	io.Copy(io.Discard, c)
}

func isCTL(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }

// has reports whether the comma-separated list (lower-cased) names t.
func has(list []string, t string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.TrimSpace(x) == t })
}
