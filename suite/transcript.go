package suite

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Transcript limits: a flooding server must not make the harness hold more
// than a bounded amount of memory, and a failure message must stay readable.
const (
	transcriptMaxEvents = 4000 // events recorded; later ones are only counted
	eventKeepHead       = 160  // bytes of an event's data kept from its start
	eventKeepTail       = 48   // and from its end
	renderHeadEvents    = 40   // events shown from the start of a long transcript
	renderTailEvents    = 25   // and from its end
)

// A Transcript records, with timestamps, everything that crossed the wire in
// one spec: bytes each client sent and received, half-closes, resets, EOF.
// All connections of a spec share one transcript so that a failure shows the
// exchange in the order it happened. It is safe for concurrent use.
type Transcript struct {
	mu      sync.Mutex
	start   time.Time
	events  []Event
	dropped int
	// offsets are, per connection and side, how many bytes that side has
	// sent so far: the stream offset of the next data event.
	offsets map[sideOf]int64
}

type sideOf struct {
	conn string
	side Side
}

// A Side is one end of a connection: the suite's client, or the server.
type Side string

const (
	ClientSide Side = "client"
	ServerSide Side = "server"
)

// An EventKind says what an Event is.
type EventKind string

const (
	DataEvent      EventKind = "data"       // bytes, sent by From
	ConnectEvent   EventKind = "connect"    // the client connected (or opened its UDP socket)
	HalfCloseEvent EventKind = "half-close" // the client shut down its side (FIN) and still reads
	CloseEvent     EventKind = "close"      // an orderly close (FIN): the client's close, or the server's, read as EOF
	ResetEvent     EventKind = "reset"      // the connection was reset (RST) by From
	NoteEvent      EventKind = "note"       // anything else, in words (a failed connect, a client program run)
	MismatchEvent  EventKind = "mismatch"   // the check read bytes it did not expect: see Mismatch
)

// An Event is one thing in a transcript.
type Event struct {
	At   time.Duration `json:"at_ns"` // since the check's start
	Conn string        `json:"conn"`  // which connection: "client", "A", "conn07"
	Kind EventKind     `json:"kind"`
	From Side          `json:"from,omitempty"` // who did it, when one side did
	// Size is the real size of the data; Data holds all of it, or, of
	// a long write, its first 160 bytes, and Tail its last 48.
	Size int    `json:"size,omitempty"`
	Data []byte `json:"data,omitempty"`
	Tail []byte `json:"tail,omitempty"`
	// Offset is where the data starts in what From has sent on this
	// connection (datagrams count one after another).
	Offset   int64     `json:"offset,omitempty"`
	Note     string    `json:"note,omitempty"` // what a note, connect, close or reset event says, in words
	Mismatch *Mismatch `json:"mismatch,omitempty"`
}

// Shortened reports whether bytes of the event's data were left out.
func (e Event) Shortened() bool { return e.Size > len(e.Data)+len(e.Tail) }

// A Mismatch is bytes that a check read where it expected others: the
// first wrong byte, and windows of the expected and received bytes around it.
type Mismatch struct {
	What string `json:"what"` // what the check waited for ("the echo of ...")
	// Offset is the first wrong byte, counted from the start of what was
	// expected; Start is where the windows begin, counted alike.
	Offset       int    `json:"offset"`
	Start        int    `json:"start"`
	Expected     []byte `json:"expected"`
	Received     []byte `json:"received"`
	ExpectedSize int    `json:"expected_size"`
	ReceivedSize int    `json:"received_size"`
	// StreamOffset is where what was expected starts in what the server
	// sent on the connection: the wrong byte is at StreamOffset+Offset.
	StreamOffset int64 `json:"stream_offset"`
}

// mismatchWindow is how many bytes of a Mismatch are kept on each side of
// the first wrong byte.
const mismatchWindow = 48

// newMismatch describes got, which differs from want at offset off.
func newMismatch(what string, want, got []byte, off int, stream int64) *Mismatch {
	start := max(0, off-mismatchWindow)
	window := func(p []byte) []byte {
		if start >= len(p) {
			return []byte{}
		}
		return bytes.Clone(p[start:min(len(p), off+mismatchWindow)])
	}
	return &Mismatch{What: what, Offset: off, Start: start, Expected: window(want), Received: window(got),
		ExpectedSize: len(want), ReceivedSize: len(got), StreamOffset: stream}
}

// NewTranscript starts an empty transcript; times are relative to now.
func NewTranscript() *Transcript { return &Transcript{start: time.Now()} }

func (t *Transcript) add(e Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.Kind == DataEvent {
		// Counted whether or not the event is kept, so that offsets
		// stay true.
		if t.offsets == nil {
			t.offsets = map[sideOf]int64{}
		}
		k := sideOf{e.Conn, e.From}
		e.Offset = t.offsets[k]
		t.offsets[k] += int64(e.Size)
	}
	if len(t.events) >= transcriptMaxEvents {
		t.dropped++
		return
	}
	e.At = time.Since(t.start)
	t.events = append(t.events, e)
}

