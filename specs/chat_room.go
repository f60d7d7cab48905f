package specs

import (
	"bytes"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/socketspec/conformance/suite"
)

// A room is the chat clients of one spec. Members join through a barrier
// (see "How the suite knows a client has joined" in chat.md), and each has a
// goroutine reading the lines relayed to it.
type room struct {
	s       *Session
	exact   bool      // the server sees our clients' own addresses (no NAT)
	members []*member // joined, in order
	readers []*member // every member whose reader goroutine was started
	joins   chan joinSeen

	mu       sync.Mutex
	prefixes map[*member]string // the prefix each member's lines carry, once seen
}

// A member is one chat client. Its reader goroutine puts every relayed line
// on lines, except join lines, which it reports to the room.
type member struct {
	*suite.Conn
	lines chan []byte   // closed when reading ends
	end   error         // why reading ended, valid once lines is closed
	joins chan joinSeen // the room's
	done  chan struct{} // closed when the reader has returned
}

// joinSeen says that the join line of the member named who reached at.
type joinSeen struct {
	at  *member
	who string
}

const (
	maxChatLine = 128 << 10 // longest relayed line the reader accepts: a 64 KiB line may be relayed
	joinMarker  = "socketspec-join "
)

func newRoom(s *Session) *room {
	// With a profile's own prefix there is no address to check exactly.
	exact := s.Target.SeesClientAddr() && config.Profile.prefix == nil
	return &room{s: s, exact: exact, prefixes: map[*member]string{}, joins: make(chan joinSeen, 1024)}
}

// connect opens a chat connection that nobody reads: for clients that
// must stay silent, or never read.
func (r *room) connect(name string) *suite.Conn { return r.s.Connect(name) }

// listen connects a member that reads but does not join through the
// barrier: for checks that nothing arrives.
func (r *room) listen(name string) *member {
	m := &member{Conn: r.s.Connect(name), lines: make(chan []byte, 8192), joins: r.joins, done: make(chan struct{})}
	r.readers = append(r.readers, m)
	go m.read()
	return m
}

// join connects a new member and returns once every earlier member has
// received its join line, so the server has certainly registered it (and
// them). It fails the spec if that takes more than 5 s.
func (r *room) join(name string) *member {
	m := &member{Conn: r.s.Connect(name), lines: make(chan []byte, 8192), joins: r.joins, done: make(chan struct{})}
	r.readers = append(r.readers, m)
	go m.read()
	if len(r.members) > 0 {
		must(r.barrier(m))
	}
	r.members = append(r.members, m)
	return m
}

// joinNeverReading connects a client that will never read, and returns once
// the others have its join line. Later joiners do not wait for it.
func (r *room) joinNeverReading(name string) *suite.Conn {
	m := &member{Conn: r.s.Connect(name)}
	must(r.barrier(m))
	return m.Conn
}

// barrier has m say its join line every 250 ms until every member has it.
func (r *room) barrier(m *member) error {
	deadline := time.Now().Add(5 * time.Second)
	waiting := map[*member]bool{}
	for _, other := range r.members {
		waiting[other] = true
	}
	for attempt := 1; len(waiting) > 0; attempt++ {
		if time.Now().After(deadline) {
			var names []string
			for other := range waiting {
				names = append(names, other.Name())
			}
			return suite.Errorf(suite.TimedOut, "%s joined, but after 5 s its join line %q had not reached %v: is the server relaying lines to every other client?", m.Name(), joinMarker+m.Name(), names)
		}
		if err := m.WriteString(fmt.Sprintf("%s%s %d\n", joinMarker, m.Name(), attempt)); err != nil {
			return err
		}
		retry := time.After(250 * time.Millisecond)
	wait:
		for len(waiting) > 0 {
			select {
			case seen := <-r.joins:
				if seen.who == m.Name() {
					delete(waiting, seen.at)
				}
			case <-retry:
				break wait
			}
		}
	}
	return nil
}

