package specs

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/socketspec/conformance/suite"
)

// clientRunTimeout is how long one run of a client under test may take: more
// than any bound of the client documents, so that a client that misses a
// bound is seen to miss it, and is then killed.
const clientRunTimeout = 10 * time.Second

// firstDatagramTimeout is how long a UDP check's server waits for the
// client's first datagram: the whole run, since no clause bounds how long
// a client takes to start, and one in a container may take a second or
// more on a busy machine. (A TCP check's script starts at the connection.)
// The bounds that follow count from that first datagram.
const firstDatagramTimeout = clientRunTimeout

// A ClientSession is what one check of a client works with: the client
// under test, the servers the check plays (see Serve), the runs of the
// client, one transcript for all of them, and a Gomega of its own. Its
// assertions fail the check with the runs and the transcript attached, or,
// for a SHOULD clause outside strict mode, skip it with a warning.
type ClientSession struct {
	gomega.Gomega
	Client suite.ClientProgram

	tr       *suite.Transcript
	runs     []*suite.ClientRun
	warnOnly bool
	failed   atomic.Pointer[suite.Recording] // the transcript at the first failure
}

// CheckClient declares one spec of a client clause, as Check does for a
// server clause: body runs with a fresh session and the spec's context.
// Every server it starts is closed afterwards.
func CheckClient(name string, body func(ctx SpecContext, s *ClientSession), decorators ...any) bool {
	if building == nil || building.clause == nil {
		panic(fmt.Sprintf("CheckClient(%q) outside a DescribeClause", name))
	}
	reg, clause := building.reg, *building.clause
	args := append([]any{func(ctx SpecContext) {
		if roots := reg.brokenPremises(clause); len(roots) > 0 {
			Skip(fmt.Sprintf("%s%s, which failed", suite.UncheckedLead, strings.Join(roots, ", ")))
		}
		s := &ClientSession{
			Client:   reg.client,
			tr:       suite.NewTranscript(),
			warnOnly: clause.Level == Should && !reg.cfg.Strict,
		}
		s.Gomega = gomega.NewGomega(s.fail)
		defer func() { // as in Check
			switch rec := s.failed.Load(); {
			case ctx.Err() != nil:
				AddReportEntry(transcriptEntry, s.tr.Recording())
			case rec != nil:
				AddReportEntry(transcriptEntry, rec, ReportEntryVisibilityNever)
			case reg.cfg.AllTranscripts:
				AddReportEntry(transcriptEntry, s.tr.Recording(), ReportEntryVisibilityNever)
			}
		}()
		body(ctx, s)
	}, SpecTimeout(checkTimeout), Offset(1)}, decorators...)
	return It(name, args...)
}

// Serve starts a TCP server that serves every connection with script, for
// the rest of the check.
func (s *ClientSession) Serve(script func(c *suite.ServerConn) error) *suite.ScriptedServer {
	srv, err := suite.NewScriptedServer(s.tr, script)
	s.ExpectWithOffset(1, err).NotTo(gomega.HaveOccurred(), "the check's own server could not start")
	DeferCleanup(srv.Close)
	return srv
}

// ServeUDP starts a UDP server that runs script, for the rest of the check.
func (s *ClientSession) ServeUDP(script func(srv *suite.ScriptedUDPServer) error) *suite.ScriptedUDPServer {
	srv, err := suite.NewScriptedUDPServer(s.tr, script)
	s.ExpectWithOffset(1, err).NotTo(gomega.HaveOccurred(), "the check's own server could not start")
	DeferCleanup(srv.Close)
	return srv
}

// Run runs the client once against the server at addr, with stdin, and
// returns how it went once it has exited or been killed.
func (s *ClientSession) Run(ctx SpecContext, addr string, stdin []byte) *suite.ClientRun {
	return s.run(ctx, suite.Invocation{Addr: addr, Stdin: stdin, Within: clientRunTimeout})
}

// RunHeld is Run with the end of stdin held back: the client reads stdin
// at once, and EOF only once ends is closed (see StdinEnd).
func (s *ClientSession) RunHeld(ctx SpecContext, addr string, stdin []byte, ends <-chan struct{}) *suite.ClientRun {
	return s.run(ctx, suite.Invocation{Addr: addr, Stdin: stdin, StdinEnds: ends, Within: clientRunTimeout})
}

// StdinEnd is an end of stdin for RunHeld, and the function that ends it,
// which the check's server calls when its script says so (once or more).
func (s *ClientSession) StdinEnd() (ends <-chan struct{}, end func()) {
	ch := make(chan struct{})
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.tr.Note("client", "its stdin ends (EOF)")
			close(ch)
		})
	}
}