func (t *Transcript) sent(conn string, p []byte)     { t.data(conn, ClientSide, p) }
func (t *Transcript) received(conn string, p []byte) { t.data(conn, ServerSide, p) }

func (t *Transcript) data(conn string, from Side, p []byte) {
	e := Event{Conn: conn, Kind: DataEvent, From: from, Size: len(p)}
	if len(p) <= eventKeepHead+eventKeepTail {
		e.Data = bytes.Clone(p)
	} else {
		e.Data, e.Tail = bytes.Clone(p[:eventKeepHead]), bytes.Clone(p[len(p)-eventKeepTail:])
	}
	t.add(e)
}

// Note records something that is not data: a client program's run, a
// request that could not be judged.
func (t *Transcript) Note(conn, format string, args ...any) {
	t.add(Event{Conn: conn, Kind: NoteEvent, Note: fmt.Sprintf(format, args...)})
}

// mark records a connect, close, half-close or reset, or a note that one
// side's doing caused.
func (t *Transcript) mark(conn string, kind EventKind, from Side, format string, args ...any) {
	t.add(Event{Conn: conn, Kind: kind, From: from, Note: fmt.Sprintf(format, args...)})
}

// mismatched records that the check read, on conn, bytes it did not expect.
func (t *Transcript) mismatched(conn string, m *Mismatch) {
	t.add(Event{Conn: conn, Kind: MismatchEvent, From: ServerSide, Mismatch: m})
}

// A Recording is a transcript as data, for reports: its events, or, of a
// long one, its first and its last events. Bytes are kept as they were
// (in JSON, base64), never decoded.
type Recording struct {
	// End is when the recording was made, since the check's start: for
	// a failed check, the moment of its failure.
	End    time.Duration `json:"end_ns"`
	Events []Event       `json:"events"`
	// Of a long transcript, Omitted events were left out after the
	// first OmittedAfter events.
	OmittedAfter int `json:"omitted_after,omitempty"`
	Omitted      int `json:"omitted,omitempty"`
	// Dropped events came after the transcript was full, and were only
	// counted.
	Dropped int `json:"dropped,omitempty"`
}

// Recording returns what the transcript holds now: every event, or, of a
// long transcript, the first and the last (the same ones String shows).
func (t *Transcript) Recording() *Recording {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := &Recording{End: time.Since(t.start), Dropped: t.dropped}
	n := len(t.events)
	if n <= renderHeadEvents+renderTailEvents {
		r.Events = slices.Clone(t.events)
	} else {
		r.Events = append(slices.Clone(t.events[:renderHeadEvents]), t.events[n-renderTailEvents:]...)
		r.OmittedAfter, r.Omitted = renderHeadEvents, n-renderHeadEvents-renderTailEvents
	}
	if r.Events == nil {
		r.Events = []Event{}
	}
	return r
}

// String renders the transcript one event per line:
//
//	+0.012s  client ->  14 bytes  "GET / HTTP/1.1\r\n"
//
// "->" is client to server, "<-" server to client. Long transcripts show
// their beginning and end.
func (t *Transcript) String() string { return t.Recording().String() }

// String renders the recording as Transcript.String does.
func (r *Recording) String() string {
	var b strings.Builder
	width := 0
	for _, e := range r.Events {
		width = max(width, len(e.Conn))
	}
	for i, e := range r.Events {
		if r.Omitted > 0 && i == r.OmittedAfter {
			fmt.Fprintf(&b, "  ... %d events not shown ...\n", r.Omitted)
		}
		if e.Kind == MismatchEvent {
			continue // the diagnosis says it
		}
		dir := "  "
		if e.Kind == DataEvent {
			dir = map[Side]string{ClientSide: "->", ServerSide: "<-"}[e.From]
		}
		fmt.Fprintf(&b, "  %+8.3fs  %-*s %s ", e.At.Seconds(), width, e.Conn, dir)
		if e.Kind != DataEvent {
			b.WriteString(e.Note)
		} else {
			fmt.Fprintf(&b, "%5d bytes  %s", e.Size, quoteShortened(e))
		}
		b.WriteByte('\n')
	}
	if r.Dropped > 0 {
		fmt.Fprintf(&b, "  ... and %d later events not recorded ...\n", r.Dropped)
	}
	if len(r.Events) == 0 {
		b.WriteString("  (nothing was exchanged)\n")
	}
	return b.String()
}

// quoteShortened quotes an event's data; when it was shortened, the cut is
// marked with the number of bytes left out.
func quoteShortened(e Event) string {
	if !e.Shortened() {
		return Quote(e.Data)
	}
	return fmt.Sprintf("%s ... (%d bytes) ... %s", Quote(e.Data), e.Size-len(e.Data)-len(e.Tail), Quote(e.Tail))
}

// Quote renders bytes so that every one of them is visible: printable ASCII
// as itself, \r \n \t \0 \\ \" as escapes, everything else as \xHH. Bytes
// are never decoded: a UTF-8 "é" shows as \xc3\xa9.
func Quote(p []byte) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range p {
		switch {
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == 0:
			b.WriteString(`\0`)
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
