package specs

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/socketspec/conformance/suite"
)

// The timestamp-echo specs, one DescribeClause per clause of
// timestamp-echo.md: every line comes back as "[TIMESTAMP] LINE\n".
var _ = Protocol("timestamp-echo", func() {
	DescribeClause("timestamp-echo-1", func() {
		Check("sends nothing on connect, then answers a line", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Consistently(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveNothing("before the client has sent anything"))
			// The connection must be alive: a silent dead server proves
			// nothing. The first byte of an answer shows it; the rest of
			// the answer is timestamp-echo-2's business.
			s.Expect(c.WriteString("ping\n")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("[", `"[", the first byte of the answer to "ping\n"`))
			// Read the rest, whatever it is (a stamp with a newline in it
			// makes it two lines): closing with bytes unread would reset
			// the connection, which is timestamp-echo-14's test.
			for rest, n := []byte("["), 0; !bytes.Contains(rest, []byte("]")) && n < 3; n++ {
				var line []byte
				if s.Try(func(g Gomega) {
					g.Eventually(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveLine(maxAnswer, "the rest of the answer", &line))
				}) != nil {
					break
				}
				rest = append(rest, line...)
			}
		})
	})

	DescribeClause("timestamp-echo-2", func() {
		Check("answers each line with [TIMESTAMP] LINE", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			for _, line := range []string{"hello", "Ada Lovelace, 1843"} {
				s.Expect(c.WriteString(line + "\n")).To(Succeed())
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(answered(line, nil))
			}
		})
	})

	DescribeClause("timestamp-echo-3", func() {
		Check("passes a line's bytes back unchanged: CR, UTF-8, NUL, invalid UTF-8, empty lines", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			// Each is a line's bytes without its "\n"; a "\r" before the
			// "\n" is part of the line and comes back too.
			for _, line := range []string{"hi\r", "José 你好", "tab\there, NUL \x00", "\xff\xfe\xc3(", "", "\r", "a lone \r inside"} {
				s.Expect(c.WriteString(line + "\n")).To(Succeed())
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(answered(line, nil))
			}
		})
	})

	DescribeClause("timestamp-echo-4", func() {
		Check("answers three lines sent in one write, each with its own stamp, in order", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Expect(c.WriteString("one\ntwo\nthree\n")).To(Succeed())
			for _, line := range []string{"one", "two", "three"} {
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(answered(line, nil))
			}
			s.Consistently(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveNothing("after the three answers"))
		})
	})

	DescribeClause("timestamp-echo-5", func() {
		Check("answers a line written in three pieces once, after its \\n", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			for _, piece := range []string{"hel", "lo wor"} {
				s.Expect(c.WriteString(piece)).To(Succeed())
				s.Consistently(c).WithContext(ctx).Within(100 * time.Millisecond).Should(suite.ReceiveNothing("while the line is unfinished (no \\n yet)"))
			}
			s.Expect(c.WriteString("ld\n")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(answered("hello world", nil))
			s.Consistently(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveNothing("after the one answer"))
		})
	})

	DescribeClause("timestamp-echo-6", func() {
		Check("answers a 65536-byte line whole, with one stamp", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			line := numberedLine(maxStampedLine - 1)
			written := make(chan error, 1)
			go func() { written <- c.WriteString(line + "\n") }()
			s.Eventually(c).WithContext(ctx).Within(5 * time.Second).Should(answeredAs(line, "the answer to a 65536-byte line", nil))
			s.Expect(<-written).To(Succeed())
		})
	})

	DescribeClause("timestamp-echo-7", func() {
		Check("stamps in the layout of ctime(): Www Mmm dd hh:mm:ss yyyy", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Expect(c.WriteString("what time is it?\n")).To(Succeed())
			var stamp string
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(stampedAnswer(`the answer to "what time is it?\n"`, &stamp))
			if strings.HasSuffix(stamp, "\n") {
				s.Failf(suite.Violation, "client: the timestamp %s ends with a newline, which ctime() and asctime() put at the end of their string, so the answer comes in two lines; remove it", suite.Quote([]byte(stamp)))
			}
			s.ctime(stamp)
		})
	})

	DescribeClause("timestamp-echo-8", func() {
		Check("stamps the suite's time, within 2 s, in the zone it started the server in", func(ctx SpecContext, s *Session) {
			zone, known := suite.ServerClock(s.Target)
			if !known {
				Skip(fmt.Sprintf("the suite knows the clock and time zone only of the servers it starts (the Go reference, --cmd, --impl); for %s it checks that the timestamp is the current time in some time zone", s.Target.Name()))
			}
			stamp, sent, got := s.stampNow(ctx)
			wall, from, to := s.ctime(stamp), inZone(sent, zone).Truncate(time.Second), inZone(got, zone)
			if wall.Before(from.Add(-2*time.Second)) || wall.After(to.Add(2*time.Second)) {
				s.Failf(suite.Violation, "client: the timestamp %q is %s the suite's clock, which read %s in the server's zone (%s) when the answer came: it must be within 2 s",
					stamp, offsetWords(wall.Sub(to)), to.Format(time.ANSIC), zoneName(zone))
			}
		})
		Check("stamps the current time in some time zone, within 2 s", func(ctx SpecContext, s *Session) {
			stamp, sent, got := s.stampNow(ctx)
			wall := s.ctime(stamp)
			// The server's offset from UTC is wall - UTC(T) for a moment T
			// between sending and receiving, plus up to 1 s of truncation.
			lo, hi := wall.Sub(inZone(got, time.UTC))-2*time.Second, wall.Sub(inZone(sent, time.UTC))+3*time.Second
			if !hasZoneOffset(lo, hi) {
				s.Failf(suite.Violation, "client: the timestamp %q is %s UTC (%s when the answer came): no time zone is that far from UTC (zones differ from it by whole quarter hours, at most 14 h), give or take 2 s",
					stamp, offsetWords(wall.Sub(inZone(got, time.UTC))), inZone(got, time.UTC).Format(time.ANSIC))
			}
		})
	})

	DescribeClause("timestamp-echo-9", func() {
		Check("never stamps a later answer with an earlier time, on one connection or across two", func(ctx SpecContext, s *Session) {
			a := s.Connect("A")
			s.Expect(a.WriteString("A first\n")).To(Succeed())
			stamps := []stamped{s.stampOf(ctx, a, "A first")}
			s.letASecondPass(ctx, a, time.Now())
			b := s.Connect("B")
			s.Expect(b.WriteString("B first\n")).To(Succeed())
			stamps = append(stamps, s.stampOf(ctx, b, "B first"))
			for _, line := range []string{"A second", "A third"} {
				s.Expect(a.WriteString(line + "\n")).To(Succeed())
				stamps = append(stamps, s.stampOf(ctx, a, line))
			}
			for i := 1; i < len(stamps); i++ {
				if stamps[i].wall.Before(stamps[i-1].wall) {
					s.Failf(suite.Violation, "the timestamps went backwards: %s, then %s (the answers in the order they came: %s)",
						stamps[i-1], stamps[i], stampList(stamps))
				}
			}
		})
	})

	DescribeClause("timestamp-echo-10", func() {
		Check("stamps two lines as far apart as real time: a second later, a later stamp", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			sent1 := time.Now()
			s.Expect(c.WriteString("now\n")).To(Succeed())
			first := s.stampOf(ctx, c, "now")
			got1 := time.Now()
			s.letASecondPass(ctx, c, got1)
			sent2 := time.Now()
			s.Expect(c.WriteString("and now\n")).To(Succeed())
			second := s.stampOf(ctx, c, "and now")
			got2 := time.Now()
			// The server read its clock for the first line between sent1
			// and got1, for the second between sent2 and got2. Of a
			// server that reads our clock, we know which seconds those
			// were; of another, only that its truncation to seconds moves
			// each reading by less than a second.
			lo, hi := seconds(sent2.Sub(got1), false), seconds(got2.Sub(sent1), true)
			if _, known := suite.ServerClock(s.Target); known {
				// A server may read a coarse clock (C's time()), a few
				// milliseconds behind ours: clockSlack covers that.
				lo, hi = wholeSeconds(got1, sent2.Add(-clockSlack)), wholeSeconds(sent1.Add(-clockSlack), got2)
			}
			if d := int(second.wall.Sub(first.wall) / time.Second); d < lo || d > hi {
				s.Failf(suite.Violation, "%s, then %s, %.1f s later: the timestamps differ by %d s, where the time between them makes it %s; the server must read the clock for each line, once the line has come",
					first, second, sent2.Sub(sent1).Seconds(), d, rangeWords(lo, hi))
			}
		})
	})

	DescribeClause("timestamp-echo-11", func() {
		Check("answers the line that comes with a half-close, then closes within 2 s", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Expect(c.WriteString("one\n")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(answered("one", nil))
			// The last line and the half-close arrive together.
			s.Expect(c.WriteString("two\n")).To(Succeed())
			s.Expect(c.CloseWrite()).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(answered("two", nil))
			s.Eventually(c).WithContext(ctx).Within(2 * time.Second).Should(suite.ReceiveEOF("the answers, once the client has half-closed"))
		})
		Check("closes within 2 s when the client half-closes without a line", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Expect(c.CloseWrite()).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(2 * time.Second).Should(suite.ReceiveEOF("the client's half-close (it sent nothing)"))
		})
	})

	DescribeClause("timestamp-echo-12", func() {
		Check("answers the bytes after the last \\n as a last line at EOF, adding the \\n", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Expect(c.WriteString("first\n")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(answered("first", nil))
			s.Expect(c.WriteString("last words")).To(Succeed())
			s.Expect(c.CloseWrite()).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(answeredAs("last words", "the answer to \"last words\", sent without a \\n before the client half-closed", nil))
		})
	})

	DescribeClause("timestamp-echo-13", func() {
		Check("answers a client while another is silent and a third has sent half a line", func(ctx SpecContext, s *Session) {
			s.Connect("silent") // connected first, never sends
			half := s.Connect("half-a-line")
			s.Expect(half.WriteString("half a li")).To(Succeed())
			c := s.Connect("active")
			s.Expect(c.WriteString("still serving?\n")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(answered("still serving?", nil))
		})
		Check("answers 10 concurrent clients, each its own lines", func(ctx SpecContext, s *Session) {
			clients := make([]*suite.Conn, 10)
			for i := range clients {
				clients[i] = s.Connect(fmt.Sprintf("c%d", i))
			}
			s.InParallel(len(clients), func(g Gomega, i int) {
				c := clients[i]
				for n := range 5 {
					line := fmt.Sprintf("%s line %d", c.Name(), n)
					g.Expect(c.WriteString(line + "\n")).To(Succeed())
					g.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(answeredAs(line, "its own answer to "+suite.Quote([]byte(line+"\n")), nil))
				}
			})
		})
	})

	DescribeClause("timestamp-echo-14", func() {
		Check("keeps serving after clients reset their connections", func(ctx SpecContext, s *Session) {
			a := s.Connect("reset-after-answer")
			s.Expect(a.WriteString("bye\n")).To(Succeed())
			s.Eventually(a).WithContext(ctx).Within(replyTimeout).Should(answered("bye", nil))
			s.Expect(a.Reset()).To(Succeed())
			// 64 KiB of lines (the kernel's buffers take them, whatever
			// the server does), their 115 KiB of answers never read: the
			// server is likely still sending them when the RST comes.
			b := s.Connect("reset-mid-answer")
			s.Expect(b.WriteString(strings.Repeat("a line whose answer is never read\n", 64<<10/34))).To(Succeed())
			s.Expect(b.Reset()).To(Succeed())
			after := s.Connect("after")
			s.Expect(after.WriteString("anyone there?\n")).To(Succeed())
			s.Eventually(after).WithContext(ctx).Within(replyTimeout).Should(answered("anyone there?", nil))
			// A server that dies of a reset may take a moment to go: the
			// quiet window after the answer is that moment.
			s.Consistently(after).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveNothing("after the answer"))
			s.Expect(after.WriteString("still there?\n")).To(Succeed())
			s.Eventually(after).WithContext(ctx).Within(replyTimeout).Should(answered("still there?", nil))
			// One client at a time from here: serving several at once is
			// timestamp-echo-13's business.
			s.Expect(after.Close()).To(Succeed())
			later := s.Connect("later")
			s.Expect(later.WriteString("and me?\n")).To(Succeed())
			s.Eventually(later).WithContext(ctx).Within(replyTimeout).Should(answered("and me?", nil))
		})
	})

	DescribeClause("timestamp-echo-15", func() {
		Check("answers each of three lines within 200 ms", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			for _, line := range []string{"tick", "tock", "tick"} {
				s.Expect(c.WriteString(line + "\n")).To(Succeed())
				s.Eventually(c).WithContext(ctx).Within(200 * time.Millisecond).Should(answeredAs(line, "the answer to "+suite.Quote([]byte(line+"\n"))+" (within 200 ms)", nil))
			}
		})
	})
})

