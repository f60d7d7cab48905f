package specs

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/socketspec/conformance/suite"
)

// A room is the chat clients of one spec. Members join through a barrier
// (see "How the suite knows a client has joined" in chat.md), and each has a
// goroutine reading the lines relayed to it. The matchers below wait on what
// those readers saw:
//
//	Eventually(b).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, "hello"))
//	Consistently(a).WithContext(ctx).Within(quietWindow).Should(noRelayedLine("after sending a line"))
//
// When the spec ends, its members leave, and the room waits until the
// server has seen them go (see close), so that nothing of one spec reaches
// the next.
type room struct {
	s       *Session
	profile Profile
	exact   bool          // the server sees our clients' own addresses (no NAT)
	members []*member     // joined, in order
	readers []*member     // every member whose reader goroutine was started
	joins   chan joinSeen // join lines the readers saw
	// The readers' context: it outlives the spec's, which ends with the
	// spec's body, so that the readers can drain while the room closes.
	ctx      context.Context
	stop     context.CancelFunc
	closing  chan struct{} // closed when the room closes: readers discard what still comes
	lastLine atomic.Int64  // when a reader last received a line (UnixNano)
	closed   sync.Once

	mu       sync.Mutex
	prefixes map[*member]string // the prefix each member's lines carry, once seen
}

// A member is one chat client. Its reader goroutine puts every relayed line
// on lines, except join lines, which it reports to the room.
type member struct {
	*suite.Conn
	lines chan []byte   // closed when reading ends
	end   error         // why reading ended, valid once lines is closed
	done  chan struct{} // closed when the reader has returned
}

// GoString names the member. Gomega formats the actual value of
// Eventually(ctx, m) with %#v (to tell a context from a duration): this
// keeps that cheap, and from reading the fields the reader goroutine
// writes. The specs write Eventually(m).WithContext(ctx), which avoids it.
func (m *member) GoString() string { return "chat member " + m.Name() }

// joinSeen says that the join line of the member named who reached at.
type joinSeen struct {
	at  *member
	who string
}

const (
	maxChatLine = 128 << 10 // longest relayed line the reader accepts: a 64 KiB line may be relayed
	joinMarker  = "socketspec-join "
	joinTimeout = 5 * time.Second        // for a join line to reach every member
	joinRepeat  = 250 * time.Millisecond // a newcomer says its join line again this often
	// A closing room waits for the server to close its members'
	// connections: for leaveTimeout at most, and if the server has closed
	// none of them yet, only until nothing has arrived for leaveQuiet.
	leaveQuiet   = 2 * time.Second
	leaveTimeout = 5 * time.Second
)

func newRoom(s *Session) *room {
	// With a profile's own prefix there is no address to check exactly.
	exact := s.Target.SeesClientAddr() && s.Profile.prefix == nil
	ctx, stop := context.WithCancel(context.Background())
	return &room{
		s: s, profile: s.Profile, exact: exact,
		joins: make(chan joinSeen, 8192), ctx: ctx, stop: stop, closing: make(chan struct{}),
		prefixes: map[*member]string{},
	}
}

// listen connects a member that reads but does not join through the
// barrier: for checks that nothing arrives.
func (r *room) listen(name string) *member {
	GinkgoHelper()
	m := r.newMember(name)
	r.startReading(m)
	return m
}

// join connects a new member and returns once every earlier member has
// received its join line, so the server has certainly registered it (and
// them). It fails the spec if that takes more than joinTimeout.
func (r *room) join(ctx context.Context, name string) *member {
	GinkgoHelper()
	return r.joinWith(r.s, ctx, name)
}

// joinWith is join with the barrier's failure going to g, which may be a
// Gomega of Session.Try's.
func (r *room) joinWith(g Gomega, ctx context.Context, name string) *member {
	GinkgoHelper()
	m := r.listen(name)
	g.Eventually(m).WithContext(ctx).Within(joinTimeout).Should(r.joinHeard())
	r.members = append(r.members, m)
	return m
}

