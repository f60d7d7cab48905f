// Package specs holds the conformance specs: one Ginkgo spec tree per
// protocol, each spec filed under the clause of specs/<protocol>.md that it
// checks. The same specs run from `go test ./specs` (against the Go
// reference servers) and from the conformance command (against any server).
package specs

import (
	"fmt"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/socketspec/conformance/suite"
)

// checkTimeout bounds every spec. The wire client's own deadlines are much
// shorter; this is the backstop that guarantees a run never hangs.
const checkTimeout = 60 * time.Second

// Config says what the specs run against.
type Config struct {
	// Targets are the servers under test, by protocol. They are started
	// before the specs run and stopped after.
	Targets map[string]suite.Target
	// Strict makes a failed SHOULD clause a failure rather than a warning.
	Strict bool
	// Profile holds the parameters of a dialect; zero is canonical.
	Profile Profile
}

var (
	config  Config
	current *Session // the spec running now; specs run one at a time
	// declaring is the protocol whose spec tree is being built.
	declaring string
	// declared records, as the tree is built, which clauses have specs.
	declared = map[string]int{}
)

// Protocol declares specs of one protocol. A protocol may be declared in
// several files (its own, and clients.go); its specs run in the order of
// its spec document, clause by clause.
func Protocol(name string, body func()) bool {
	bodies[name] = append(bodies[name], body)
	return true
}

// bodies are the Protocol declarations, by protocol.
var bodies = map[string][]func(){}

// One top-level container per protocol, labelled with its name so a run
// can select it (--label-filter, or --protocol in the command). Its
// contents are built when Ginkgo builds the tree, once every file has
// declared its specs.
var _ = func() bool {
	for _, name := range Protocols() {
		Describe(name, Label(name), func() {
			declaring = name
			AfterEach(func() {
				// A failing spec's report carries what the server printed.
				if t := config.Targets[name]; t != nil && CurrentSpecReport().Failed() {
					if out := t.Output(); out != "" {
						AddReportEntry("server output (last lines)", out)
					}
				}
			})
			// Collect the clauses of every declaration, then declare them
			// in the document's order.
			collecting = &[]pendingClause{}
			for _, body := range bodies[name] {
				body()
			}
			clauses := *collecting
			collecting = nil
			slices.SortStableFunc(clauses, func(a, b pendingClause) int { return a.clause.Number - b.clause.Number })
			for _, c := range clauses {
				Describe(fmt.Sprintf("%s [%s] %s", c.clause.ID, c.clause.Level, c.clause.Text), Label(c.clause.ID, string(c.clause.Level)), c.body)
			}
		})
	}
	return true
}()

// A pendingClause is a DescribeClause waiting for its place.
type pendingClause struct {
	clause Clause
	body   func()
}

// collecting gathers DescribeClause calls while a protocol is being built.
var collecting *[]pendingClause

// DescribeClause declares the specs that check one clause. The container's
// text is the clause itself, as the spec document words it, and its labels
// are the clause ID and level, so "--label-filter echo-4" runs just that
// clause. It may be called only inside a Protocol body.
func DescribeClause(id string, body func()) bool {
	c := clauseByID(id)
	declared[id]++
	if collecting == nil {
		panic(fmt.Sprintf("DescribeClause(%q) outside a Protocol body", id))
	}
	*collecting = append(*collecting, pendingClause{clause: c, body: body})
	return true
}

// A Session is what a spec body gets: the server's address, a wire client
// whose connections share one transcript, and the target itself.
type Session struct {
	*suite.Session
	Target suite.Target
	ctx    SpecContext
}

// Check declares one spec: a check of the enclosing clause. body runs with
// a fresh session; every connection it opens is closed afterwards.
func Check(name string, body func(s *Session), decorators ...any) bool {
	protocol := declaring
	args := append([]any{func(ctx SpecContext) {
		t := config.Targets[protocol]
		if t == nil {
			Fail(fmt.Sprintf("no server under test for protocol %q", protocol))
		}
		s := &Session{Session: suite.NewSession(t.Addr()), Target: t, ctx: ctx}
		current = s
		defer func() { s.Close(); current = nil }()
		body(s)
	}, SpecTimeout(checkTimeout), Offset(1)}, decorators...)
	return It(name, args...)
}

// fail is the fail handler of every check (Gomega's too): it adds the
// session's transcript to the message and, for a SHOULD clause outside
// strict mode, reports a warning (a skip) instead of a failure.
func fail(message string, callerSkip ...int) {
	skip := 1
	if len(callerSkip) > 0 {
		skip += callerSkip[0]
	}
	if current != nil {
		message += "\n\nTranscript (-> client to server, <- server to client):\n" + current.Transcript().String()
	}
	labels := CurrentSpecReport().Labels()
	for _, l := range labels {
		if l == string(Should) && !config.Strict {
			Skip(suite.WarningLead+message, skip)
		}
	}
	Fail(message, skip)
}

// must fails the spec with err's diagnosis when err is not nil.
func must(err error) {
	if err != nil {
		fail(err.Error(), 1)
	}
}

// failf fails the spec with a formatted diagnosis of the given kind.
func failf(kind suite.Kind, format string, args ...any) {
	fail(string(kind)+": "+fmt.Sprintf(format, args...), 1)
}

// firstError returns the first non-nil error, for checks that run several
// connections at once and collect their errors.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// undeclared lists the clauses of the given protocols that no spec checks.
// It is meaningful once the spec tree has been built.
func undeclared(protocols []string) []string {
	var missing []string
	for _, p := range protocols {
		clauses, err := Clauses(p)
		if err != nil {
			missing = append(missing, err.Error())
			continue
		}
		for _, c := range clauses {
			if declared[c.ID] == 0 {
				missing = append(missing, c.ID)
			}
		}
	}
	return missing
}

// Connect opens a connection to the server, failing the spec with the
// diagnosis (nothing listening, timed out) when it cannot.
func (s *Session) Connect(name string) *suite.Conn {
	c, err := s.Dial(name)
	must(err)
	return c
}

// Timeouts shared by the specs. A correct server on loopback answers in
// microseconds; these bound how long a spec waits for a broken one.
const (
	replyTimeout = 2 * time.Second        // for an answer that should come at once
	quietWindow  = 300 * time.Millisecond // for "nothing arrives"
)
