package suite

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/gomega/types"
)

// Limits on what ReadResponse accepts, so that a hostile server cannot make
// the harness buffer without bound.
const (
	maxHeaderBlock = 64 << 10
	maxBody        = 1 << 20
	// maxChunked bounds a chunked body as sent: its chunks, with their
	// size lines and extensions, and its trailer section. ParseResponse
	// needs the whole response in memory, so without it endless trailer
	// lines, or endless one-byte chunks with long extensions, would be
	// buffered without bound.
	maxChunked = 2 * maxBody
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

// errIncomplete is ParseResponse's answer when data holds only the
// beginning of a response; need says which part is missing.
type errIncomplete struct {
	need       string
	untilClose bool // the body runs until the server closes
}

func (e *errIncomplete) Error() string { return "incomplete response: waiting for " + e.need }

// ParseResponse parses the response at the start of data, to a request
// with the given method, and returns it with the number of bytes it took.
// eof says that data is all there will ever be (the server closed): a body
// with no Content-Length ends there. When data holds only the beginning of
// a response, the error is incomplete (see IsIncomplete); when it is not an
// HTTP/1.x response, the error is an *Error of kind Violation. what names
// the response in errors ("the response to GET").
//
// The conformance checks read responses with it (ReceiveResponse) and so
// does the recording proxy, from what it recorded.
func ParseResponse(data []byte, method string, eof bool, what string) (*Response, int, error) {
	pos := 0
	// line returns the next line without its end, or nil when data has no
	// complete line within max bytes.
	line := func(max int, need string) ([]byte, error) {
		i := bytes.IndexByte(data[pos:], '\n')
		if i < 0 || i >= max {
			if len(data)-pos >= max {
				return nil, Errorf(Violation, "%s: no end of line (\\n) within %d bytes", need, max)
			}
			return nil, &errIncomplete{need: need}
		}
		l := data[pos : pos+i+1]
		pos += i + 1
		return trimEOL(l), nil
	}

	status, err := line(8<<10, "the status line of "+what)
	if err != nil {
		return nil, 0, err
	}
	r := &Response{StatusLine: string(status)}
	proto, rest, _ := strings.Cut(r.StatusLine, " ")
	code, _, _ := strings.Cut(rest, " ")
	r.Proto = proto
	r.StatusCode, err = strconv.Atoi(code)
	if !strings.HasPrefix(proto, "HTTP/1.") || err != nil || len(code) != 3 {
		return nil, 0, Errorf(Violation, "%s did not start with an HTTP/1.x status line: got %s", what, Quote(data[:pos]))
	}

	for {
		field, err := line(maxHeaderBlock, "the header fields of "+what)
		if err != nil {
			return nil, 0, err
		}
		if pos > maxHeaderBlock {
			return nil, 0, Errorf(Violation, "the header block of %s is over %d bytes", what, maxHeaderBlock)
		}
		if len(field) == 0 {
			break
		}
		name, value, ok := bytes.Cut(field, []byte(":"))
		if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t") {
			return nil, 0, Errorf(Violation, "malformed header field line in %s: %s", what, Quote(field))
		}
		r.Fields = append(r.Fields, Field{Name: string(name), Value: string(bytes.TrimSpace(value))})
	}

	switch {
	case method == "HEAD" || r.StatusCode/100 == 1 || r.StatusCode == 204 || r.StatusCode == 304:
		r.Framing = "none"
	case strings.Contains(strings.ToLower(r.Get("Transfer-Encoding")), "chunked"):
		r.Framing = "chunked"
		start := pos
		tooBig := func() error {
			return Errorf(Violation, "the chunked body of %s is over %d bytes as sent (chunk size lines, extensions and trailer fields included)", what, maxChunked)
		}
		for {
			if pos-start > maxChunked {
				return nil, 0, tooBig()
			}
			sizeLine, err := line(1024, "a chunk size line of "+what)
			if err != nil {
				return nil, 0, err
			}
			sizeText, _, _ := strings.Cut(string(sizeLine), ";")
			n, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 32)
			if err != nil || n < 0 || len(r.Body)+int(n) > maxBody {
				return nil, 0, Errorf(Violation, "bad chunk size line %s in %s", Quote(sizeLine), what)
			}
			if n == 0 {
				for { // trailer section, up to the empty line
					if pos-start > maxChunked {
						return nil, 0, tooBig()
					}
					trailer, err := line(8<<10, "the end of the chunked body of "+what)
					if err != nil {
						return nil, 0, err
					}
					if len(trailer) == 0 {
						return r, pos, nil
					}
				}
			}
			if len(data)-pos < int(n)+2 {
				return nil, 0, &errIncomplete{need: "a chunk of " + what}
			}
			r.Body = append(r.Body, data[pos:pos+int(n)]...)
			pos += int(n) + 2
		}
	case r.Has("Content-Length"):
		r.Framing = "content-length"
		n, perr := strconv.Atoi(r.Get("Content-Length"))
		if perr != nil || n < 0 || n > maxBody {
			return nil, 0, Errorf(Violation, "unusable Content-Length %q in %s", r.Get("Content-Length"), what)
		}
		if len(data)-pos < n {
			return nil, 0, &errIncomplete{need: fmt.Sprintf("the %d-byte body of %s (%d bytes of it had arrived)", n, what, len(data)-pos)}
		}
		r.Body = data[pos : pos+n : pos+n]
		pos += n
	default:
		r.Framing = "close"
		if len(data)-pos > maxBody {
			return nil, 0, Errorf(UnexpectedBytes, "more than %d bytes of the body of %s without the server closing", maxBody, what)
		}
		if !eof {
			return nil, 0, &errIncomplete{need: "the body of " + what + " (no Content-Length: it ends when the server closes)", untilClose: true}
		}
		r.Body = data[pos:len(data):len(data)]
		pos = len(data)
	}
	return r, pos, nil
}