// joinUnread connects a client that nothing reads (until startReading, if
// ever), and returns once the members have its join line. Later joiners do
// not wait for it.
func (r *room) joinUnread(ctx context.Context, name string) *member {
	GinkgoHelper()
	m := r.newMember(name)
	r.s.Eventually(m).WithContext(ctx).Within(joinTimeout).Should(r.joinHeard())
	return m
}

// newMember connects a member, with no reader yet.
func (r *room) newMember(name string) *member {
	GinkgoHelper()
	return &member{Conn: r.s.Connect(name), lines: make(chan []byte, 8192), done: make(chan struct{})}
}

// startReading starts m's reader goroutine.
func (r *room) startReading(m *member) {
	r.readers = append(r.readers, m)
	go r.read(m)
}

// read runs in its own goroutine until the connection ends. It reads with
// a Gomega of its own that never fails the spec: how reading ended is kept
// in m.end, for the matchers to report. Once the room closes, it reads on
// until the server closes the connection, and drops what it reads.
func (r *room) read(m *member) {
	defer close(m.done)
	defer close(m.lines)
	var failure string
	g := NewGomega(func(message string, _ ...int) { failure = message })
	for {
		var line []byte
		// No line for the whole of a spec's time is the end of reading too.
		if !g.Eventually(m.Conn).WithContext(r.ctx).Within(checkTimeout).Should(suite.ReceiveLine(maxChatLine, "a relayed line", &line)) {
			m.end = suite.ParseDiagnosis(suite.StripAsyncPreamble(failure))
			return
		}
		r.lastLine.Store(time.Now().UnixNano())
		select {
		case <-r.closing:
			continue // the spec is over
		default:
		}
		if r.profile.notice(line) {
			continue // the server's own notice, which the profile says to ignore
		}
		if i := bytes.Index(line, []byte(joinMarker)); i >= 0 {
			var who string
			fmt.Sscanf(string(line[i+len(joinMarker):]), "%s", &who)
			select {
			case r.joins <- joinSeen{at: m, who: who}:
			default: // nobody is waiting for joins any more
			}
			continue
		}
		select {
		case m.lines <- line:
		case <-r.closing:
		}
	}
}

// close ends the room when its spec ends. Each member that still reads
// half-closes its connection, and the room waits until the server has
// closed them all: then the server has taken every line the members sent,
// relayed it, and seen each member leave, so none of this spec's lines or
// departures can reach the next spec's members. A server that closes
// none of them is waited for until nothing has arrived for leaveQuiet (it
// may not close a connection after the client's FIN at all); one that
// does, for at most leaveTimeout; none, once ctx is done (the spec was
// interrupted or timed out). Then every connection is closed. Only the
// first call does all this.
func (r *room) close(ctx context.Context) {
	r.closed.Do(func() { r.leave(ctx) })
}

func (r *room) leave(ctx context.Context) {
	close(r.closing)
	start := time.Now()
	r.lastLine.Store(start.UnixNano())
	var open []*member
	for _, m := range r.readers {
		select {
		case <-m.done: // the connection has ended already
		default:
			m.CloseWrite() // an error: the connection has ended meanwhile
			open = append(open, m)
		}
	}
	for {
		var waiting *member
		closed := 0
		for _, m := range open {
			switch {
			case isDone(m):
				closed++
			case waiting == nil:
				waiting = m
			}
		}
		if waiting == nil {
			break
		}
		until := start.Add(leaveTimeout)
		if idle := time.Unix(0, r.lastLine.Load()).Add(leaveQuiet); closed == 0 && idle.Before(until) {
			until = idle
		}
		if !time.Now().Before(until) {
			break
		}
		timer := time.NewTimer(time.Until(until))
		select {
		case <-waiting.done:
		case <-timer.C:
		case <-ctx.Done():
		}
		timer.Stop()
		if ctx.Err() != nil {
			break
		}
	}
	r.stop()
	r.s.Close()
	for _, m := range r.readers {
		<-m.done
	}
}

