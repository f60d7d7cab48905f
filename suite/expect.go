package suite

// Wire expectations as Gomega matchers. Each matcher takes a *Conn (or a
// *UDPConn, see udp.go) as its actual value and reads from it as it is
// polled, asking only for what it still needs, so a flooding server cannot
// grow our memory. They are meant for Gomega's Eventually and Consistently,
// with the spec's context so that an interrupt stops them at once:
//
//	Eventually(conn).WithContext(ctx).Within(2 * time.Second).Should(suite.Receive("ping", "the echo of ping"))
//	Consistently(conn).WithContext(ctx).Within(300 * time.Millisecond).Should(suite.ReceiveNothing("before the client speaks"))
//
// A matcher that has seen something that cannot change (wrong bytes, the
// server closing or resetting) tells Eventually to stop at once
// (MatchMayChangeInTheFuture). Its failure message is a diagnosis that
// starts with its Kind: what the client waited for, for how long, what
// arrived, and where it first differed.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/onsi/gomega/types"
)

// The value of a matcher whose actual is not a connection: a bug in a spec.
func notAConn(actual any) error {
	return fmt.Errorf("suite: this matcher reads from a *suite.Conn, not a %T", actual)
}

// wire is what every connection matcher shares: what it waits for, since
// when, and the diagnosis of its last poll. The mutex is there because
// Ginkgo may ask for the failure message from another goroutine (a progress
// report while the spec is still polling).
type wire struct {
	what    string
	started time.Time

	mu        sync.Mutex
	diagnosis string // why the last poll did not match; "" when it did
	final     bool   // the diagnosis cannot change any more
}

// newWire starts a matcher's wait now: the matcher is made as Should is
// called, just before Eventually starts its own clock, so the time a
// diagnosis states is never shorter than the wait it was given.
func newWire(what string) wire { return wire{what: what, started: time.Now()} }

// poll starts a poll of the matcher. Once its outcome is final (Eventually
// polls once more after MatchMayChangeInTheFuture said so) it returns that
// outcome with done true, and the matcher must not read again.
func (w *wire) poll() (matched, done bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.diagnosis == "", w.final
}

func (w *wire) set(final bool, kind Kind, format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.diagnosis, w.final = string(kind)+": "+fmt.Sprintf(format, args...), final
}

func (w *wire) ok() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.diagnosis, w.final = "", true
}

// waited is how long the matcher has waited so far, for its diagnosis. It
// is cut to 100 ms: a poll ends up to pollSlice after the wait's own time is
// up, and a 2 s wait should read as 2s, not 2.05s.
func (w *wire) waited() time.Duration {
	return time.Since(w.started).Truncate(100 * time.Millisecond)
}

// waitedMark stands in a diagnosis for how long the wait lasted, filled in
// when the message is asked for: when the wait has ended, not at its last
// poll.
const waitedMark = "{waited}"

// FailureMessage is the diagnosis of the last poll.
func (w *wire) FailureMessage(any) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.ReplaceAll(w.diagnosis, waitedMark, w.waited().String())
}

// NegatedFailureMessage is the diagnosis too: the negated matchers here
// (ShouldNot(BeReset(...))) set it when they match.
func (w *wire) NegatedFailureMessage(any) string { return w.FailureMessage(nil) }

// MatchMayChangeInTheFuture is false once the server has done something
// that waiting longer cannot undo.
func (w *wire) MatchMayChangeInTheFuture(any) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.final
}

// settle decides a poll: check looks at what has arrived; while it cannot
// decide, read reads once more, for as long as data keeps coming (at most
// pollSlice). When it still cannot decide, the wait goes on, and its
// diagnosis says how it would end now: cut short by the end of the stream,
// or out of time. Checking after every read means an answer is taken as
// soon as it is whole, never after waiting for more.
func (w *wire) settle(c *Conn, read func(), check func() (decided, matched bool)) bool {
	start := time.Now()
	for {
		if decided, matched := check(); decided {
			return matched
		}
		if c.end != nil || time.Since(start) > pollSlice {
			break
		}
		before := len(c.buf)
		read()
		if len(c.buf) == before && c.end == nil {
			break // nothing came within a poll's wait
		}
	}
	if c.end != nil {
		w.ended(c, len(c.buf))
	} else {
		w.timedOut(c, len(c.buf))
	}
	return false
}

