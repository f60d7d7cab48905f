// Package specs holds the conformance specs: one Ginkgo spec tree per
// protocol, each spec filed under the clause of specs/<protocol>.md that it
// checks.
//
// The specs are registered by Register, from any Ginkgo suite, against the
// servers its Config names: this project's command and tests do so (see
// Run), and so can a Go implementer's own test suite:
//
//	var _ = Describe("my echo server", func() {
//		specs.Register(specs.Config{Targets: map[string]suite.Target{"echo": myTarget}})
//	})
package specs

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/socketspec/conformance/suite"
)

// checkTimeout bounds every spec. The wire client's own deadlines are much
// shorter; this is the backstop that guarantees a run never hangs.
const checkTimeout = 60 * time.Second

// Timeouts shared by the specs. A correct server on loopback answers in
// microseconds; these bound how long a spec waits for a broken one.
const (
	replyTimeout = 2 * time.Second        // for an answer that should come at once
	quietWindow  = 300 * time.Millisecond // for "nothing arrives"
)

// Config says what the specs run against.
type Config struct {
	// Targets are the servers under test, by protocol; only these
	// protocols are registered. The caller starts them before the specs
	// run (e.g. in a BeforeSuite) and stops them after: the specs only
	// read Addr, SeesClientAddr and Output.
	Targets map[string]suite.Target
	// Clients are the clients under test, by client protocol (e.g.
	// "echo-client", see ClientProtocols): the specs run each once per
	// check against a server of their own.
	Clients map[string]suite.ClientProgram
	// Strict makes a failed SHOULD clause a failure. Otherwise it is a
	// warning: the spec is skipped with a message that starts with
	// suite.WarningLead.
	Strict bool
	// Profile holds the parameters of a dialect; zero is canonical.
	Profile Profile
	// AllTranscripts keeps the transcript of every check in the result,
	// not only of the failed and warned ones.
	AllTranscripts bool
}

// Protocol declares the specs of one protocol, from a package-level var of
// a spec file. A protocol may be declared in several files (its own, and
// clients.go); Register builds its specs clause by clause in the order of
// its spec document. The declarations themselves are the only package
// state, and they never change after init.
func Protocol(name string, body func()) bool {
	declarations[name] = append(declarations[name], body)
	return true
}

// declarations are the Protocol bodies, by protocol.
var declarations = map[string][]func(){}

// building is what Ginkgo is building right now: set only while the
// declarations run (Ginkgo builds the tree in one goroutine), so that
// DescribeClause and Check know which Config, server and clause their
// specs are for. It holds nothing between registrations.
var building *declaring

type declaring struct {
	reg    *registration
	clause *Clause // the clause whose container is being built, if any
}

// A registration is one protocol registered against one server.
type registration struct {
	cfg      Config
	protocol string
	target   suite.Target        // the server under test, or
	client   suite.ClientProgram // the client under test
	clauses  []pendingClause     // DescribeClause calls, before sorting

	mu       sync.Mutex
	outcomes map[string]suite.Status // each clause's status so far in this run
}

// record adds the status of one check to its clause's outcome.
func (reg *registration) record(id string, status suite.Status) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.outcomes == nil {
		reg.outcomes = map[string]suite.Status{}
	}
	reg.outcomes[id] = suite.ClauseStatus([]suite.CheckResult{{Status: reg.outcomes[id]}, {Status: status}})
}

// brokenPremises lists the failed clauses that c's result would follow
// from: the clauses it presumes that failed (or warned), directly or
// through presumed clauses that were not checked themselves.
func (reg *registration) brokenPremises(c Clause) []string {
	clauses, _ := Clauses(reg.protocol)
	reg.mu.Lock()
	defer reg.mu.Unlock()
	is := func(statuses ...suite.Status) func(string) bool {
		return func(id string) bool { return slices.Contains(statuses, reg.outcomes[id]) }
	}
	return Consequences(clauses, is(suite.Failed, suite.Warned), is(suite.Unchecked))[c.ID]
}

// A pendingClause is a DescribeClause waiting for its place.
type pendingClause struct {
	clause Clause
	body   func()
}