// isDone reports whether m's reader has returned.
func isDone(m *member) bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// A wait is a matcher for Eventually and Consistently whose actual value
// is a member of the room. Each poll looks, without blocking, at what has
// reached the member, and says whether what the spec waits for has happened
// (matched), whether that can still change (final), and, when it has not
// matched, how to diagnose it given how long the wait has lasted. A final
// wait does not poll again. The mutex is there because Ginkgo may ask for
// the failure message from another goroutine (a progress report while the
// spec is still waiting).
type wait struct {
	poll func(m *member) (matched, final bool, diagnose func(waited time.Duration) string)

	mu       sync.Mutex
	started  time.Time
	matched  bool
	final    bool
	diagnose func(time.Duration) string
}

func (w *wait) Match(actual any) (bool, error) {
	m, ok := actual.(*member)
	if !ok {
		return false, fmt.Errorf("specs: this matcher waits on a chat member, not a %T", actual)
	}
	w.mu.Lock()
	if w.final {
		defer w.mu.Unlock()
		return w.matched, nil
	}
	if w.started.IsZero() {
		w.started = time.Now()
	}
	w.mu.Unlock()
	matched, final, diagnose := w.poll(m)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.matched, w.final, w.diagnose = matched, final, diagnose
	return matched, nil
}

// FailureMessage is the diagnosis of the last poll.
func (w *wait) FailureMessage(any) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.diagnose == nil {
		return ""
	}
	return w.diagnose(time.Since(w.started).Round(100 * time.Millisecond))
}

func (w *wait) NegatedFailureMessage(actual any) string { return w.FailureMessage(actual) }

// MatchMayChangeInTheFuture is false once the wait is settled: Eventually
// then stops at once, and Consistently too, satisfied if it matched.
func (w *wait) MatchMayChangeInTheFuture(any) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.final
}

// diagnosis is a diagnosis that does not depend on how long the wait lasted.
func diagnosis(kind suite.Kind, format string, args ...any) func(time.Duration) string {
	d := string(kind) + ": " + fmt.Sprintf(format, args...)
	return func(time.Duration) string { return d }
}

// failed diagnoses a wait that err ended: a failed write, a wrong line, or
// the end of a member's reading.
func failed(err error) func(time.Duration) string {
	return func(time.Duration) string { return err.Error() }
}

// timedOut diagnoses a wait of m for what that is still going on: if it
// ends now, it ends by running out of time.
func timedOut(m *member, what string) func(time.Duration) string {
	return func(waited time.Duration) string {
		return fmt.Sprintf("%s: %s: timed out after %v waiting for %s", suite.TimedOut, m.Name(), waited, what)
	}
}

// lineWait is how long nextLine waits for a line: as long as Gomega waits
// between two polls, so that a wait ends as soon as its line arrives.
const lineWait = 10 * time.Millisecond

// nextLine takes the next line relayed to m, waiting at most lineWait for
// one to arrive. When reading has ended, it returns the diagnosis of why.
func nextLine(m *member) (line []byte, arrived bool, ended func(time.Duration) string) {
	var ok bool
	select {
	case line, ok = <-m.lines:
	default:
		timer := time.NewTimer(lineWait)
		defer timer.Stop()
		select {
		case line, ok = <-m.lines:
		case <-timer.C:
			return nil, false, nil
		}
	}
	if !ok {
		return nil, false, failed(m.end)
	}
	return line, true, nil
}

// relayedLine is for Eventually: it takes the next line relayed to the
// member and stores it in *line; what names the line in a failure.
func relayedLine(what string, line *[]byte) types.GomegaMatcher {
	return &wait{poll: func(m *member) (bool, bool, func(time.Duration) string) {
		l, arrived, ended := nextLine(m)
		switch {
		case ended != nil:
			return false, true, ended
		case !arrived:
			return false, false, timedOut(m, what)
		}
		*line = l
		return true, true, nil
	}}
}