// ended diagnoses a wait for what that the end of the stream cut short;
// have bytes of it had arrived.
func (w *wire) ended(c *Conn, have int) {
	got := ""
	if have > 0 {
		got = fmt.Sprintf(" (%d bytes of it had arrived)", have)
	}
	switch {
	case errors.Is(c.end, syscall.ECONNRESET):
		w.set(true, ConnReset, "%s: the server reset the connection while the client waited for %s%s%s", c.name, w.what, got, resetAdvice(c))
	case errors.Is(c.end, io.EOF):
		w.set(true, ClosedEarly, "%s: the server closed the connection while the client waited for %s%s", c.name, w.what, got)
	default:
		w.set(true, ClosedEarly, "%s: read failed while waiting for %s: %v", c.name, w.what, c.end)
	}
}

// timedOut diagnoses a wait for what that is still going on: if the wait
// ends now, it ends by running out of time.
func (w *wire) timedOut(c *Conn, have int) {
	got := ""
	if have > 0 {
		got = fmt.Sprintf(" (%d bytes of it had arrived)", have)
	}
	w.set(false, TimedOut, "%s: timed out after "+waitedMark+" waiting for %s%s", c.name, w.what, got)
}

// Receive succeeds once the next bytes on the connection are exactly want,
// and consumes them. It fails at the first byte that differs, showing the
// offset and the bytes around it on both sides; what names the bytes in a
// failure ("the echo of 1 MiB").
func Receive[T string | []byte](want T, what string) types.GomegaMatcher {
	return &receiveMatcher{wire: newWire(what), want: []byte(want)}
}

type receiveMatcher struct {
	wire
	want []byte
}

func (m *receiveMatcher) Match(actual any) (bool, error) {
	c, ok := actual.(*Conn)
	if !ok {
		return false, notAConn(actual)
	}
	if matched, done := m.poll(); done {
		return matched, nil
	}
	return m.settle(c, func() { c.receive(len(m.want) - len(c.buf)) }, func() (decided, matched bool) {
		have := c.buf[:min(len(c.buf), len(m.want))]
		if d := DiffPrefix(m.want, have); d != "" {
			c.tr.mismatched(c.name, newMismatch(m.what, m.want, have, commonPrefix(m.want, have), c.bufStart()))
			m.set(true, WrongBytes, "%s: wrong bytes in %s: %s", c.name, m.what, d)
			return true, false
		}
		if len(c.buf) >= len(m.want) {
			c.consume(len(m.want))
			m.ok()
			return true, true
		}
		return false, false
	}), nil
}

// ReceiveLine succeeds once a line (up to and including "\n") of at most
// max bytes has arrived; it consumes the line and stores it in *line.
func ReceiveLine(max int, what string, line *[]byte) types.GomegaMatcher {
	return &lineMatcher{wire: newWire(what), max: max, line: line}
}

// ReceiveLineMatching is ReceiveLine for a line of a given form: pattern
// must match the line, "\n" included, and the whole match and its
// submatches are stored in *groups (as FindSubmatch does). A line that does
// not match fails at once, quoting the line. what names the line ("the
// answer to \"hello\\n\"") and may describe its form.
//
// The pattern sees bytes: a byte that is not UTF-8 matches "." (as U+FFFD
// would), and the submatches are the bytes as they arrived.
func ReceiveLineMatching(max int, pattern *regexp.Regexp, what string, groups *[][]byte) types.GomegaMatcher {
	return &lineMatcher{wire: newWire(what), max: max, pattern: pattern, groups: groups}
}

type lineMatcher struct {
	wire
	max     int
	line    *[]byte
	pattern *regexp.Regexp // with ReceiveLineMatching
	groups  *[][]byte
}

func (m *lineMatcher) Match(actual any) (bool, error) {
	c, ok := actual.(*Conn)
	if !ok {
		return false, notAConn(actual)
	}
	if matched, done := m.poll(); done {
		return matched, nil
	}
	waiting := true // for the end of the line: what has arrived is worth showing
	matched := m.settle(c, func() { c.receive(m.max - len(c.buf)) }, func() (decided, matched bool) {
		if i := bytes.IndexByte(c.buf, '\n'); i >= 0 && i < m.max {
			line := c.consume(i + 1)
			waiting = false
			if m.pattern == nil {
				*m.line = line
			} else if *m.groups = m.pattern.FindSubmatch(line); *m.groups == nil {
				m.set(true, WrongBytes, "%s: wrong bytes in %s: the line %s does not match %s", c.name, m.what, Quote(line), m.pattern)
				return true, false
			}
			m.ok()
			return true, true
		}
		if len(c.buf) >= m.max {
			waiting = false
			m.set(true, Violation, "%s: %s: no end of line (\\n) within %d bytes: %s ...", c.name, m.what, m.max, Quote(c.buf[:min(len(c.buf), 64)]))
			return true, false
		}
		return false, false
	})
	if waiting && len(c.buf) > 0 {
		// What arrived says more than its length: a missing "\n", a
		// Python repr such as b'hello\n' where the bytes should be.
		m.wire.mu.Lock()
		m.diagnosis += ", with no end of line (\\n): " + Quote(c.buf[:min(len(c.buf), 64)])
		if len(c.buf) > 64 {
			m.diagnosis += " ..."
		}
		m.wire.mu.Unlock()
	}
	return matched, nil
}

