package htmlreport

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/socketspec/conformance/suite"
)

// A diagram is a transcript drawn as a sequence diagram: a lane per client
// connection and one for the server, a row per event, an arrow per write.
// Coordinates are SVG user units (pixels at 100%).
type diagram struct {
	Width, Height int
	Lanes         []lane
	Rows          []drow
	LaneTop       int // where the lanes' lines start and end
	LaneBottom    int
	BoxY          int // the top of the lanes' name boxes
	// What the caption explains: only what the diagram shows.
	HasFin, HasReset, HasWrong bool
	wrong                      int // the index of the event that holds the first wrong byte; -1 when none
}

type lane struct {
	Name, Label string
	X           int
	Server      bool
	BoxX, BoxW  int
	// Slanted: lanes too close for boxes get their names at a slant,
	// from LabelY up.
	Slanted bool
	LabelY  int
}

// A drow is one row of a diagram.
type drow struct {
	Y     int
	Kind  string // msg (a write), ctl (FIN, RST), note, mismatch, gap, omitted
	Class string // more classes: send, recv, wrong, reset, fin...
	Event int    // the event's index in the recording; -1 for a gap
	Href  string // its line in the table of every byte
	Time  string
	// An arrow from X1 to X2 (for msg and ctl); a dot at X1 (for notes).
	X1, X2 int
	Head   string // the arrowhead's points
	LabelX int
	Label  []span
	Title  string // a tooltip: the bytes in full (as kept)
	Marker string // a symbol on the lane: ✕ for a reset, ✗ for a mismatch
}

// A span is a piece of a label; Class "bad" marks the first wrong byte.
type span struct {
	Text, Class string
}

// Geometry, in pixels. A monospace character of the labels (12 px) is
// about charWidth wide.
const (
	diagramWidth = 920
	gutter       = 78 // times, right-aligned before it
	firstLane    = 120
	serverMargin = 64
	minMessage   = 440 // the message column between the last client lane and the server
	maxSpacing   = 130
	laneHeader   = 40
	rowHeight    = 34 // a write: its label, then its arrow
	noteHeight   = 22
	gapHeight    = 20
	charWidth    = 7.25
	// A pause this long between two events gets a row of its own.
	pauseRow = 50 * time.Millisecond
)