// noRelayedLine is for Consistently: it matches as long as no line is
// relayed to the member and its connection is open; why says when nothing
// is due ("after sending a line").
func noRelayedLine(why string) types.GomegaMatcher {
	return &wait{poll: func(m *member) (bool, bool, func(time.Duration) string) {
		select {
		case line, ok := <-m.lines:
			if !ok {
				return false, true, diagnosis(suite.ClosedEarly, "%s: the connection ended (%v) %s", m.Name(), m.end, why)
			}
			return false, true, diagnosis(suite.UnexpectedBytes, "%s: expected nothing %s, but received %s", m.Name(), why, suite.Quote(line))
		default:
			return true, false, nil
		}
	}}
}

// carrying is for Eventually: the next line relayed to the member must end
// in payload and "\n", whatever comes before it: for a check that needs
// only to know that the server has taken one of from's lines, and leaves
// the prefix to chat-2.
func carrying(from *member, payload string) types.GomegaMatcher {
	what := fmt.Sprintf("a line carrying %s's %s, with any prefix", from.Name(), suite.Quote([]byte(payload)))
	return &wait{poll: func(to *member) (bool, bool, func(time.Duration) string) {
		line, arrived, ended := nextLine(to)
		switch {
		case ended != nil:
			return false, true, ended
		case !arrived:
			return false, false, timedOut(to, what)
		case !bytes.HasSuffix(line, []byte(payload+"\n")):
			return false, true, diagnosis(suite.WrongBytes, "%s: expected %s, got %s", to.Name(), what, suite.Quote(line))
		}
		return true, true, nil
	}}
}

// A relayed line is payload from a member, as checkRelayed checks it.
type relayed struct {
	from    *member
	payload string
}

// nothingNew is noRelayedLine for lines other than again: another copy of a
// line the spec has seen relayed already is for chat-4 to judge.
func (r *room) nothingNew(why string, again ...relayed) types.GomegaMatcher {
	return nothingBut(why, func(m *member, line []byte) bool {
		for _, seen := range again {
			if r.checkRelayed(m, seen.from, seen.payload, line) == nil {
				return true
			}
		}
		return false
	})
}

// nothingBut is noRelayedLine for the lines that pass does not pass over.
func nothingBut(why string, pass func(m *member, line []byte) bool) types.GomegaMatcher {
	return &wait{poll: func(m *member) (bool, bool, func(time.Duration) string) {
		for {
			select {
			case line, ok := <-m.lines:
				if !ok {
					return false, true, diagnosis(suite.ClosedEarly, "%s: the connection ended (%v) %s", m.Name(), m.end, why)
				}
				if pass(m, line) {
					continue
				}
				return false, true, diagnosis(suite.UnexpectedBytes, "%s: expected nothing %s, but received %s", m.Name(), why, suite.Quote(line))
			default:
				return true, false, nil
			}
		}
	}}
}

// relayedFrom is for Eventually: the next line relayed to the member must
// be payload from from, "[HOST:PORT]payload\n" (see checkRelayed). Lines
// that are one of again, another copy of a line the spec has seen relayed
// already, are skipped: whether a line comes once, and not back to its
// sender, is for chat-3 and chat-4 to judge.
func (r *room) relayedFrom(from *member, payload string, again ...relayed) types.GomegaMatcher {
	what := fmt.Sprintf("%s's line %s", from.Name(), suite.Quote([]byte(payload)))
	return &wait{poll: func(to *member) (bool, bool, func(time.Duration) string) {
	next:
		for {
			line, arrived, ended := nextLine(to)
			switch {
			case ended != nil:
				return false, true, ended
			case !arrived:
				return false, false, timedOut(to, what)
			}
			for _, seen := range again {
				if r.checkRelayed(to, seen.from, seen.payload, line) == nil {
					continue next
				}
			}
			if err := r.checkRelayed(to, from, payload, line); err != nil {
				return false, true, failed(err)
			}
			return true, true, nil
		}
	}}
}