const (
	// maxStampedLine is the longest line a server must answer, "\n" included.
	maxStampedLine = 64 << 10
	// maxAnswer bounds an answer: the line, its stamp and more.
	maxAnswer = maxStampedLine + 128
	// timePasses is how long the clock checks let pass between two lines
	// to a server whose clock they do not know: more than a second, so
	// that the second stamp is a later second.
	timePasses = 1100 * time.Millisecond
	// clockSlack is how far behind ours the clock of a server that reads
	// the suite's clock may be: time() reads the kernel's coarse clock,
	// which lags the precise one by up to a tick (1 to 10 ms).
	clockSlack = 50 * time.Millisecond
)

// answerForm is the form of every answer: "[", a timestamp, "] ", the
// line, "\n". The timestamp may be anything without "]", a newline
// included: an answer whose stamp ends with ctime()'s newline comes in two
// lines, and that is timestamp-echo-7's business, not the line's. Bytes
// that are not UTF-8 match "." too.
var answerForm = regexp.MustCompile(`^\[([^\]]*)\] (.*)\n$`)

// answered waits for the answer to one line, given as its bytes without
// the "\n": "[TIMESTAMP] LINE\n", whatever the timestamp. It stores the
// timestamp in *stamp, when stamp is not nil.
func answered(line string, stamp *string) types.GomegaMatcher {
	return answeredAs(line, fmt.Sprintf("the answer %s to %s", suite.Quote([]byte("[TIMESTAMP] "+line+"\n")), suite.Quote([]byte(line+"\n"))), stamp)
}

