package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// The JSON form of a transcript keeps every byte as it was: the 256 byte
// values, a long write's kept head and tail, and where each write starts
// in its side's stream.
func TestRecordingRoundTripsEveryByte(t *testing.T) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	short := []byte("\x00\r\n\xff\xfe\"<script>&")
	tr := NewTranscript()
	tr.mark("client", ConnectEvent, ClientSide, "connected from 127.0.0.1:1")
	tr.sent("client", short)
	tr.sent("client", all)
	tr.received("client", short)
	tr.mark("client", CloseEvent, ServerSide, "server closed the connection (EOF)")

	data, err := json.Marshal(tr.Recording())
	if err != nil {
		t.Fatal(err)
	}
	var rec Recording
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Events) != 5 || rec.End <= 0 {
		t.Fatalf("%d events, end %v: %s", len(rec.Events), rec.End, data)
	}
	sentShort, sentAll, got, closed := rec.Events[1], rec.Events[2], rec.Events[3], rec.Events[4]
	if !bytes.Equal(sentShort.Data, short) || sentShort.Size != len(short) || sentShort.Shortened() || sentShort.Offset != 0 || sentShort.From != ClientSide {
		t.Errorf("a short write came back as %+v", sentShort)
	}
	if !sentAll.Shortened() || sentAll.Size != 256 || !bytes.Equal(sentAll.Data, all[:eventKeepHead]) || !bytes.Equal(sentAll.Tail, all[256-eventKeepTail:]) {
		t.Errorf("a long write came back as %+v", sentAll)
	}
	if sentAll.Offset != int64(len(short)) {
		t.Errorf("the second write starts at offset %d of the client's stream, want %d", sentAll.Offset, len(short))
	}
	if got.From != ServerSide || got.Offset != 0 || !bytes.Equal(got.Data, short) {
		t.Errorf("the server's write came back as %+v", got)
	}
	if closed.Kind != CloseEvent || closed.From != ServerSide {
		t.Errorf("the server's close came back as %+v", closed)
	}
	// The text form is made from the same recording.
	if rec.String() != tr.String() {
		t.Errorf("the recording renders\n%s\nbut the transcript\n%s", rec.String(), tr.String())
	}
}

// A long transcript keeps its first and last events, as its text shows.
func TestRecordingKeepsHeadAndTail(t *testing.T) {
	tr := NewTranscript()
	for range 100 {
		tr.sent("c", []byte("x"))
	}
	rec := tr.Recording()
	if len(rec.Events) != renderHeadEvents+renderTailEvents || rec.OmittedAfter != renderHeadEvents || rec.Omitted != 100-renderHeadEvents-renderTailEvents {
		t.Errorf("kept %d events, omitted %d after %d", len(rec.Events), rec.Omitted, rec.OmittedAfter)
	}
	if last := rec.Events[len(rec.Events)-1]; last.Offset != 99 {
		t.Errorf("the last event starts at offset %d, want 99", last.Offset)
	}
	if !strings.Contains(rec.String(), "... 35 events not shown ...") {
		t.Errorf("the text lacks the gap:\n%s", rec.String())
	}
}

// A matcher that reads a wrong byte records where, against what it expected.
func TestReceiveRecordsTheFirstWrongByte(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		io.WriteString(c, "ab")
		time.Sleep(20 * time.Millisecond) // the test's pacing: two reads
		io.WriteString(c, "cdXf")
		io.Copy(io.Discard, c)
	})
	cl := NewClient(addr)
	defer cl.Close()
	c, err := cl.Dial("client")
	if err != nil {
		t.Fatal(err)
	}
	var first []byte
	failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(5 * time.Second).Should(Receive("a", "the a"))
		g.Eventually(c).WithContext(context.Background()).Within(5 * time.Second).Should(Receive("b", "the b"))
		first = []byte("ab")
	})
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(5 * time.Second).Should(Receive("cdef", "the rest"))
	})
	expectDiagnosis(t, msg, WrongBytes, "offset 2")
	var m *Mismatch
	for _, e := range cl.Transcript().Recording().Events {
		if e.Kind == MismatchEvent {
			m = e.Mismatch
		}
	}
	if m == nil {
		t.Fatalf("no mismatch recorded:\n%s", cl.Transcript())
	}
	if m.Offset != 2 || m.StreamOffset != int64(len(first)) || !bytes.Equal(m.Expected, []byte("cdef")) || !bytes.Equal(m.Received, []byte("cdXf")) || m.What != "the rest" {
		t.Errorf("mismatch %+v: want offset 2 of \"cdef\", received \"cdXf\", at stream offset 2", m)
	}
}