// IsIncomplete reports whether ParseResponse's error means that more data
// is needed.
func IsIncomplete(err error) bool {
	var e *errIncomplete
	return errors.As(err, &e)
}

// ReceiveResponse succeeds once a whole response to a request with the
// given method has arrived; it consumes the response and stores it in
// *resp. It fails on anything that is not an HTTP/1.x response, on the
// server closing or resetting before the response is complete, and, when
// the time is up, says which part of the response it was still waiting for.
func ReceiveResponse(method string, resp **Response) types.GomegaMatcher {
	return &responseMatcher{wire: newWire("the response to " + method), method: method, resp: resp}
}

type responseMatcher struct {
	wire
	method string
	resp   **Response
}

func (m *responseMatcher) Match(actual any) (bool, error) {
	c, ok := actual.(*Conn)
	if !ok {
		return false, notAConn(actual)
	}
	if matched, done := m.poll(); done {
		return matched, nil
	}
	// Read before parsing only when the buffer cannot hold a response yet.
	r, n, err := ParseResponse(c.buf, m.method, c.closedByServer(), m.what)
	for start := time.Now(); IsIncomplete(err) && c.end == nil && time.Since(start) < pollSlice; {
		before := len(c.buf)
		c.receive(readChunk)
		r, n, err = ParseResponse(c.buf, m.method, c.closedByServer(), m.what)
		if len(c.buf) == before {
			break
		}
	}
	var e *errIncomplete
	switch {
	case err == nil:
		c.consume(n)
		*m.resp = r
		m.ok()
		return true, nil
	case errors.As(err, &e) && c.end != nil:
		what := m.what
		m.what = e.need
		m.ended(c, 0)
		m.what = what
	case errors.As(err, &e) && e.untilClose:
		m.set(false, NotClosed, "%s: the server did not close the connection within "+waitedMark+" after sending the header block of %s, which has no Content-Length: its body ends when the server closes", c.name, m.what)
	case errors.As(err, &e):
		m.set(false, TimedOut, "%s: timed out after "+waitedMark+" waiting for %s", c.name, e.need)
	default:
		var d *Error
		if errors.As(err, &d) {
			m.set(true, d.Kind, "%s: %s", c.name, d.Detail)
		} else {
			m.set(true, Violation, "%s: %v", c.name, err)
		}
	}
	return false, nil
}

func trimEOL(line []byte) []byte {
	return bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
}
