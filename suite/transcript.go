package suite

import (
	"fmt"
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
	events  []event
	dropped int
}

type event struct {
	at   time.Duration
	conn string // which connection, e.g. "client" or "B"
	dir  string // "->" (client to server), "<-" (server to client) or "  " (a note)
	size int    // real size of the data; data itself may be shortened
	data []byte
	note string
}

// NewTranscript starts an empty transcript; times are relative to now.
func NewTranscript() *Transcript { return &Transcript{start: time.Now()} }

func (t *Transcript) add(e event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.events) >= transcriptMaxEvents {
		t.dropped++
		return
	}
	e.at = time.Since(t.start)
	t.events = append(t.events, e)
}

func (t *Transcript) sent(conn string, p []byte)     { t.data(conn, "->", p) }
func (t *Transcript) received(conn string, p []byte) { t.data(conn, "<-", p) }

func (t *Transcript) data(conn, dir string, p []byte) {
	e := event{conn: conn, dir: dir, size: len(p)}
	if len(p) <= eventKeepHead+eventKeepTail {
		e.data = append([]byte(nil), p...)
	} else {
		e.data = append(append([]byte(nil), p[:eventKeepHead]...), p[len(p)-eventKeepTail:]...)
	}
	t.add(e)
}

// Note records something that is not data: a connect, EOF, a reset.
func (t *Transcript) Note(conn, format string, args ...any) {
	t.add(event{conn: conn, dir: "  ", note: fmt.Sprintf(format, args...)})
}

// String renders the transcript one event per line:
//
//	+0.012s  client ->  14 bytes  "GET / HTTP/1.1\r\n"
//
// "->" is client to server, "<-" server to client. Long transcripts show
// their beginning and end.
func (t *Transcript) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	width := 0
	for _, e := range t.events {
		width = max(width, len(e.conn))
	}
	line := func(e event) {
		fmt.Fprintf(&b, "  %+8.3fs  %-*s %s ", e.at.Seconds(), width, e.conn, e.dir)
		if e.note != "" {
			b.WriteString(e.note)
		} else {
			fmt.Fprintf(&b, "%5d bytes  %s", e.size, quoteShortened(e.data, e.size))
		}
		b.WriteByte('\n')
	}
	n := len(t.events)
	if n <= renderHeadEvents+renderTailEvents {
		for _, e := range t.events {
			line(e)
		}
	} else {
		for _, e := range t.events[:renderHeadEvents] {
			line(e)
		}
		fmt.Fprintf(&b, "  ... %d events not shown ...\n", n-renderHeadEvents-renderTailEvents)
		for _, e := range t.events[n-renderTailEvents:] {
			line(e)
		}
	}
	if t.dropped > 0 {
		fmt.Fprintf(&b, "  ... and %d later events not recorded ...\n", t.dropped)
	}
	if n == 0 {
		b.WriteString("  (nothing was exchanged)\n")
	}
	return b.String()
}

// quoteShortened quotes data whose real size was size; when data was
// shortened, the cut is marked with the number of bytes left out.
func quoteShortened(data []byte, size int) string {
	if size == len(data) {
		return Quote(data)
	}
	head, tail := data[:eventKeepHead], data[eventKeepHead:]
	return fmt.Sprintf("%s ... (%d bytes) ... %s", Quote(head), size-len(data), Quote(tail))
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
