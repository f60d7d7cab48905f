package suite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Limits on what ReadResponse accepts, so that a hostile server cannot make
// the harness buffer without bound.
const (
	maxHeaderBlock = 64 << 10
	maxBody        = 1 << 20
)

// A Response is an HTTP/1.x response as it came off the wire.
type Response struct {
	StatusLine string // without the line ending, e.g. "HTTP/1.1 200 OK"
	Proto      string // "HTTP/1.1"
	StatusCode int
	Fields     []Field // header fields in the order received
	Body       []byte
	// Framing says how the body's end was found: "content-length",
	// "chunked", "close" (the server closed the connection) or "none"
	// (a response that has no body: to HEAD, 1xx, 204, 304).
	Framing string
}

// A Field is one header field line.
type Field struct{ Name, Value string }

// Values returns the values of every field with the given name, compared
// case-insensitively, in order.
func (r *Response) Values(name string) []string {
	var out []string
	for _, f := range r.Fields {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// Get returns the value of the first field with the given name.
func (r *Response) Get(name string) string {
	if v := r.Values(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Has reports whether the response has a field with the given name.
func (r *Response) Has(name string) bool { return len(r.Values(name)) > 0 }

// HasToken reports whether a comma-separated field (Connection, Allow)
// lists token, compared case-insensitively.
func (r *Response) HasToken(name, token string) bool {
	for _, v := range r.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// ReadResponse reads one response to a request with the given method. It
// fails when the server does not answer within the given time, closes or
// resets first, or sends something that is not an HTTP/1.x response.
func (c *Conn) ReadResponse(method string, within time.Duration) (*Response, error) {
	deadline := time.Now().Add(within)
	left := func() time.Duration { return max(time.Until(deadline), time.Millisecond) }
	what := "the response to " + method

	line, err := c.ReadLine(8<<10, "the status line of "+what, within)
	if err != nil {
		return nil, err
	}
	r := &Response{StatusLine: string(trimEOL(line))}
	proto, rest, _ := strings.Cut(r.StatusLine, " ")
	code, _, _ := strings.Cut(rest, " ")
	r.Proto = proto
	r.StatusCode, err = strconv.Atoi(code)
	if !strings.HasPrefix(proto, "HTTP/1.") || err != nil || len(code) != 3 {
		return nil, Errorf(Violation, "%s: %s did not start with an HTTP/1.x status line: got %s", c.name, what, Quote(line))
	}

	size := len(line)
	for {
		line, err := c.ReadLine(maxHeaderBlock, "the header fields of "+what, left())
		if err != nil {
			return nil, err
		}
		if size += len(line); size > maxHeaderBlock {
			return nil, Errorf(Violation, "%s: the header block of %s is over %d bytes", c.name, what, maxHeaderBlock)
		}
		line = trimEOL(line)
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t") {
			return nil, Errorf(Violation, "%s: malformed header field line in %s: %s", c.name, what, Quote(line))
		}
		r.Fields = append(r.Fields, Field{Name: string(name), Value: string(bytes.TrimSpace(value))})
	}

	switch {
	case method == "HEAD" || r.StatusCode/100 == 1 || r.StatusCode == 204 || r.StatusCode == 304:
		r.Framing = "none"
	case strings.Contains(strings.ToLower(r.Get("Transfer-Encoding")), "chunked"):
		r.Framing = "chunked"
		r.Body, err = c.readChunked(what, left())
	case r.Has("Content-Length"):
		r.Framing = "content-length"
		n, perr := strconv.Atoi(r.Get("Content-Length"))
		if perr != nil || n < 0 || n > maxBody {
			return nil, Errorf(Violation, "%s: unusable Content-Length %q in %s", c.name, r.Get("Content-Length"), what)
		}
		r.Body, err = c.ReadFull(n, fmt.Sprintf("the %d-byte body of %s", n, what), left())
	default:
		r.Framing = "close"
		r.Body, err = c.ReadUntilEOF(maxBody, "the body of "+what+" (no Content-Length: it ends when the server closes)", left())
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// readChunked reads a chunked body (RFC 9112 §7.1), ignoring extensions
// and trailers.
func (c *Conn) readChunked(what string, within time.Duration) ([]byte, error) {
	var body []byte
	for {
		line, err := c.ReadLine(1024, "a chunk size line of "+what, within)
		if err != nil {
			return nil, err
		}
		sizeText, _, _ := strings.Cut(string(trimEOL(line)), ";")
		n, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 32)
		if err != nil || n < 0 || len(body)+int(n) > maxBody {
			return nil, Errorf(Violation, "%s: bad chunk size line %s in %s", c.name, Quote(line), what)
		}
		if n == 0 {
			for { // trailer section, up to the empty line
				line, err := c.ReadLine(8<<10, "the end of the chunked body of "+what, within)
				if err != nil {
					return nil, err
				}
				if len(trimEOL(line)) == 0 {
					return body, nil
				}
			}
		}
		chunk, err := c.ReadFull(int(n)+2, "a chunk of "+what, within)
		if err != nil {
			return nil, err
		}
		body = append(body, chunk[:n]...)
	}
}

// ExpectQuietOrEOF is ExpectQuiet that also accepts the server closing.
func (c *Conn) ExpectQuietOrEOF(window time.Duration, why string) error {
	err := c.ExpectQuiet(window, why)
	if IsKind(err, ClosedEarly) && errors.Is(c.eof, io.EOF) {
		return nil
	}
	return err
}

func trimEOL(line []byte) []byte {
	return bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
}