// answeredAs is answered with its own words for the answer, for a failure.
func answeredAs(line, what string, stamp *string) types.GomegaMatcher {
	return newAnswerMatcher(&line, what, stamp)
}

// stampedAnswer waits for an answer of the form "[TIMESTAMP] ...\n",
// whatever its line, and stores its timestamp: the checks of the time read
// only the stamp, and leave the line's bytes to the clauses about lines.
func stampedAnswer(what string, stamp *string) types.GomegaMatcher {
	return newAnswerMatcher(nil, what, stamp)
}

func newAnswerMatcher(line *string, what string, stamp *string) *answerMatcher {
	m := &answerMatcher{line: line, what: what, stamp: stamp}
	m.inner = suite.ReceiveLine(maxAnswer, what, &m.got)
	return m
}

// answerMatcher reads an answer line by line with suite.ReceiveLine (a
// line that starts with "[" and has no "]" yet is a timestamp with a
// newline in it: the answer goes on), then checks its form and, unless
// line is nil, that the line in it is the client's, byte for byte.
type answerMatcher struct {
	line  *string
	what  string
	stamp *string

	got    []byte // the last line inner read
	answer []byte // the answer's lines so far

	mu      sync.Mutex          // Ginkgo may ask for the message from another goroutine
	inner   types.GomegaMatcher // reads the answer's next line
	failure string              // the answer came wrong: final
}