// ReceiveUntilEOF succeeds once the server has closed the connection, having
// sent at most max more bytes, and stores them in *got. A reset, more than
// max bytes, or no close in time fail it; what names what the server was
// sending ("the body of the response").
func ReceiveUntilEOF(max int, what string, got *[]byte) types.GomegaMatcher {
	return &untilEOFMatcher{wire: newWire(what), max: max, got: got}
}

type untilEOFMatcher struct {
	wire
	max int
	got *[]byte
}

func (m *untilEOFMatcher) Match(actual any) (bool, error) {
	c, ok := actual.(*Conn)
	if !ok {
		return false, notAConn(actual)
	}
	if matched, done := m.poll(); done {
		return matched, nil
	}
	c.receiveMore(m.max + 1 - len(c.buf))
	*m.got = append((*m.got)[:0], c.buf...)
	switch {
	case len(c.buf) > m.max:
		m.set(true, UnexpectedBytes, "%s: more than %d bytes of %s without the server closing", c.name, m.max, m.what)
	case c.closedByServer():
		c.consume(len(c.buf))
		m.ok()
		return true, nil
	case c.end != nil:
		m.what += " and the close that ends it"
		m.ended(c, len(c.buf))
	default:
		after := ""
		if len(c.buf) > 0 {
			after = fmt.Sprintf(" (and then %s)", Quote(c.buf[:min(len(c.buf), 64)]))
		}
		m.set(false, NotClosed, "%s: the server did not close the connection within "+waitedMark+" after sending %s%s", c.name, m.what, after)
	}
	return false, nil
}

// ReceiveEOF succeeds once the server closes the connection without sending
// anything more; after says what the close should follow ("the banner").
func ReceiveEOF(after string) types.GomegaMatcher {
	return &eofMatcher{wire: newWire(after)}
}

type eofMatcher struct{ wire }

func (m *eofMatcher) Match(actual any) (bool, error) {
	c, ok := actual.(*Conn)
	if !ok {
		return false, notAConn(actual)
	}
	if matched, done := m.poll(); done {
		return matched, nil
	}
	c.receive(4096 - len(c.buf))
	switch {
	case len(c.buf) > 0:
		c.tr.mismatched(c.name, newMismatch("the close after "+m.what, nil, c.buf, 0, c.bufStart()))
		m.set(true, UnexpectedBytes, "%s: expected the server to close after %s, but it sent %d more bytes: %s", c.name, m.what, len(c.buf), Quote(c.buf[:min(len(c.buf), 64)]))
	case c.closedByServer():
		m.ok()
		return true, nil
	case c.end != nil:
		m.what = "the close after " + m.what
		m.ended(c, 0)
	default:
		m.set(false, NotClosed, "%s: the server did not close the connection within "+waitedMark+" after %s", c.name, m.what)
	}
	return false, nil
}

// ReceiveNothing is for Consistently: it matches as long as nothing has
// arrived and the connection is open. why says when nothing is due
// ("before the client has sent anything").
func ReceiveNothing(why string) types.GomegaMatcher {
	return &nothingMatcher{wire: newWire(why)}
}

// ReceiveNothingOrEOF is ReceiveNothing that also accepts the server
// closing the connection, with nothing before the close.
func ReceiveNothingOrEOF(why string) types.GomegaMatcher {
	return &nothingMatcher{wire: newWire(why), eofAllowed: true}
}

type nothingMatcher struct {
	wire
	eofAllowed bool
}

func (m *nothingMatcher) Match(actual any) (bool, error) {
	c, ok := actual.(*Conn)
	if !ok {
		return false, notAConn(actual)
	}
	if matched, done := m.poll(); done {
		return matched, nil
	}
	if len(c.buf) == 0 {
		c.receive(4096)
	}
	switch {
	case len(c.buf) > 0:
		c.tr.mismatched(c.name, newMismatch("nothing "+m.what, nil, c.buf, 0, c.bufStart()))
		m.set(true, UnexpectedBytes, "%s: expected nothing %s, but received %s", c.name, m.what, Quote(c.buf[:min(len(c.buf), 64)]))
	case c.closedByServer() && m.eofAllowed:
		m.ok() // final: Consistently may stop early, satisfied
		return true, nil
	case c.end != nil:
		what := m.what
		m.what = fmt.Sprintf("nothing %s (the connection should stay open)", what)
		m.ended(c, 0)
		m.what = what
	default:
		m.wire.mu.Lock()
		m.diagnosis = ""
		m.wire.mu.Unlock()
		return true, nil
	}
	return false, nil
}