// relayedInSequence is for Eventually: the member receives lines "NAME-NN"
// from each sender of want, numbered on from next[sender] up to
// want[sender]-1, in each sender's order, interleaved in any way, and
// nothing else in between. It consumes them as they come, and no more;
// next is the member's progress, kept from one wait to the next.
func (r *room) relayedInSequence(next, want map[*member]int) types.GomegaMatcher {
	byName := map[string]*member{}
	for m := range want {
		byName[m.Name()] = m
	}
	// due lists the line due next from each sender, expected names them.
	due := func() []string {
		var due []string
		for m, n := range want {
			if next[m] < n {
				due = append(due, fmt.Sprintf("%s-%02d", m.Name(), next[m]))
			}
		}
		slices.Sort(due)
		return due
	}
	expected := func() string {
		switch d := due(); {
		case len(d) == 1:
			return d[0]
		case len(d) > 8:
			return fmt.Sprintf("one of [%s ... %s] (%d senders)", strings.Join(d[:4], " "), strings.Join(d[len(d)-2:], " "), len(d))
		default:
			return fmt.Sprintf("one of %v", d)
		}
	}
	remaining, total := 0, 0
	for m, n := range want {
		remaining += max(n-next[m], 0)
		total += n
	}
	return &wait{poll: func(to *member) (bool, bool, func(time.Duration) string) {
		for ; remaining > 0; remaining-- {
			line, arrived, ended := nextLine(to)
			switch {
			case ended != nil:
				return false, true, ended
			case !arrived:
				return false, false, timedOut(to, fmt.Sprintf("line %d of %d, %s", total-remaining+1, total, expected()))
			}
			// The payload after a prefix of the right form is "NAME-NN\n";
			// the prefix itself is checked below, by checkRelayed.
			prefix := r.prefixOf(line)
			payload := string(line[len(prefix):])
			name, number, _ := strings.Cut(strings.TrimSuffix(payload, "\n"), "-")
			from, n := byName[name], -1
			if k, err := strconv.Atoi(number); err == nil && len(number) == 2 && strings.HasSuffix(payload, "\n") {
				n = k
			}
			switch {
			case prefix == nil:
				return false, true, diagnosis(suite.WrongBytes, "%s: received %s where %s was due: it does not start with %s", to.Name(), suite.Quote(line), expected(), r.prefixName())
			case from == nil || n < 0:
				return false, true, diagnosis(suite.WrongBytes, "%s: received %s where %s was due: no line the senders sent", to.Name(), suite.Quote(line), expected())
			case n < next[from]:
				return false, true, diagnosis(suite.WrongBytes, "%s: received %s's line %s again, where %s was due: a line delivered twice", to.Name(), from.Name(), suite.Quote([]byte(payload)), expected())
			case n > next[from]:
				return false, true, diagnosis(suite.WrongBytes, "%s: received %s where %s was due: %s's lines arrive out of order, or one was lost", to.Name(), suite.Quote([]byte(payload)), expected(), from.Name())
			}
			if err := r.checkRelayed(to, from, fmt.Sprintf("%s-%02d", from.Name(), n), line); err != nil {
				return false, true, failed(err)
			}
			next[from]++
		}
		return true, true, nil
	}}
}