// read runs in its own goroutine until the connection ends.
func (m *member) read() {
	defer close(m.done)
	defer close(m.lines)
	for {
		line, err := m.ReadLine(maxChatLine, "a relayed line", time.Second)
		if suite.IsKind(err, suite.TimedOut) {
			continue
		}
		if err != nil {
			m.end = err
			return
		}
		if config.Profile.notice(line) {
			continue // the server's own notice, which the profile says to ignore
		}
		if i := bytes.Index(line, []byte(joinMarker)); i >= 0 {
			var who string
			fmt.Sscanf(string(line[i+len(joinMarker):]), "%s", &who)
			select {
			case m.joins <- joinSeen{at: m, who: who}:
			default: // nobody is waiting for joins any more
			}
			continue
		}
		m.lines <- line
	}
}

// next returns the next relayed line, or fails after the given time.
func (m *member) next(what string, within time.Duration) ([]byte, error) {
	select {
	case line, ok := <-m.lines:
		if !ok {
			return nil, m.end
		}
		return line, nil
	case <-time.After(within):
		return nil, suite.Errorf(suite.TimedOut, "%s: timed out after %v waiting for %s", m.Name(), within, what)
	}
}

// quiet checks that no relayed line arrives at m during a quiet window.
func (m *member) quiet(window time.Duration, why string) error {
	select {
	case line, ok := <-m.lines:
		if !ok {
			return suite.Errorf(suite.ClosedEarly, "%s: the connection ended (%v) %s", m.Name(), m.end, why)
		}
		return suite.Errorf(suite.UnexpectedBytes, "%s: expected nothing %s, but received %s", m.Name(), why, suite.Quote(line))
	case <-time.After(window):
		return nil
	}
}

// prefixForm is "[HOST:PORT]" with an IPv4 host, or an IPv6 host in brackets.
var prefixForm = regexp.MustCompile(`^\[(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+(%[0-9A-Za-z]+)?\]):\d{1,5}\]`)

// withoutPrefix is a relayed line without its prefix ("[HOST:PORT]", or
// the profile's), or the whole line when it has none.
func withoutPrefix(line []byte) []byte {
	form := prefixForm
	if config.Profile.prefix != nil {
		form = config.Profile.prefix
	}
	return line[len(form.Find(line)):]
}

// expectFrom checks that the next line at to is payload relayed from from:
// "[HOST:PORT]payload\n", with from's address exactly when the room knows
// it, else a well-formed prefix that is from's and no other member's.
func (r *room) expectFrom(to, from *member, payload string) error {
	what := fmt.Sprintf("%s's line %s", from.Name(), suite.Quote([]byte(payload)))
	line, err := to.next(what, replyTimeout)
	if err != nil {
		return err
	}
	return r.checkRelayed(to, from, payload, line)
}

// checkRelayed checks one relayed line, as expectFrom does.
func (r *room) checkRelayed(to, from *member, payload string, line []byte) error {
	if r.exact {
		want := "[" + from.LocalAddr() + "]" + payload + "\n"
		if d := suite.DiffBytes([]byte(want), line); d != "" || len(line) != len(want) {
			return suite.Errorf(suite.WrongBytes, "%s: expected %s's line relayed as %s (the prefix is %s's address as the server sees it), got %s: %s",
				to.Name(), from.Name(), suite.Quote([]byte(want)), from.Name(), suite.Quote(line), d)
		}
		return nil
	}
	form, formName := prefixForm, "[HOST:PORT]"
	if config.Profile.prefix != nil {
		form, formName = config.Profile.prefix, "the profile's prefix "+config.Profile.Chat.Prefix
	}
	prefix := form.Find(line)
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

// close ends every member's connection and waits for their readers.
func (r *room) close() {
	r.s.Close()
	for _, m := range r.readers {
		<-m.done
	}
}