func layout(id string, rec *suite.Recording) diagram {
	d := diagram{Width: diagramWidth, wrong: wrongEvent(rec)}
	// Lanes: the connections in the order they first appear.
	var names []string
	for _, e := range rec.Events {
		if !slices.Contains(names, e.Conn) {
			names = append(names, e.Conn)
		}
	}
	serverX := diagramWidth - serverMargin
	spacing := maxSpacing
	if len(names) > 1 {
		spacing = min(maxSpacing, (serverX-minMessage-firstLane)/(len(names)-1))
	}
	x := map[string]int{}
	header := laneHeader
	slanted := spacing < 64
	if slanted {
		longest := 0
		for _, n := range names {
			longest = max(longest, len([]rune(fit(n, 16))))
		}
		header = max(laneHeader, 16+int(float64(longest)*6.2*0.9))
	}
	for i, n := range names {
		x[n] = firstLane + i*spacing
		w := min(spacing-8, 110)
		if len(names) == 1 {
			w = 110
		}
		l := lane{Name: n, Label: fit(n, int(float64(w-10)/6.6)), X: x[n], BoxX: x[n] - w/2, BoxW: w}
		if slanted {
			l.Label, l.Slanted, l.LabelY = fit(n, 16), true, header-6
		}
		d.Lanes = append(d.Lanes, l)
	}
	d.Lanes = append(d.Lanes, lane{Name: "server", Label: "server", X: serverX, Server: true, BoxX: serverX - 50, BoxW: 100, LabelY: header - 16})
	lastClient := firstLane
	if len(names) > 0 {
		lastClient = x[names[len(names)-1]]
	}
	msgX := lastClient + 14
	msgChars := int(float64(serverX-16-msgX) / charWidth)

	y := header + 6 // the top of the next row
	d.LaneTop = header
	d.BoxY = header - 32
	var last time.Duration
	for i, e := range rec.Events {
		if rec.Omitted > 0 && i == rec.OmittedAfter {
			d.Rows = append(d.Rows, drow{Y: y + 14, Kind: "omitted", Event: -1, LabelX: (gutter + serverX) / 2,
				Label: []span{{Text: fmt.Sprintf("⋯ %d events not shown ⋯", rec.Omitted)}}})
			y += gapHeight
		}
		if i > 0 && e.At-last >= pauseRow {
			d.Rows = append(d.Rows, drow{Y: y + 10, Kind: "gap", Event: -1, Time: "⋮ " + pause(e.At-last)})
			y += gapHeight
		}
		last = e.At
		r := drow{Event: i, Time: at(e.At), Href: fmt.Sprintf("#%s--ev%d", id, i), LabelX: msgX}
		r.Y = y + rowHeight - 9 // an arrow's line, under its label
		if e.Kind != suite.DataEvent && e.Kind != suite.HalfCloseEvent && e.Kind != suite.CloseEvent && e.Kind != suite.ResetEvent {
			r.Y = y + noteHeight/2 // a note's middle
		}
		cx := x[e.Conn]
		switch e.Kind {
		case suite.DataEvent:
			r.Kind = "msg"
			r.X1, r.X2, r.Class = cx, serverX, "send"
			if e.From == suite.ServerSide {
				r.X1, r.X2, r.Class = serverX, cx, "recv"
			}
			size := fmt.Sprintf("%d B ", e.Size)
			preview := previewSpans(e, msgChars-len(size), -1)
			if i == d.wrong {
				r.Class += " wrong"
				r.Marker = "✗"
				preview = previewSpans(e, msgChars-len(size)-2, wrongAt(rec, e))
			}
			r.Label = append([]span{{Text: size, Class: "size"}}, preview...)
			r.Title = fmt.Sprintf("%s %s %d bytes: %s", e.Conn, arrowWord(e.From), e.Size, quoteEvent(e))
			y += rowHeight
		case suite.HalfCloseEvent, suite.CloseEvent, suite.ResetEvent:
			r.Kind = "ctl"
			r.X1, r.X2 = cx, serverX
			if e.From == suite.ServerSide {
				r.X1, r.X2 = serverX, cx
			}
			word := "FIN"
			r.Class = "fin"
			if e.Kind == suite.ResetEvent {
				word, r.Class, r.Marker = "RST", "reset", "✕"
				d.HasReset = true
			} else {
				d.HasFin = true
			}
			r.Label = []span{{Text: word + " ", Class: "size"}, {Text: e.Note}}
			r.Title = e.Conn + ": " + e.Note
			y += rowHeight
		case suite.MismatchEvent:
			r.Kind, r.X1, r.Marker = "mismatch", cx, "✗"
			d.HasWrong = true
			r.Label = mismatchLabel(e.Mismatch, msgChars)
			r.Title = e.Conn + ": " + spansText(r.Label)
			y += noteHeight
		default: // connect, note
			r.Kind, r.X1 = "note", cx
			r.Class = string(e.Kind)
			r.Label = []span{{Text: fit(e.Note, msgChars)}}
			r.Title = e.Conn + ": " + e.Note
			y += noteHeight
		}
		if r.X2 != 0 {
			r.Head = arrowHead(r.X1, r.X2, r.Y)
		}
		d.Rows = append(d.Rows, r)
	}
	if rec.End > 0 && (len(rec.Events) == 0 || rec.End-last >= pauseRow) {
		d.Rows = append(d.Rows, drow{Y: y + 10, Kind: "gap", Event: -1, Time: "⋮ " + pause(rec.End-last)})
		y += gapHeight
	}
	if rec.End > 0 {
		d.Rows = append(d.Rows, drow{Y: y + 10, Kind: "end", Event: -1, Time: at(rec.End), LabelX: gutter + 6, X2: serverX + 40,
			Label: []span{{Text: "the check ended here"}}})
		y += gapHeight
	}
	if rec.Dropped > 0 {
		d.Rows = append(d.Rows, drow{Y: y + 14, Kind: "omitted", Event: -1, LabelX: (gutter + serverX) / 2,
			Label: []span{{Text: fmt.Sprintf("⋯ and %d later events, not recorded ⋯", rec.Dropped)}}})
		y += gapHeight
	}
	if len(rec.Events) == 0 {
		d.Rows = append(d.Rows, drow{Y: y + 14, Kind: "omitted", Event: -1, LabelX: (gutter + serverX) / 2,
			Label: []span{{Text: "nothing was exchanged"}}})
		y += gapHeight
	}
	d.LaneBottom = y + 4
	d.Height = y + 12
	return d
}