// relayedInOrder is for Eventually: the member receives from's lines
// payload(0), payload(1), ... payload(count-1), in order, and nothing else
// in between. It consumes them as they come. Every failure is diagnosed as
// lines not all received so: as says how ("within 20s while never-reads
// did not read").
func (r *room) relayedInOrder(from *member, count int, payload func(n int) string, as string) types.GomegaMatcher {
	got := 0
	return &wait{poll: func(to *member) (bool, bool, func(time.Duration) string) {
		for ; got < count; got++ {
			p := payload(got)
			line, arrived, ended := nextLine(to)
			switch {
			case ended != nil:
				return false, true, r.notReceived(to, from, got, count, as, ended)
			case !arrived:
				awaited := fmt.Sprintf("%s's line %s", from.Name(), suite.Quote([]byte(p[:min(len(p), 40)])))
				return false, false, r.notReceived(to, from, got, count, as, timedOut(to, awaited))
			}
			if err := r.checkRelayed(to, from, p, line); err != nil {
				return false, true, r.notReceived(to, from, got, count, as, failed(err))
			}
		}
		return true, true, nil
	}}
}

// notReceived diagnoses a wait for count of from's lines that only got
// got of them, and then why.
func (r *room) notReceived(to, from *member, got, count int, as string, why func(time.Duration) string) func(time.Duration) string {
	return func(waited time.Duration) string {
		return fmt.Sprintf("%s: %s received %d of %s's %d lines %s: %s", suite.TimedOut, to.Name(), got, from.Name(), count, as, why(waited))
	}
}

// wholeOrNotAtAll is for Consistently, after from sent long: it matches as
// long as no line other than long, whole, reaches the member, and stops the
// wait early, satisfied, once long has arrived whole or from's connection
// has ended (the server may disconnect the sender of a line that long).
func wholeOrNotAtAll(from *member, long string) types.GomegaMatcher {
	return &wait{poll: func(to *member) (bool, bool, func(time.Duration) string) {
		select {
		case line, ok := <-to.lines:
			if ok && !bytes.Contains(line, []byte(long)) {
				return false, true, diagnosis(suite.WrongBytes, "%s: expected %s's %d KiB line relayed whole or not at all, got %d bytes: %s",
					to.Name(), from.Name(), len(long)>>10, len(line), suite.Quote(line[:min(len(line), 64)]))
			}
			return true, true, nil
		case <-from.done:
			return true, true, nil
		default:
			return true, false, nil
		}
	}}
}

// joinHeard is for Eventually: the newcomer (the actual member) says
// its join line, again every joinRepeat, until every member of the room
// has received it. A failed write ends the wait at once.
func (r *room) joinHeard() types.GomegaMatcher { return r.heard("joined") }

// settle starts the talk of a room whose members have all joined afresh:
// the first member says a join line of its own until every other member
// has it, and then what each member has received so far is dropped. That
// can only be what the server sent of its own on joining, which chat-1
// is about: whatever a member receives later comes after every join.
func (r *room) settle(ctx context.Context) {
	GinkgoHelper()
	if len(r.members) < 2 {
		return
	}
	r.s.Eventually(r.members[0]).WithContext(ctx).Within(joinTimeout).Should(r.heard("settled"))
	for _, m := range r.members {
	drain:
		for {
			select {
			case _, ok := <-m.lines:
				if !ok {
					break drain // reading has ended: the waits will say why
				}
			default:
				break drain
			}
		}
	}
}

// heard is for Eventually: the actual member says a join line, its name
// and then why ("A/joined"), again every joinRepeat, until every other
// member of the room has received it. A failed write ends the wait at once.
func (r *room) heard(why string) types.GomegaMatcher {
	waiting := map[*member]bool{}
	for _, m := range r.members {
		waiting[m] = true
	}
	said := 0
	var lastSaid time.Time
	return &wait{poll: func(c *member) (bool, bool, func(time.Duration) string) {
		delete(waiting, c) // a member does not hear itself
		who := c.Name() + "/" + why
		// hear takes the join lines the readers saw, waiting at most
		// lineWait for more while some member has not got c's.
		hear := func(wait time.Duration) {
			timer := time.NewTimer(wait)
			defer timer.Stop()
			for len(waiting) > 0 {
				select {
				case seen := <-r.joins:
					if seen.who == who {
						delete(waiting, seen.at)
					}
				case <-timer.C:
					return
				}
			}
		}
		hear(0)
		if len(waiting) > 0 && (said == 0 || time.Since(lastSaid) >= joinRepeat) {
			said++
			lastSaid = time.Now()
			if err := c.WriteString(fmt.Sprintf("%s%s %d\n", joinMarker, who, said)); err != nil {
				return false, true, failed(err)
			}
		}
		hear(lineWait)
		if len(waiting) == 0 {
			return true, true, nil
		}
		var names []string
		for _, m := range r.members {
			if waiting[m] {
				names = append(names, m.Name())
			}
		}
		return false, false, func(waited time.Duration) string {
			return fmt.Sprintf("%s: %s %s, but after %v its join line %q had not reached %v: is the server relaying lines to every other client?",
				suite.TimedOut, c.Name(), why, waited, joinMarker+who, names)
		}
	}}
}