// Register declares, in the current Ginkgo container, the specs of every
// protocol in cfg.Targets: one container per protocol, labelled with its
// name, and in it one container per clause, labelled with the clause ID
// and level, so "--label-filter echo-4" runs one clause. It may be called
// any number of times, e.g. once per server of a suite.
func Register(cfg Config) {
	for _, name := range append(Protocols(), ClientProtocols()...) {
		reg := &registration{cfg: cfg, protocol: name, target: cfg.Targets[name], client: cfg.Clients[name]}
		if reg.target == nil && reg.client == nil {
			continue
		}
		Describe(name, Label(name), func() {
			AfterEach(func() {
				// Later checks of clauses that presume this one look here.
				report := CurrentSpecReport()
				reg.record(clauseLabel(report.Labels()), statusOf(report, cfg.Strict))
			})
			AfterEach(func() {
				// A failing spec's report carries what the server printed.
				if reg.target != nil && CurrentSpecReport().Failed() {
					if out := reg.target.Output(); out != "" {
						AddReportEntry(serverOutputEntry, out)
					}
				}
			})
			for i, pc := range reg.collect() {
				// Ginkgo orders specs by code location: give each clause
				// container the place of its clause in the run order, so
				// that premises run first wherever their checks are
				// written (clients.go, a protocol's own file).
				runOrder := types.CodeLocation{FileName: "specs/" + name + ".md", LineNumber: i + 1}
				Describe(fmt.Sprintf("%s [%s] %s", pc.clause.ID, pc.clause.Level, pc.clause.Text),
					Label(pc.clause.ID, string(pc.clause.Level)), runOrder, func() {
						building = &declaring{reg: reg, clause: &pc.clause}
						defer func() { building = nil }()
						pc.body()
					})
			}
		})
	}
}

// collect runs the protocol's declarations, gathering their clauses in the
// order they run in: the document's, except that a clause comes after the
// clauses it presumes.
func (reg *registration) collect() []pendingClause {
	building = &declaring{reg: reg}
	defer func() { building = nil }()
	reg.clauses = nil
	for _, body := range declarations[reg.protocol] {
		body()
	}
	clauses, _ := Clauses(reg.protocol)
	order, _ := presumptionOrder(clauses) // the document was checked when parsed
	rank := map[string]int{}
	for i, c := range order {
		rank[c.ID] = i
	}
	pending := reg.clauses
	slices.SortStableFunc(pending, func(a, b pendingClause) int { return rank[a.clause.ID] - rank[b.clause.ID] })
	return pending
}

// DescribeClause declares the specs that check one clause. The container's
// text is the clause itself, as the spec document words it. It may be
// called only in a Protocol declaration.
func DescribeClause(id string, body func()) bool {
	if building == nil {
		panic(fmt.Sprintf("DescribeClause(%q) outside a Protocol declaration", id))
	}
	building.reg.clauses = append(building.reg.clauses, pendingClause{clause: clauseByID(id), body: body})
	return true
}

// undeclared lists the clauses of the given protocols that no spec checks.
func undeclared(protocols []string) []string {
	var missing []string
	for _, p := range protocols {
		clauses, err := Clauses(p)
		if err != nil {
			missing = append(missing, err.Error())
			continue
		}
		declared := map[string]bool{}
		for _, pc := range (&registration{protocol: p}).collect() {
			declared[pc.clause.ID] = true
		}
		for _, c := range clauses {
			if !declared[c.ID] {
				missing = append(missing, c.ID)
			}
		}
	}
	return missing
}

// A Session is what one check works with: the server under test, a wire
// client whose connections share one transcript, and a Gomega of its own.
// Its assertions fail the check with the transcript attached, or, for a
// SHOULD clause outside strict mode, skip it with a warning.
type Session struct {
	gomega.Gomega
	*suite.Client
	Target  suite.Target
	Profile Profile

	warnOnly bool // a SHOULD clause, not in strict mode
	// failed is the transcript as it was at the check's first failure
	// (or warning): the one its message shows.
	failed atomic.Pointer[suite.Recording]
}