func arrowHead(x1, x2, y int) string {
	dir := 1
	if x2 < x1 {
		dir = -1
	}
	return fmt.Sprintf("%d,%d %d,%d %d,%d", x2, y, x2-dir*9, y-4, x2-dir*9, y+4)
}

func arrowWord(from suite.Side) string {
	if from == suite.ServerSide {
		return "received"
	}
	return "sent"
}

// at is the time of an event since the check's start.
func at(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.3f s", d.Seconds())
}

func pause(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// fit cuts s to n characters, marking the cut.
func fit(s string, n int) string {
	r := []rune(s)
	if n < 2 || len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// quoted are the bytes of p each in the visible form suite.Quote gives it.
func quoted(p []byte) []string {
	out := make([]string, len(p))
	for i, c := range p {
		q := suite.Quote([]byte{c})
		out[i] = q[1 : len(q)-1]
	}
	return out
}

// quoteEvent is the event's data as suite.Quote shows it, with the cut of
// a long write marked.
func quoteEvent(e suite.Event) string {
	if !e.Shortened() {
		return suite.Quote(e.Data)
	}
	return fmt.Sprintf("%s ⋯ %d bytes not recorded ⋯ %s", suite.Quote(e.Data), e.Size-len(e.Data)-len(e.Tail), suite.Quote(e.Tail))
}

// previewSpans is the start of the event's bytes, quoted, in at most n
// characters; when wrong is an index in the data (not -1), the preview
// shows the bytes around it instead, with the wrong byte marked "bad".
func previewSpans(e suite.Event, n int, wrong int) []span {
	data, inTail := e.Data, false
	if e.Shortened() && wrong >= e.Size-len(e.Tail) {
		data, wrong, inTail = e.Tail, wrong-(e.Size-len(e.Tail)), true
	} else if wrong >= len(e.Data) {
		wrong = -1 // in the bytes not recorded
	}
	q := quoted(data)
	if wrong < 0 {
		var b strings.Builder
		b.WriteByte('"')
		for i, piece := range q {
			if b.Len()+len(piece)+1 > n {
				return []span{{Text: b.String() + "…"}}
			}
			b.WriteString(piece)
			if i == len(q)-1 && !e.Shortened() {
				b.WriteByte('"')
				return []span{{Text: b.String()}}
			}
		}
		return []span{{Text: b.String() + "…"}}
	}
	// Around the wrong byte: a third of the room before it.
	from, used := wrong, len(q[wrong])+2
	for from > 0 && used+len(q[from-1]) <= n/3 {
		from--
		used += len(q[from])
	}
	to := wrong + 1
	for to < len(q) && used+len(q[to]) <= n-1 {
		used += len(q[to])
		to++
	}
	before := strings.Join(q[from:wrong], "")
	if from == 0 && !inTail {
		before = `"` + before
	} else {
		before = "…" + before
	}
	after := strings.Join(q[wrong+1:to], "")
	if to == len(q) && (inTail || !e.Shortened()) {
		after += `"`
	} else {
		after += "…"
	}
	return []span{{Text: before}, {Text: q[wrong], Class: "bad"}, {Text: after}}
}

func spansText(s []span) string {
	var b strings.Builder
	for _, p := range s {
		b.WriteString(p.Text)
	}
	return b.String()
}

// mismatchLabel says, in a diagram's row, what the check expected where
// the bytes went wrong.
func mismatchLabel(m *suite.Mismatch, n int) []span {
	if m == nil {
		return []span{{Text: "unexpected bytes"}}
	}
	at := m.Offset - m.Start
	got := "nothing"
	if at < len(m.Received) {
		got = suite.Quote(m.Received[at : at+1])
	}
	if m.ExpectedSize == 0 {
		return []span{{Text: "expected " + fit(m.What, n-30) + ", got "}, {Text: got, Class: "bad"}}
	}
	want := "the end"
	if at < len(m.Expected) {
		want = suite.Quote(m.Expected[at : at+1])
	}
	lead := fmt.Sprintf("byte %d of %s: expected %s, got ", m.Offset, m.What, want)
	if len(lead) > n-8 {
		lead = fmt.Sprintf("byte %d: expected %s, got ", m.Offset, want)
	}
	return []span{{Text: lead}, {Text: got, Class: "bad"}}
}

// wrongEvent is the index of the data event that holds the first wrong
// byte of the recording's last mismatch, or -1.
func wrongEvent(rec *suite.Recording) int {
	for i := len(rec.Events) - 1; i >= 0; i-- {
		m := rec.Events[i]
		if m.Kind != suite.MismatchEvent || m.Mismatch == nil {
			continue
		}
		at := m.Mismatch.StreamOffset + int64(m.Mismatch.Offset)
		for j := i - 1; j >= 0; j-- {
			e := rec.Events[j]
			if e.Kind == suite.DataEvent && e.Conn == m.Conn && e.From == suite.ServerSide && e.Offset <= at && at < e.Offset+int64(e.Size) {
				return j
			}
		}
		return -1
	}
	return -1
}

// wrongAt is where in e the first wrong byte is (e holds it).
func wrongAt(rec *suite.Recording, e suite.Event) int {
	for i := len(rec.Events) - 1; i >= 0; i-- {
		if m := rec.Events[i]; m.Kind == suite.MismatchEvent && m.Mismatch != nil {
			return int(m.Mismatch.StreamOffset + int64(m.Mismatch.Offset) - e.Offset)
		}
	}
	return -1
}

// A mismatchView shows the expected and the received bytes around the
// first wrong one, byte by byte, aligned.
type mismatchView struct {
	Conn, What   string
	Offset       int
	Nothing      bool // nothing was expected
	Columns      []byteColumn
	ExpectedSize int
	ReceivedSize int
	CutBefore    bool // bytes before the columns are not shown
	CutAfter     bool
}

type byteColumn struct {
	Offset    int
	Want, Got byteCell
	Wrong     bool
}

type byteCell struct {
	Glyph, Hex string
	None       bool // past the end
}

const mismatchColumns = 8 // bytes shown on each side of the wrong one

func buildMismatch(rec *suite.Recording) *mismatchView {
	var e suite.Event
	for i := len(rec.Events) - 1; i >= 0; i-- {
		if rec.Events[i].Kind == suite.MismatchEvent && rec.Events[i].Mismatch != nil {
			e = rec.Events[i]
			break
		}
	}
	m := e.Mismatch
	if m == nil {
		return nil
	}
	v := &mismatchView{Conn: e.Conn, What: m.What, Offset: m.Offset, Nothing: m.ExpectedSize == 0, ExpectedSize: m.ExpectedSize, ReceivedSize: m.ReceivedSize}
	from := max(m.Start, m.Offset-mismatchColumns)
	to := m.Offset + mismatchColumns + 1
	v.CutBefore = from > 0
	cell := func(p []byte, i int) byteCell {
		if i-m.Start >= len(p) {
			return byteCell{None: true}
		}
		c := p[i-m.Start]
		return byteCell{Glyph: quoted([]byte{c})[0], Hex: fmt.Sprintf("%02x", c)}
	}
	for i := from; i < to; i++ {
		col := byteColumn{Offset: i, Want: cell(m.Expected, i), Got: cell(m.Received, i), Wrong: i == m.Offset}
		if col.Want.None && col.Got.None {
			break
		}
		v.Columns = append(v.Columns, col)
	}
	last := from + len(v.Columns)
	v.CutAfter = last < m.ExpectedSize || last < m.ReceivedSize
	return v
}

// An eventRow is one line of the table of every byte.
type eventRow struct {
	ID, Time, Conn, Dir, Size, Text string
	Class                           string
}

func eventRows(id string, rec *suite.Recording, wrong int) []eventRow {
	var rows []eventRow
	for i, e := range rec.Events {
		r := eventRow{ID: fmt.Sprintf("%s--ev%d", id, i), Time: at(e.At), Conn: e.Conn, Class: string(e.Kind)}
		switch e.Kind {
		case suite.DataEvent:
			r.Dir, r.Size, r.Text = "→", fmt.Sprintf("%d", e.Size), quoteEvent(e)
			r.Class = "send"
			if e.From == suite.ServerSide {
				r.Dir, r.Class = "←", "recv"
			}
			if i == wrong {
				r.Class += " wrong"
			}
		case suite.MismatchEvent:
			r.Dir, r.Text = "✗", spansText(mismatchLabel(e.Mismatch, 400))
		default:
			r.Dir, r.Text = "•", e.Note
		}
		rows = append(rows, r)
	}
	return rows
}