func (m *answerMatcher) Match(actual any) (bool, error) {
	for {
		m.mu.Lock()
		inner, failure := m.inner, m.failure
		m.mu.Unlock()
		if failure != "" {
			return false, nil
		}
		ok, err := inner.Match(actual)
		if !ok || err != nil {
			return ok, err
		}
		m.answer = append(m.answer, m.got...)
		if m.answer[0] != '[' || bytes.IndexByte(m.answer, ']') >= 0 || len(m.answer) >= maxAnswer {
			break
		}
		m.mu.Lock()
		m.inner = suite.ReceiveLine(maxAnswer-len(m.answer), fmt.Sprintf("the rest of %s, after %s", m.what, suite.Quote(m.answer)), &m.got)
		m.mu.Unlock()
	}
	name := "client"
	if c, ok := actual.(*suite.Conn); ok {
		name = c.Name()
	}
	g := answerForm.FindSubmatch(m.answer)
	if g == nil {
		m.fail(fmt.Sprintf("%s: %s: wrong bytes in %s: %s is not \"[\", a timestamp, \"] \", the line and \"\\n\"", suite.WrongBytes, name, m.what, suite.Quote(m.answer)))
		return false, nil
	}
	stamp := g[1]
	if m.line != nil {
		want := append(append(append([]byte("["), stamp...), "] "+*m.line...), '\n')
		if d := suite.DiffBytes(want, m.answer); d != "" {
			m.fail(fmt.Sprintf("%s: %s: wrong bytes in %s: the line must come back unchanged after \"[%s] \": %s", suite.WrongBytes, name, m.what, stamp, d))
			return false, nil
		}
	}
	if m.stamp != nil {
		*m.stamp = string(stamp)
	}
	return true, nil
}

