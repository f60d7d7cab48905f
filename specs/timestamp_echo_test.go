package specs

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/socketspec/conformance/suite"
)

// parseCtime accepts exactly ctime()'s layout and says what is wrong with
// anything else. A faulty server cannot prove the checks of the day's
// padding (it is wrong only on days 1 to 9), so they are proved here.
func TestParseCtime(t *testing.T) {
	for _, stamp := range []string{"Thu Dec  3 09:05:01 2026", "Wed Jun 30 21:49:08 1993", "Sat Feb 29 23:59:59 2020"} {
		wall, err := parseCtime(stamp)
		if err != nil {
			t.Errorf("%q: %v", stamp, err)
			continue
		}
		if got := wall.Format(time.ANSIC); got != stamp {
			t.Errorf("%q read as %q", stamp, got)
		}
	}
	for stamp, want := range map[string]string{
		"Thu Dec 03 09:05:01 2026":    `pads the day of the month with a zero ("Dec 03", as strftime's %d does); ctime() pads it with a space ("Dec  3"`,
		"Thu Dec 3 09:05:01 2026":     "(it is 23 characters)",
		"2026-12-03 09:05:01.123456":  "looks like ISO 8601",
		"Thu Dec  3 09:05:01.12 2026": "fractions of a second",
		"Wed Dec  3 09:05:01 2026":    "the wrong weekday: December 3 2026 is a Thursday",
		"Mon Feb 30 09:05:01 2026":    "is not a date: February has no day 30",
		"Thu Dec  3 24:05:01 2026":    "not a time of day",
		"Thu Dec  0 09:05:01 2026":    "day 0",
		"thu dec  3 09:05:01 2026":    "not in the layout of ctime()",
		"Thu Dec  3 09:05:01 2026\n":  "not in the layout of ctime()",
	} {
		_, err := parseCtime(stamp)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error with %q", stamp, err, want)
		}
	}
}

func TestHasZoneOffset(t *testing.T) {
	for _, c := range []struct {
		lo, hi time.Duration
		want   bool
	}{
		{-2 * time.Second, 3 * time.Second, true},                                        // UTC
		{5*time.Hour + 45*time.Minute - time.Second, 5*time.Hour + 45*time.Minute, true}, // Nepal
		{8 * time.Hour, 8*time.Hour + 3*time.Second, true},
		{-12*time.Hour - time.Second, -12 * time.Hour, true},
		{14*time.Hour + 15*time.Minute, 14*time.Hour + 15*time.Minute + 5*time.Second, false},
		{7 * time.Minute, 7*time.Minute + 5*time.Second, false}, // a clock 7 minutes off
		{-13 * time.Hour, -13*time.Hour + 5*time.Second, false},
	} {
		if got := hasZoneOffset(c.lo, c.hi); got != c.want {
			t.Errorf("hasZoneOffset(%v, %v) = %v", c.lo, c.hi, got)
		}
	}
}

func TestNumberedLine(t *testing.T) {
	line := numberedLine(65535)
	if len(line) != 65535 || !strings.HasPrefix(line, "00000 00006 ") || strings.ContainsAny(line, "\n]") {
		t.Errorf("numberedLine: %d bytes, starting %q", len(line), line[:24])
	}
}

// The answer matcher takes a timestamp with a newline in it (ctime()'s) as
// a timestamp, leaving it to timestamp-echo-7, and tells an answer of the
// wrong form at once.
func TestAnswerMatcher(t *testing.T) {
	for _, c := range []struct {
		sent    string
		matcher func(stamp *string) types.GomegaMatcher
		stamp   string // "" when it must fail
		failure string
	}{
		{"[Thu Dec  3 09:05:01 2026] hello\n", func(st *string) types.GomegaMatcher { return answered("hello", st) }, "Thu Dec  3 09:05:01 2026", ""},
		{"[Thu Dec  3 09:05:01 2026\n] hello\n", func(st *string) types.GomegaMatcher { return answered("hello", st) }, "Thu Dec  3 09:05:01 2026\n", ""},
		{"[2026-12-03 09:05:01.123456] anything\n", func(st *string) types.GomegaMatcher { return stampedAnswer("the answer", st) }, "2026-12-03 09:05:01.123456", ""},
		{"[Thu Dec  3 09:05:01 2026] HELLO\n", func(st *string) types.GomegaMatcher { return answered("hello", st) }, "", "the line must come back unchanged"},
		{"two\n", func(st *string) types.GomegaMatcher { return answered("two", st) }, "", `"two\n" is not "[", a timestamp`},
		{"[Thu Dec  3 09:05:01 2026] b'hello\\n'", func(st *string) types.GomegaMatcher { return answered("hello", st) }, "", "with no end of line"},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			if s, err := ln.Accept(); err == nil {
				s.Write([]byte(c.sent))
				io.Copy(io.Discard, s) // open until the client closes: an incomplete answer times out, it is not cut short
				s.Close()
			}
		}()
		cl := suite.NewClient(ln.Addr().String())
		conn, err := cl.Dial("client")
		if err != nil {
			t.Fatal(err)
		}
		var stamp string
		var failure string
		g := gomega.NewGomega(func(message string, _ ...int) { failure = message })
		ok := g.Eventually(conn).Within(300 * time.Millisecond).Should(c.matcher(&stamp))
		switch {
		case c.stamp != "" && (!ok || stamp != c.stamp):
			t.Errorf("%q: matched %v, stamp %q; failure %q", c.sent, ok, stamp, failure)
		case c.stamp == "" && (ok || !strings.Contains(failure, c.failure)):
			t.Errorf("%q: matched %v; failure %q, want one with %q", c.sent, ok, failure, c.failure)
		}
		cl.Close()
		ln.Close()
	}
}