// prefixForm is "[HOST:PORT]" with an IPv4 host, or an IPv6 host in brackets.
var prefixForm = regexp.MustCompile(`^\[(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+(%[0-9A-Za-z]+)?\]):\d{1,5}\]`)

// prefixOf is the prefix a relayed line starts with, "[HOST:PORT]" or the
// profile's, or nil when it starts with none.
func (r *room) prefixOf(line []byte) []byte {
	form := prefixForm
	if r.profile.prefix != nil {
		form = r.profile.prefix
	}
	return form.Find(line)
}

// prefixName names the form of the prefix, for diagnoses.
func (r *room) prefixName() string {
	if r.profile.prefix != nil {
		return "the profile's prefix " + r.profile.Chat.Prefix
	}
	return "[HOST:PORT]"
}

// withoutPrefix is a relayed line without its prefix ("[HOST:PORT]", or
// the profile's), or the whole line when it has none.
func (r *room) withoutPrefix(line []byte) []byte {
	return line[len(r.prefixOf(line)):]
}

// checkRelayed checks that line, received by to, is payload relayed from
// from: "[HOST:PORT]payload\n", with from's address exactly when the room
// knows it, else a well-formed prefix that is from's and no other member's.
func (r *room) checkRelayed(to, from *member, payload string, line []byte) error {
	if r.exact {
		want := "[" + from.LocalAddr() + "]" + payload + "\n"
		if d := suite.DiffBytes([]byte(want), line); d != "" || len(line) != len(want) {
			return suite.Errorf(suite.WrongBytes, "%s: expected %s's line relayed as %s (the prefix is %s's address as the server sees it), got %s: %s",
				to.Name(), from.Name(), suite.Quote([]byte(want)), from.Name(), suite.Quote(line), d)
		}
		return nil
	}
	prefix, formName := r.prefixOf(line), r.prefixName()
	if prefix == nil {
		return suite.Errorf(suite.WrongBytes, "%s: expected %s's line as %s then %s, got %s: it does not start with %s",
			to.Name(), from.Name(), formName, suite.Quote([]byte(payload+"\n")), suite.Quote(line), formName)
	}
	if got := line[len(prefix):]; string(got) != payload+"\n" {
		return suite.Errorf(suite.WrongBytes, "%s: after the prefix %s expected %s, got %s: %s",
			to.Name(), prefix, suite.Quote([]byte(payload+"\n")), suite.Quote(got), suite.DiffBytes([]byte(payload+"\n"), got))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if known, ok := r.prefixes[from]; ok && known != string(prefix) {
		return suite.Errorf(suite.WrongBytes, "%s: %s's lines came with two prefixes, %s and %s; one sender keeps one address", to.Name(), from.Name(), known, prefix)
	}
	for other, p := range r.prefixes {
		if other != from && p == string(prefix) {
			return suite.Errorf(suite.WrongBytes, "%s: %s's line came with %s, the prefix of %s's lines too; two senders have different addresses", to.Name(), from.Name(), prefix, other.Name())
		}
	}
	r.prefixes[from] = string(prefix)
	return nil
}