func (m *answerMatcher) fail(failure string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failure = failure
}

func (m *answerMatcher) FailureMessage(actual any) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failure != "" {
		return m.failure
	}
	return m.inner.FailureMessage(actual)
}

func (m *answerMatcher) NegatedFailureMessage(actual any) string { return m.FailureMessage(actual) }

func (m *answerMatcher) MatchMayChangeInTheFuture(actual any) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failure != "" {
		return false
	}
	if o, ok := m.inner.(interface{ MatchMayChangeInTheFuture(any) bool }); ok {
		return o.MatchMayChangeInTheFuture(actual)
	}
	return true
}

// numberedLine is n printable bytes that show where a cut or a stray stamp
// fell: "00000 00006 00012 ...", each number its own offset.
func numberedLine(n int) string {
	var b strings.Builder
	for b.Len() < n {
		fmt.Fprintf(&b, "%05d ", b.Len())
	}
	return b.String()[:n]
}

// A stamped answer: its timestamp as sent, and read as a wall clock.
type stamped struct {
	conn, line, stamp string
	wall              time.Time
}

func (st stamped) String() string {
	return fmt.Sprintf("%s's %q stamped %q", st.conn, st.line+"\n", st.stamp)
}

func stampList(stamps []stamped) string {
	var out []string
	for _, st := range stamps {
		out = append(out, st.String())
	}
	return strings.Join(out, "; ")
}

// stampOf waits for the answer to line on c and reads its timestamp.
func (s *Session) stampOf(ctx SpecContext, c *suite.Conn, line string) stamped {
	var stamp string
	s.EventuallyWithOffset(1, c).WithContext(ctx).Within(replyTimeout).Should(stampedAnswer("the answer to "+suite.Quote([]byte(line+"\n")), &stamp))
	return stamped{conn: c.Name(), line: line, stamp: stamp, wall: s.ctime(stamp)}
}

// stampNow sends a line on a new connection and returns the timestamp of
// its answer, with the suite's clock just before sending and just after
// the answer came.
func (s *Session) stampNow(ctx SpecContext) (stamp string, sent, got time.Time) {
	c := s.Connect("client")
	sent = time.Now()
	s.Expect(c.WriteString("what time is it?\n")).To(Succeed())
	s.EventuallyWithOffset(1, c).WithContext(ctx).Within(replyTimeout).Should(stampedAnswer(`the answer to "what time is it?\n"`, &stamp))
	return stamp, sent, time.Now()
}

// letASecondPass waits until the server's clock has surely turned to a
// later second than at after: a wait whose purpose is to let time pass,
// bounded, during which nothing is due on c (so it checks that too). Of a
// server whose clock is unknown, that takes a little over a second.
func (s *Session) letASecondPass(ctx SpecContext, c *suite.Conn, after time.Time) {
	wait := timePasses
	if _, known := suite.ServerClock(s.Target); known {
		// The server reads our clock: its next second is ours. Waiting
		// for it rather than a whole second halves these checks on
		// average (README, "Speed").
		wait = max(time.Until(after.Truncate(time.Second).Add(time.Second)), 0) + clockSlack
	}
	s.ConsistentlyWithOffset(1, c).WithContext(ctx).Within(wait).Should(suite.ReceiveNothing("while the client lets a second pass"))
}

// wholeSeconds is how many times the clock's seconds turned over from
// one moment to a later one.
func wholeSeconds(from, to time.Time) int {
	return int(to.Truncate(time.Second).Sub(from.Truncate(time.Second)) / time.Second)
}

// ctime reads a timestamp in the layout of ctime() (see parseCtime), or
// fails the check saying what is wrong with it.
func (s *Session) ctime(stamp string) time.Time {
	wall, err := parseCtime(stamp)
	if err != nil {
		s.fail(string(suite.Violation)+": "+err.Error(), 1)
	}
	return wall
}