// Check declares one spec: a check of the enclosing clause. body runs with
// a fresh session and the spec's context, which every wait must use
// (s.Eventually(conn).WithContext(ctx)...) so that an interrupt or the
// spec's timeout stops it at once; every connection the body opens is
// closed afterwards.
func Check(name string, body func(ctx SpecContext, s *Session), decorators ...any) bool {
	if building == nil || building.clause == nil {
		panic(fmt.Sprintf("Check(%q) outside a DescribeClause", name))
	}
	reg, clause := building.reg, *building.clause
	args := append([]any{func(ctx SpecContext) {
		// A check whose premises failed cannot be judged: its failure
		// would only repeat theirs, and waiting for it would take time.
		if roots := reg.brokenPremises(clause); len(roots) > 0 {
			Skip(fmt.Sprintf("%s%s, which failed", suite.UncheckedLead, strings.Join(roots, ", ")))
		}
		s := &Session{
			Client:   suite.NewClient(reg.target.Addr()),
			Target:   reg.target,
			Profile:  reg.cfg.Profile,
			warnOnly: clause.Level == Should && !reg.cfg.Strict,
		}
		s.Gomega = gomega.NewGomega(s.fail)
		defer s.Close()
		defer func() {
			// The transcript goes to the report as data (see resultOf):
			// the one the failure message shows, as the message has it
			// already; when the spec's timeout (or an interrupt) cut the
			// check short, the failure is Ginkgo's, without our
			// transcript, so it is shown too (see messageOf).
			switch rec := s.failed.Load(); {
			case ctx.Err() != nil:
				AddReportEntry(transcriptEntry, s.Transcript().Recording())
			case rec != nil:
				AddReportEntry(transcriptEntry, rec, ReportEntryVisibilityNever)
			case reg.cfg.AllTranscripts:
				AddReportEntry(transcriptEntry, s.Transcript().Recording(), ReportEntryVisibilityNever)
			}
		}()
		body(ctx, s)
	}, SpecTimeout(checkTimeout), Offset(1)}, decorators...)
	return It(name, args...)
}

// transcriptEntry names the report entry that carries the transcript of a
// check, a *suite.Recording.
const transcriptEntry = "transcript"

// serverOutputEntry names the report entry that carries the last lines
// the server printed.
const serverOutputEntry = "server output (last lines)"

// fail is the fail handler of the session's Gomega: it adds the transcript
// to the diagnosis and fails the spec, or skips it with a warning.
func (s *Session) fail(message string, callerSkip ...int) {
	skip := 1
	if len(callerSkip) > 0 {
		skip += callerSkip[0]
	}
	message = suite.StripAsyncPreamble(message)
	rec := s.Transcript().Recording()
	s.failed.CompareAndSwap(nil, rec)
	message += suite.TranscriptLead + rec.String()
	if s.warnOnly {
		Skip(suite.WarningLead+message, skip)
	}
	Fail(message, skip)
}

// Failf fails the check with a diagnosis of the given kind, e.g.
// s.Failf(suite.Violation, "GET / got status %d, not 200", code).
func (s *Session) Failf(kind suite.Kind, format string, args ...any) {
	s.fail(string(kind)+": "+fmt.Sprintf(format, args...), 1)
}

// Connect opens a connection to the server, failing the check with the
// diagnosis (nothing listening, timed out) when it cannot.
func (s *Session) Connect(name string) *suite.Conn {
	c, err := s.Dial(name)
	s.ExpectWithOffset(1, err).To(gomega.Succeed())
	return c
}

// ConnectUDP opens a UDP client socket for talking to the server.
func (s *Session) ConnectUDP(name string) *suite.UDPConn {
	c, err := s.DialUDP(name)
	s.ExpectWithOffset(1, err).To(gomega.Succeed())
	return c
}

// InParallel runs body n times at once, each in its own goroutine with a
// Gomega of its own, and waits for them all; then the first failure, if
// any, fails the check. A failed assertion ends only its own goroutine.
func (s *Session) InParallel(n int, body func(g gomega.Gomega, i int)) {
	failures := make([]string, n)
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			defer func() {
				if r := recover(); r != nil && r != errStopGoroutine {
					failures[i] = fmt.Sprintf("panic: %v", r)
				}
			}()
			g := gomega.NewGomega(func(message string, _ ...int) {
				failures[i] = message
				panic(errStopGoroutine)
			})
			body(g, i)
		}()
	}
	for range n {
		<-done
	}
	for _, f := range failures {
		if f != "" {
			s.fail(f, 1)
		}
	}
}

// Try runs body with a Gomega of its own and returns its first failure as
// an error instead of failing the check: for outcomes a clause allows
// ("a 431, or the connection closed"). The error is a *suite.Error when the
// failure was a wire diagnosis, so suite.IsKind tells what happened.
func (s *Session) Try(body func(g gomega.Gomega)) (err error) {
	defer func() {
		if r := recover(); r != nil && r != errStopGoroutine {
			panic(r)
		}
	}()
	g := gomega.NewGomega(func(message string, _ ...int) {
		err = suite.ParseDiagnosis(suite.StripAsyncPreamble(message))
		panic(errStopGoroutine)
	})
	body(g)
	return nil
}

// errStopGoroutine ends a goroutine of InParallel at its first failure.
var errStopGoroutine = fmt.Errorf("stop this goroutine: it failed")
