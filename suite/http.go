package suite

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
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
	// ContentLength is the number the Content-Length field gives, read
	// as a number ("0104" is 104), or -1 when there is none or it is not
	// a number. For a response to HEAD it is the length GET would get.
	ContentLength int64
	// What names the response in diagnoses, e.g. "the response to GET /".
	What string
	// Flaws are what the response does that its sender MUST NOT, by the
	// rules for generating a message (RFC 9112, RFC 9110), but that a
	// recipient may read past, as ParseResponse did. The checks hold a
	// server to those rules; a recording of a browser's exchange need not.
	Flaws []Flaw
}

// A Flaw is one way a response breaks a rule for generating a response.
type Flaw struct {
	Rule   Rule
	Detail string // what the server sent, e.g. `the status line "HTTP/1.1 404" has no space after its status code`
}

// A Rule is a rule RFC 9112 and RFC 9110 set for a sender of a response,
// which ParseResponse records the breaking of.
type Rule string

const (
	// StatusLineRule: HTTP-version SP 3DIGIT SP [reason-phrase], the
	// version "HTTP/" DIGIT "." DIGIT, the second SP there even when the
	// reason phrase is empty, and the phrase only tabs, spaces and
	// visible characters (RFC 9112 §4).
	StatusLineRule Rule = "status line"
	// LineEndRule: every line of the header section (the status line and
	// the empty line that ends it included) ends in CRLF, never a bare LF
	// (RFC 9112 §2.1).
	LineEndRule Rule = "line ends"
	// FieldLineRule: field-name ":" OWS field-value OWS, the name a token
	// with no whitespace before the colon, the value without CR, LF, NUL
	// or another control character but tab, and no line folding
	// (obs-fold) (RFC 9112 §5, RFC 9110 §5.5).
	FieldLineRule Rule = "field lines"
	// FramingRule: Content-Length is 1*DIGIT, several Content-Length
	// fields or list values only if identical, and never both
	// Content-Length and Transfer-Encoding (RFC 9110 §8.6, RFC 9112 §6.2).
	FramingRule Rule = "framing"
)