// ctimeLayout is ctime()'s layout, with its parts as submatches.
var ctimeLayout = regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) ([ 0-3][0-9]) ([0-9]{2}):([0-9]{2}):([0-9]{2}) ([0-9]{4})$`)

var (
	weekdays = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	months   = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// parseCtime reads a timestamp in the layout of C's ctime() without its
// newline, "Thu Dec  3 09:05:01 2026", and returns it as a wall clock (the
// date and time it shows, in UTC's calendar, whatever the server's zone).
// The error says what is wrong in a learner's words.
func parseCtime(stamp string) (time.Time, error) {
	const form = "ctime()'s layout is Www Mmm dd hh:mm:ss yyyy, 24 characters, e.g. \"Thu Dec  3 09:05:01 2026\""
	m := ctimeLayout.FindStringSubmatch(stamp)
	if m == nil {
		hint := ""
		switch {
		case regexp.MustCompile(`^\d{4}-\d\d-\d\d[ T]\d\d:\d\d`).MatchString(stamp):
			hint = " (it looks like ISO 8601, as str(datetime.now()) writes it)"
		case regexp.MustCompile(`\d\d:\d\d:\d\d[.,]\d`).MatchString(stamp):
			hint = " (it has fractions of a second)"
		case len(stamp) != 24:
			hint = fmt.Sprintf(" (it is %d characters)", len(stamp))
		}
		return time.Time{}, fmt.Errorf("the timestamp %s is not in the layout of ctime()%s; %s", suite.Quote([]byte(stamp)), hint, form)
	}
	day, _ := strconv.Atoi(strings.TrimSpace(m[3]))
	hour, _ := strconv.Atoi(m[4])
	minute, _ := strconv.Atoi(m[5])
	second, _ := strconv.Atoi(m[6])
	year, _ := strconv.Atoi(m[7])
	month := time.Month(slices.Index(months, m[2]) + 1)
	wall := time.Date(year, month, day, hour, minute, second, 0, time.UTC)
	switch {
	case m[3][0] == '0':
		return time.Time{}, fmt.Errorf("the timestamp %q pads the day of the month with a zero (%q, as strftime's %%d does); ctime() pads it with a space (%q, strftime's %%e)", stamp, m[2]+" "+m[3], m[2]+" "+fmt.Sprintf("%2d", day))
	case m[3][0] == ' ' && day == 0:
		return time.Time{}, fmt.Errorf("the timestamp %q has day 0", stamp)
	case hour > 23 || minute > 59 || second > 59:
		return time.Time{}, fmt.Errorf("the timestamp %q is not a time of day (hours 00-23, minutes and seconds 00-59)", stamp)
	case wall.Day() != day || wall.Month() != month:
		return time.Time{}, fmt.Errorf("the timestamp %q is not a date: %s has no day %d", stamp, month, day)
	case weekdays[wall.Weekday()] != m[1]:
		return time.Time{}, fmt.Errorf("the timestamp %q has the wrong weekday: %s %d %d is a %s", stamp, month, day, year, wall.Weekday())
	}
	return wall, nil
}

// inZone is the wall clock of t in zone, in UTC's calendar, to compare
// with parseCtime's: the offset is gone, so a daylight saving change
// cannot make a time ambiguous.
func inZone(t time.Time, zone *time.Location) time.Time {
	w := t.In(zone)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
}

// hasZoneOffset reports whether a time zone's offset from UTC (a whole
// number of quarter hours, from -12 h to +14 h) lies between lo and hi.
func hasZoneOffset(lo, hi time.Duration) bool {
	for q := -12 * 4; q <= 14*4; q++ {
		if off := time.Duration(q) * 15 * time.Minute; off >= lo && off <= hi {
			return true
		}
	}
	return false
}

// offsetWords says how far ahead or behind a clock is: "8h0m0s ahead of".
func offsetWords(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d > 0:
		return d.String() + " ahead of"
	case d < 0:
		return (-d).String() + " behind"
	}
	return "the same as"
}

func zoneName(zone *time.Location) string {
	if zone == time.Local {
		return "the suite's own zone, " + time.Now().Format("MST")
	}
	return zone.String()
}

// seconds is d in whole seconds, rounded down or up.
func seconds(d time.Duration, up bool) int {
	s := int(d / time.Second)
	if up && d%time.Second != 0 {
		s++
	}
	return s
}

func rangeWords(lo, hi int) string {
	if lo == hi {
		return fmt.Sprintf("%d s", lo)
	}
	return fmt.Sprintf("%d to %d s", lo, hi)
}