// RunURL runs an HTTP client once with url.
func (s *ClientSession) RunURL(ctx SpecContext, url string) *suite.ClientRun {
	host := strings.TrimPrefix(url, "http://")
	host, _, _ = strings.Cut(host, "/")
	return s.run(ctx, suite.Invocation{Addr: host, URL: url, Within: clientRunTimeout})
}

func (s *ClientSession) run(ctx SpecContext, inv suite.Invocation) *suite.ClientRun {
	s.tr.Note("client", "the client starts")
	r := s.Client.Run(ctx, inv)
	s.tr.Note("client", "the client %s", ended(r))
	s.runs = append(s.runs, r)
	return r
}

func ended(r *suite.ClientRun) string {
	switch {
	case r.Err != nil:
		return "could not start: " + r.Err.Error()
	case r.TimedOut:
		return "is killed: its time is up"
	case r.ExitCode < 0:
		return "is killed by a signal"
	}
	return fmt.Sprintf("exits with status %d", r.ExitCode)
}

// ClosedAddr is an address of 127.0.0.1 where nothing listens, for the
// rest of the check: a TCP port the check holds bound and never listens
// on, so that a connection is refused. A port merely let go could be taken
// meanwhile by another check's server, in a run of several protocols.
func (s *ClientSession) ClosedAddr() string {
	addr, closeIt, err := suite.ReservePort()
	s.ExpectWithOffset(1, err).NotTo(gomega.HaveOccurred())
	DeferCleanup(closeIt)
	return addr
}

// ClosedUDPAddr is ClosedAddr for UDP: a port the check holds with a
// socket connected elsewhere, so that a datagram to it draws an ICMP port
// unreachable, as where nothing is bound.
func (s *ClientSession) ClosedUDPAddr() string {
	conn, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
	s.ExpectWithOffset(1, err).NotTo(gomega.HaveOccurred())
	DeferCleanup(conn.Close)
	return conn.LocalAddr().String()
}

// Note adds a line to the transcript: what the check's server does next.
func (s *ClientSession) Note(format string, args ...any) { s.tr.Note("server", format, args...) }

// fail is the fail handler of the session's Gomega: it adds the client's
// runs and the transcript to the diagnosis and fails the spec, or skips it
// with a warning.
func (s *ClientSession) fail(message string, callerSkip ...int) {
	skip := 1
	if len(callerSkip) > 0 {
		skip += callerSkip[0]
	}
	s.failed.CompareAndSwap(nil, s.tr.Recording())
	message = suite.StripAsyncPreamble(message) + "\n\n" + s.evidence()
	if s.warnOnly {
		Skip(suite.WarningLead+message, skip)
	}
	Fail(message, skip)
}

// evidence is what a failure shows besides its diagnosis.
func (s *ClientSession) evidence() string {
	var b strings.Builder
	for _, r := range s.runs {
		b.WriteString(r.String())
	}
	b.WriteString(suite.TranscriptLead + s.tr.String())
	return b.String()
}

// Failf fails the check with a diagnosis of the given kind.
func (s *ClientSession) Failf(kind suite.Kind, format string, args ...any) {
	s.fail(string(kind)+": "+fmt.Sprintf(format, args...), 1)
}

// piecePause is the pause between the pieces of an answer: long enough
// that the client reads each piece on its own, on any network.
const piecePause = 100 * time.Millisecond

// expectFailedWhereNothingListens is the verdict every client contract
// gives where nothing listens: a non-zero status and a message on stderr
// within 5 s, and nothing on stdout.
func (s *ClientSession) expectFailedWhereNothingListens(run *suite.ClientRun) {
	s.ExpectWithOffset(1, run).To(suite.FailClearly(5*time.Second, run.Started, "its start (nothing listens at the address)"))
	s.ExpectWithOffset(1, run).To(suite.Print(nil, "nothing: there was no server"))
}

// stamp sends the time on ch, unless ch already holds one: the first of
// several connections counts, and a script never blocks on it.
func stamp(ch chan<- time.Time) {
	select {
	case ch <- time.Now():
	default:
	}
}

// connectedOr is the moment the script stamped ch (as it accepted the
// client's connection), or, when it never did, the client's start. A
// bound on waiting for a silent server counts from the connection: the
// client's start may come a second or more before it, for a client in a
// container on a busy machine.
func connectedOr(ch <-chan time.Time, run *suite.ClientRun) time.Time {
	select {
	case t := <-ch:
		return t
	default:
		return run.Started
	}
}

// receivedOr is the moment the script sent on ch, or, when the script
// never got that far, the end of the run (any bound then holds, and the
// check fails on what the client did instead).
func receivedOr(ch <-chan time.Time, run *suite.ClientRun) time.Time {
	select {
	case t := <-ch:
		return t
	default:
		return run.Ended()
	}
}