// BeReset matches once the server resets the connection (RST). Use it as
// Consistently(conn).WithContext(ctx).Within(d).ShouldNot(BeReset("just after closing
// with a FIN")): a server that closes its socket without reading what the
// client sent answers that data with an RST, which may come just after its
// FIN, when a read has already returned EOF.
func BeReset(when string) types.GomegaMatcher {
	return &resetMatcher{wire: newWire(when)}
}

type resetMatcher struct{ wire }

func (m *resetMatcher) Match(actual any) (bool, error) {
	c, ok := actual.(*Conn)
	if !ok {
		return false, notAConn(actual)
	}
	if matched, done := m.poll(); done {
		return matched, nil
	}
	if errors.Is(c.end, syscall.ECONNRESET) || c.pollReset() {
		m.set(true, ConnReset, "%s: the server reset the connection %s%s", c.name, m.what, resetAdvice(c))
		return true, nil
	}
	m.set(false, ConnReset, "%s: the server did not reset the connection %s", c.name, m.what)
	return false, nil
}

// resetAdvice explains a reset to a client that had sent data: the classic
// cause is a server closing its socket with that data unread, which makes
// its kernel answer with an RST instead of a FIN (RFC 1122, 4.2.2.13).
func resetAdvice(c *Conn) string {
	if c.sent.Load() == 0 {
		return ""
	}
	return ", with an RST rather than an orderly close (FIN): a server that closes its socket without reading what the client sent resets the connection; shut down writing, read until EOF, then close"
}

// ReceiveOnly is for Consistently: as long as the connection is open, what
// has arrived must be the beginning of one of allowed, and once the server
// ends the connection (EOF or reset) it must be one of them. It consumes
// nothing; what names the place ("after the banner"). For "the banner is
// followed by nothing, \n or \r\n".
func ReceiveOnly(what string, allowed ...string) types.GomegaMatcher {
	return &onlyMatcher{wire: newWire(what), allowed: allowed}
}

type onlyMatcher struct {
	wire
	allowed []string
}

func (m *onlyMatcher) Match(actual any) (bool, error) {
	c, ok := actual.(*Conn)
	if !ok {
		return false, notAConn(actual)
	}
	if matched, done := m.poll(); done {
		return matched, nil
	}
	longest := 0
	for _, a := range m.allowed {
		longest = max(longest, len(a))
	}
	c.receive(longest + 1 - len(c.buf))
	prefix, whole := false, false
	for _, a := range m.allowed {
		prefix = prefix || strings.HasPrefix(a, string(c.buf))
		whole = whole || a == string(c.buf)
	}
	var quoted []string
	for _, a := range m.allowed {
		quoted = append(quoted, Quote([]byte(a)))
	}
	switch {
	case !prefix || c.end != nil && !whole:
		// Against the allowed answer that went right the longest.
		best, off := "", -1
		for _, a := range m.allowed {
			if n := commonPrefix([]byte(a), c.buf); n > off {
				best, off = a, n
			}
		}
		c.tr.mismatched(c.name, newMismatch(m.what, []byte(best), c.buf, off, c.bufStart()))
		m.set(true, WrongBytes, "%s: expected only %s %s, but received %s", c.name, strings.Join(quoted, " or "), m.what, Quote(c.buf))
		return false, nil
	case c.end != nil:
		m.ok() // final: Consistently stops early, satisfied
	}
	return true, nil
}

// StripAsyncPreamble removes the line Gomega puts before the failure
// message of an Eventually or Consistently ("Timed out after 2.001s.",
// "No future change is possible.  Bailing out early after 0.013s.",
// "Failed after 0.3s."): the matchers' diagnoses already say what the
// client waited for and for how long. An interrupt ("Context was
// cancelled") is kept: it is news.
func StripAsyncPreamble(message string) string {
	first, rest, ok := strings.Cut(message, "\n")
	if !ok {
		return message
	}
	for _, p := range []string{"Timed out after ", "No future change is possible.  Bailing out early after ", "Failed after "} {
		if strings.HasPrefix(first, p) && strings.HasSuffix(first, "s.") {
			return rest
		}
	}
	return message
}
