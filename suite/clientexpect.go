package suite

import (
	"bytes"
	"fmt"
	"time"

	"github.com/onsi/gomega/types"
)

// The matchers of this file judge a *ClientRun, e.g.
//
//	run := s.Run(ctx, srv.Addr(), stdin)
//	s.Expect(run).To(suite.Print(banner, "the banner"))
//	s.Expect(run).To(suite.ExitZero(2*time.Second, closedAt, "the server's EOF"))
//
// Their failure messages say what the client did, kind first, like the
// wire matchers'; the check's failure adds the run itself (see
// ClientRun.String) and the transcript.

// Print succeeds when the client wrote exactly want to stdout. what names
// the bytes, e.g. "the banner".
func Print(want []byte, what string) types.GomegaMatcher {
	return &runMatcher{match: func(r *ClientRun) string {
		if diff := DiffBytes(want, r.Stdout); diff != "" {
			return fmt.Sprintf("%s: the client was to print exactly %s (%d bytes) and printed %d bytes: %s",
				WrongBytes, what, len(want), len(r.Stdout), diff)
		}
		return ""
	}}
}

// ExitZero succeeds when the client exited with status 0 within d of
// since, the moment its work was over ("the server's EOF").
func ExitZero(d time.Duration, since time.Time, what string) types.GomegaMatcher {
	return &runMatcher{match: func(r *ClientRun) string {
		if why := notExited(r, d, since, what); why != "" {
			return why
		}
		if r.ExitCode != 0 {
			return fmt.Sprintf("%s: the client exited with status %d after %s; it must exit 0", Violation, r.ExitCode, what)
		}
		return ""
	}}
}

// FailClearly succeeds when the client exited with a non-zero status and
// said why on stderr, within d of since.
func FailClearly(d time.Duration, since time.Time, what string) types.GomegaMatcher {
	return &runMatcher{match: func(r *ClientRun) string {
		if why := notExited(r, d, since, what); why != "" {
			return why
		}
		switch {
		case r.ExitCode == 0:
			return fmt.Sprintf("%s: the client exited with status 0 after %s: a failure must give a non-zero status, or scripts take it for success", Violation, what)
		case len(bytes.TrimSpace(r.Stderr)) == 0:
			return fmt.Sprintf("%s: the client exited with status %d after %s but said nothing on stderr: the user cannot tell what went wrong", Violation, r.ExitCode, what)
		}
		return ""
	}}
}

// notExited says how a run that should have ended within d of since did
// not: killed when its time was up, or ended too late.
func notExited(r *ClientRun, d time.Duration, since time.Time, what string) string {
	switch {
	case r.Err != nil:
		return fmt.Sprintf("the client could not be started: %v", r.Err)
	case r.TimedOut:
		return fmt.Sprintf("%s: the client was still running %.1f s after it started, %.1f s after %s; it must exit within %v of it",
			TimedOut, r.Duration.Seconds(), r.Ended().Sub(since).Seconds(), what, d)
	case r.ExitCode < 0:
		return fmt.Sprintf("%s: the client was killed by a signal after %s", Violation, what)
	case r.Ended().Sub(since) > d:
		return fmt.Sprintf("%s: the client exited %.1f s after %s; it must exit within %v of it",
			TimedOut, r.Ended().Sub(since).Seconds(), what, d)
	}
	return ""
}

// A runMatcher judges a *ClientRun with match, which returns "" when it
// passes and the diagnosis otherwise.
type runMatcher struct {
	match func(*ClientRun) string
	why   string
}

func (m *runMatcher) Match(actual any) (bool, error) {
	r, ok := actual.(*ClientRun)
	if !ok {
		return false, fmt.Errorf("a client matcher needs a *suite.ClientRun, got %T", actual)
	}
	m.why = m.match(r)
	return m.why == "", nil
}

func (m *runMatcher) FailureMessage(any) string { return m.why }

func (m *runMatcher) NegatedFailureMessage(any) string {
	return "the client run matched, and was expected not to"
}
