package suite

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies what went wrong on the wire. Every failure a spec reports
// is one of these, so a reader knows at once which side to look at.
type Kind string

const (
	NothingListening Kind = "nothing listening"
	TimedOut         Kind = "timed out"
	WrongBytes       Kind = "wrong bytes"
	ClosedEarly      Kind = "connection closed early"
	ConnReset        Kind = "connection reset"
	UnexpectedBytes  Kind = "unexpected bytes"
	NotClosed        Kind = "not closed"
	Violation        Kind = "protocol violation" // well-formed bytes that break a rule
)

// An Error is a diagnosis: what kind of thing went wrong and, in one or two
// sentences, what the client was doing and what it saw.
type Error struct {
	Kind   Kind
	Detail string
}

func (e *Error) Error() string { return string(e.Kind) + ": " + e.Detail }

// FormattedGomegaError makes Gomega show the diagnosis as it is, without
// its "Expected success, but got an error" framing and type dump:
// Expect(conn.Write(p)).To(Succeed()) then fails with the diagnosis alone.
func (e *Error) FormattedGomegaError() string { return e.Error() }

// Errorf returns an *Error of the given kind.
func Errorf(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// kinds are every Kind, for ParseDiagnosis.
var kinds = []Kind{NothingListening, TimedOut, WrongBytes, ClosedEarly, ConnReset, UnexpectedBytes, NotClosed, Violation}

// ParseDiagnosis turns a failure message that starts with a Kind (as the
// matchers' do) back into an *Error; any other message becomes an *Error
// of kind Violation.
func ParseDiagnosis(message string) error {
	for _, k := range kinds {
		if detail, ok := strings.CutPrefix(message, string(k)+": "); ok {
			return &Error{Kind: k, Detail: detail}
		}
	}
	return &Error{Kind: Violation, Detail: message}
}

// IsKind reports whether err is an *Error of the given kind.
func IsKind(err error, kind Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == kind
}

// DiffBytes describes where got first differs from want: the offset and a
// window of bytes around it on both sides, in hex and as quoted text, e.g.
//
//	first difference at offset 13 (of 256 expected, 256 received)
//	  expected  0b 0c [0d] 0e 0f  "\x0b\x0c\r\x0e\x0f"
//	  received  0b 0c [0a] 0e 0f  "\x0b\x0c\n\x0e\x0f"
//
// It returns "" when got is want. When got is the beginning of want, it
// says so and how many bytes are missing: the bytes that came were right,
// and the reader should look at why the rest did not come.
func DiffBytes(want, got []byte) string {
	off := commonPrefix(want, got)
	switch {
	case off == len(got) && off == len(want):
		return ""
	case off == len(got):
		return fmt.Sprintf("the %d bytes received are the beginning of the %d expected, right up to their end; the other %d never came",
			len(got), len(want), len(want)-len(got))
	}
	return diffAt(want, got, off)
}

// DiffPrefix is DiffBytes for bytes still arriving: it returns "" while
// got is the beginning of want (nothing wrong so far).
func DiffPrefix(want, got []byte) string {
	off := commonPrefix(want, got)
	if off == len(got) {
		return ""
	}
	return diffAt(want, got, off)
}

func commonPrefix(want, got []byte) int {
	off := 0
	for off < len(want) && off < len(got) && want[off] == got[off] {
		off++
	}
	return off
}

// diffAt shows want and got around offset off, where they differ (or
// where one of them ends).
func diffAt(want, got []byte, off int) string {
	const before, after = 8, 8
	from := max(0, off-before)
	row := func(p []byte) string {
		if off >= len(p) {
			return "(ends here)"
		}
		to := min(len(p), off+after+1)
		var hex strings.Builder
		for i := from; i < to; i++ {
			if i == off {
				fmt.Fprintf(&hex, "[%02x] ", p[i])
			} else {
				fmt.Fprintf(&hex, "%02x ", p[i])
			}
		}
		return hex.String() + " " + Quote(p[from:to])
	}
	return fmt.Sprintf("first difference at offset %d (of %d expected, %d received)\n  expected  %s\n  received  %s",
		off, len(want), len(got), row(want), row(got))
}