// FlawsOf returns the flaws of the response that break rule.
func (r *Response) FlawsOf(rule Rule) []Flaw {
	var out []Flaw
	for _, f := range r.Flaws {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

func (r *Response) flaw(rule Rule, format string, args ...any) {
	r.Flaws = append(r.Flaws, Flaw{Rule: rule, Detail: fmt.Sprintf(format, args...)})
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

// Names lists the names of the response's fields, in order, for diagnoses
// ("its fields: Content-Type, Content-Length"); "none" when it has none.
func (r *Response) Names() string {
	if len(r.Fields) == 0 {
		return "none"
	}
	names := make([]string, len(r.Fields))
	for i, f := range r.Fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

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
	body       bool // need is the body, and says how much of it arrived
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
// It reads as leniently as RFC 9112 lets a recipient read (a bare LF ends
// a line, whitespace before a field's colon is dropped, a folded line is
// joined to the one before it, several identical Content-Length values
// are one), and records in the response's Flaws each rule for generating
// a response that the server broke on the way. The conformance checks
// read responses with it (ReceiveResponse) and judge the Flaws; the
// recording proxy reads a browser's exchange with it and need not.
func ParseResponse(data []byte, method string, eof bool, what string) (*Response, int, error) {
	pos := 0
	// line returns the next line without its end, and whether that end
	// was CRLF, or nil when data has no complete line within max bytes.
	line := func(max int, need string) ([]byte, bool, error) {
		i := bytes.IndexByte(data[pos:], '\n')
		if i < 0 || i >= max {
			if len(data)-pos >= max {
				return nil, false, Errorf(Violation, "%s: no end of line (\\n) within %d bytes", need, max)
			}
			return nil, false, &errIncomplete{need: need}
		}
		l := data[pos : pos+i]
		pos += i + 1
		if crlf := bytes.HasSuffix(l, []byte("\r")); crlf {
			return l[:len(l)-1], true, nil
		}
		return l, false, nil
	}
	r := &Response{What: what, ContentLength: -1}
	var bareLF []string // the header section's lines that end in a bare LF
	lines := 0
	headLine := func(max int, need string) ([]byte, error) {
		l, crlf, err := line(max, need)
		if err == nil {
			lines++
			if !crlf {
				bareLF = append(bareLF, Quote(l))
			}
		}
		return l, err
	}

	status, err := headLine(8<<10, "the status line of "+what)
	if err != nil {
		return nil, 0, err
	}
	r.StatusLine = string(status)
	proto, rest, _ := strings.Cut(r.StatusLine, " ")
	code, reason, sp := strings.Cut(rest, " ")
	r.Proto = proto
	if !strings.HasPrefix(proto, "HTTP/1.") || len(code) != 3 || !isDigits(code) {
		return nil, 0, Errorf(Violation, "%s %s: got %s", what, notAStatusLine, Quote(data[:pos]))
	}
	r.StatusCode, _ = strconv.Atoi(code)
	switch {
	case !httpVersion.MatchString(proto):
		r.flaw(StatusLineRule, "the status line %s has the version %q, which is not HTTP/DIGIT.DIGIT", Quote(status), proto)
	case !sp:
		r.flaw(StatusLineRule, "the status line %s has no space after its status code: HTTP-version SP 3DIGIT SP [reason-phrase] needs it even when the reason phrase is empty (%q)", Quote(status), proto+" "+code+" ")
	}
	if i := ctlIndex(reason); i >= 0 {
		r.flaw(StatusLineRule, "the status line %s has the control byte %s in its reason phrase, which may hold only tabs, spaces and visible characters", Quote(status), Quote([]byte{reason[i]}))
	}

	for {
		field, err := headLine(maxHeaderBlock, "the header fields of "+what)
		if err != nil {
			return nil, 0, err
		}
		if pos > maxHeaderBlock {
			return nil, 0, Errorf(Violation, "the header block of %s is over %d bytes", what, maxHeaderBlock)
		}
		if len(field) == 0 {
			break
		}
		if field[0] == ' ' || field[0] == '\t' {
			// obs-fold: a recipient joins it to the field before, with
			// a space (RFC 9112 §5.2).
			if len(r.Fields) == 0 {
				return nil, 0, Errorf(Violation, "%s in %s: %s starts with whitespace and follows the status line", malformedField, what, Quote(field))
			}
			r.flaw(FieldLineRule, "the field line %s continues the field before it (line folding, obs-fold), which a sender MUST NOT generate (RFC 9112 §5.2)", Quote(field))
			last := &r.Fields[len(r.Fields)-1]
			last.Value = strings.Trim(last.Value+" "+strings.Trim(string(field), " \t"), " \t")
			continue
		}
		name, value, ok := bytes.Cut(field, []byte(":"))
		trimmed := bytes.TrimRight(name, " \t")
		if !ok || len(trimmed) == 0 || bytes.ContainsAny(trimmed, " \t") {
			return nil, 0, Errorf(Violation, "%s in %s: %s", malformedField, what, Quote(field))
		}
		switch {
		case len(trimmed) < len(name):
			// A recipient drops the whitespace (RFC 9112 §5.1: a proxy
			// MUST remove it), a sender MUST NOT send it.
			r.flaw(FieldLineRule, "the field line %s has whitespace between the field name and the colon", Quote(field))
		case !isToken(trimmed):
			r.flaw(FieldLineRule, "the field line %s has a field name that is not a token (letters, digits and !#$%%&'*+-.^_`|~)", Quote(field))
		}
		value = bytes.Trim(value, " \t")
		if i := ctlIndex(string(value)); i >= 0 {
			r.flaw(FieldLineRule, "the field line %s has %s in its value, which may hold only tabs, spaces and visible characters (RFC 9110 §5.5)", Quote(field), ctlName(value[i]))
		}
		r.Fields = append(r.Fields, Field{Name: string(trimmed), Value: string(value)})
	}
	if len(bareLF) > 0 {
		r.flaw(LineEndRule, "%d of the %d lines of its header section (status line and empty line included) end in a bare LF (\\n), not CRLF (\\r\\n); the first is %s", len(bareLF), lines, bareLF[0])
	}

	length, lengthErr := r.contentLength()
	chunked := strings.Contains(strings.ToLower(r.Get("Transfer-Encoding")), "chunked")
	if r.Has("Content-Length") && r.Has("Transfer-Encoding") {
		r.flaw(FramingRule, "it has both Content-Length (%q) and Transfer-Encoding (%q): a sender MUST NOT send Content-Length with Transfer-Encoding (RFC 9112 §6.2)", r.Get("Content-Length"), r.Get("Transfer-Encoding"))
	}
	switch {
	case method == "HEAD" || r.StatusCode/100 == 1 || r.StatusCode == 204 || r.StatusCode == 304:
		r.Framing = "none"
	case chunked:
		r.Framing = "chunked"
		start := pos
		tooBig := func() error {
			return Errorf(Violation, "the chunked body of %s is over %d bytes as sent (chunk size lines, extensions and trailer fields included)", what, maxChunked)
		}
		for {
			if pos-start > maxChunked {
				return nil, 0, tooBig()
			}
			sizeLine, _, err := line(1024, "a chunk size line of "+what)
			if err != nil {
				return nil, 0, err
			}
			sizeText, _, _ := strings.Cut(string(sizeLine), ";")
			n, err := strconv.ParseInt(strings.TrimSpace(sizeText), 16, 32)
			if err != nil || n < 0 || len(r.Body)+int(n) > maxBody {
				return nil, 0, Errorf(Violation, "%s %s in %s", badChunkSize, Quote(sizeLine), what)
			}
			if n == 0 {
				for { // trailer section, up to the empty line
					if pos-start > maxChunked {
						return nil, 0, tooBig()
					}
					trailer, _, err := line(8<<10, "the end of the chunked body of "+what)
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
		if lengthErr != nil || length > maxBody {
			return nil, 0, Errorf(Violation, "%s %q in %s", unusableLength, r.Get("Content-Length"), what)
		}
		n := int(length)
		if len(data)-pos < n {
			return nil, 0, &errIncomplete{need: fmt.Sprintf("the %d-byte body of %s (%d bytes of it had arrived)", n, what, len(data)-pos), body: true}
		}
		r.Body = data[pos : pos+n : pos+n]
		pos += n
	default:
		r.Framing = "close"
		if len(data)-pos > maxBody {
			return nil, 0, Errorf(UnexpectedBytes, "more than %d bytes of the body of %s without the server closing", maxBody, what)
		}
		if !eof {
			return nil, 0, &errIncomplete{need: "the body of " + what + " (no Content-Length: it ends when the server closes)", untilClose: true, body: true}
		}
		r.Body = data[pos:len(data):len(data)]
		pos = len(data)
	}
	return r, pos, nil
}

// contentLength reads the Content-Length fields as a recipient may: the
// first value, when it is a number (RFC 9110 §8.6 lets a recipient take
// "42, 42", or two fields of 42, as 42). It sets r.ContentLength, and
// records as flaws a value that is not 1*DIGIT and values that differ.
func (r *Response) contentLength() (int64, error) {
	fields := r.Values("Content-Length")
	var values []string
	for _, v := range fields {
		for _, part := range strings.Split(v, ",") {
			values = append(values, strings.Trim(part, " \t"))
		}
	}
	if len(values) == 0 {
		return -1, nil
	}
	for _, v := range values {
		if !isDigits(v) {
			r.flaw(FramingRule, "it has Content-Length %s, and %q is not a decimal number (1*DIGIT: digits only)", quoteAll(fields), v)
			break
		}
	}
	n, err := strconv.ParseInt(values[0], 10, 64)
	for _, v := range values[1:] {
		if m, err := strconv.ParseInt(v, 10, 64); err != nil || m != n {
			r.flaw(FramingRule, "it has Content-Length %s: values that differ leave the end of the body in doubt, and a recipient must treat them as an unrecoverable error (RFC 9110 §8.6, RFC 9112 §6.3)", quoteAll(fields))
			break
		}
	}
	if err != nil || n < 0 {
		return -1, errors.New("not a number")
	}
	r.ContentLength = n
	return n, nil
}

// httpVersion is HTTP-version (RFC 9112 §2.3).
var httpVersion = regexp.MustCompile(`^HTTP/[0-9]\.[0-9]$`)

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isToken reports whether s is a token (RFC 9110 §5.6.2).
func isToken(s []byte) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return len(s) > 0
}

// ctlIndex returns the index of the first control byte of s other than
// tab (what neither a reason phrase nor a field value may hold), or -1.
func ctlIndex(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return i
		}
	}
	return -1
}

func ctlName(c byte) string {
	switch c {
	case 0:
		return "a NUL byte (\\0)"
	case '\r':
		return "a CR (\\r) that ends no line"
	}
	return "the control byte " + Quote([]byte{c})
}

func quoteAll(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, " and ")
}

// How ParseResponse's diagnoses of a response it cannot read at all begin,
// and the rule for generating a response that each says was broken.
const (
	notAStatusLine = "did not start with an HTTP/1.x status line"
	malformedField = "malformed header field line"
	badChunkSize   = "bad chunk size line"
	unusableLength = "unusable Content-Length"
)

var unreadable = map[string]Rule{
	notAStatusLine: StatusLineRule,
	malformedField: FieldLineRule,
	badChunkSize:   FramingRule,
	unusableLength: FramingRule,
}

// UnreadableBy says which rule for generating a response was broken so
// badly that ParseResponse (or ReceiveResponse, whose failure err is)
// could not read the response at all; false for any other error, such
// as a response that did not come.
func UnreadableBy(err error) (Rule, bool) {
	if err == nil || !IsKind(err, Violation) {
		return "", false
	}
	for phrase, rule := range unreadable {
		if strings.Contains(err.Error(), phrase) {
			return rule, true
		}
	}
	return "", false
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
// The response is read leniently: what it does that a sender MUST NOT is
// in its Flaws, for the checks to judge.
func ReceiveResponse(method string, resp **Response) types.GomegaMatcher {
	return ReceiveResponseTo(method, method, resp)
}

// ReceiveResponseTo is ReceiveResponse for a request that diagnoses name
// as request ("GET / without Host"): "the response to GET / without Host".
func ReceiveResponseTo(method, request string, resp **Response) types.GomegaMatcher {
	return &responseMatcher{wire: newWire("the response to " + request), method: method, resp: resp}
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
		m.what = e.need + arrived(e, c.buf)
		m.ended(c, 0)
		m.what = what
	case errors.As(err, &e) && e.untilClose:
		m.set(false, NotClosed, "%s: the server did not close the connection within "+waitedMark+" after sending the header block of %s, which has no Content-Length: its body ends when the server closes", c.name, m.what)
	case errors.As(err, &e):
		m.set(false, TimedOut, "%s: timed out after "+waitedMark+" waiting for %s%s", c.name, e.need, arrived(e, c.buf))
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

// arrived says how much of a response had arrived when the wait for the
// part e needs ended, unless e says so itself.
func arrived(e *errIncomplete, buf []byte) string {
	if e.body || len(buf) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d bytes of the response had arrived)", len(buf))
}
