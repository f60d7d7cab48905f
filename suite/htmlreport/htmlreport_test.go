package htmlreport

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/socketspec/conformance/suite"
)

// hostile is what a server under test might send: markup, quotes, bytes
// that are not UTF-8. The page must show them, never run or parse them.
var hostile = []byte("<script>alert(1)</script>\"'&\r\n\x00\xff</svg>")

func failedResult() suite.Result {
	rec := &suite.Recording{End: 2 * time.Second, Events: []suite.Event{
		{At: time.Millisecond, Conn: "client", Kind: suite.ConnectEvent, From: suite.ClientSide, Note: "connected from 127.0.0.1:1"},
		{At: 2 * time.Millisecond, Conn: "client", Kind: suite.DataEvent, From: suite.ClientSide, Size: 7, Data: []byte("hello\r\n")},
		{At: 3 * time.Millisecond, Conn: "client", Kind: suite.DataEvent, From: suite.ServerSide, Size: len(hostile), Data: hostile},
		{At: 4 * time.Millisecond, Conn: "client", Kind: suite.MismatchEvent, From: suite.ServerSide, Mismatch: &suite.Mismatch{
			What: "the echo of <u>", Offset: 0, Expected: []byte("hello\r\n"), Received: hostile[:7], ExpectedSize: 7, ReceivedSize: 7}},
		{At: 5 * time.Millisecond, Conn: "<img src=x>", Kind: suite.ConnectEvent, From: suite.ClientSide, Note: "connected <i>"},
		{At: 6 * time.Millisecond, Conn: "<img src=x>", Kind: suite.HalfCloseEvent, From: suite.ClientSide, Note: "client half-closed its side (FIN)"},
		{At: 7 * time.Millisecond, Conn: "<img src=x>", Kind: suite.DataEvent, From: suite.ServerSide, Size: 1000, Data: bytes.Repeat([]byte("y"), 160), Tail: bytes.Repeat([]byte("z"), 48)},
		{At: 8 * time.Millisecond, Conn: "<img src=x>", Kind: suite.ResetEvent, From: suite.ServerSide, Note: "connection reset by server (RST)"},
	}}
	return suite.Result{Protocols: []suite.ProtocolResult{{Protocol: "echo", Target: "./server <x> {port}", Clauses: []suite.ClauseResult{
		{ID: "echo-2", Level: "MUST", Text: "nothing first", Status: suite.Passed, Checks: []suite.CheckResult{{Name: "quiet", Status: suite.Passed}}},
		{ID: "echo-1", Level: "MUST", Text: "every byte <unchanged>", Status: suite.Failed, Checks: []suite.CheckResult{{
			Name: "echoes <it>", Status: suite.Failed, Transcript: rec,
			Message: "wrong bytes: client: wrong bytes in the echo: first difference at offset 0\n  expected ..." + suite.TranscriptLead + "  +0.001s ...",
		}}},
		{ID: "echo-3", Level: "MUST", Text: "1 MiB", Status: suite.Unchecked, FollowsFrom: []string{"echo-1"},
			Checks: []suite.CheckResult{{Name: "big", Status: suite.Unchecked, Message: suite.UncheckedLead + "echo-1, which failed"}}},
	}}}}
}

func render(t *testing.T, m suite.Matrix) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteMatrix(&b, m, Options{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestWireBytesAreEscaped(t *testing.T) {
	var b bytes.Buffer
	if err := WriteResult(&b, failedResult(), Options{}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, raw := range []string{"<script>alert", "<img src=x>", "<u>", "<i>", "<unchanged>", "<it>", "<x>", "</svg>\""} {
		if strings.Contains(page, raw) {
			t.Errorf("the page holds %q unescaped", raw)
		}
	}
	if !strings.Contains(page, `\0\xff&lt;/svg&gt;`) {
		t.Errorf("the bytes from the wire are not shown as suite.Quote shows them, escaped")
	}
	// One script: the page's own.
	if n := strings.Count(page, "<script>"); n != 1 {
		t.Errorf("%d <script> elements, want the page's own one", n)
	}
}

func TestDiagramDrawsEveryWrite(t *testing.T) {
	page := render(t, suite.Matrix{Protocols: []string{"echo"}, Rows: []suite.MatrixRow{{Implementation: "go", Result: ptr(failedResult())}}})
	if n := strings.Count(page, `<g class="msg `); n != 3 {
		t.Errorf("%d arrows for writes, want 3", n)
	}
	if n := strings.Count(page, `<g class="msg recv wrong"`); n != 1 {
		t.Errorf("%d arrows marked wrong, want 1", n)
	}
	for _, want := range []string{`<g class="ctl fin"`, `<g class="ctl reset"`, `<g class="mismatch`, "⋯ 792 bytes not recorded ⋯", "the check ended here",
		// Lanes: one per connection, and the server's.
		`>client</text>`, `>&lt;img src=x&gt;</text>`, `>server</text>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// The matrix and the verdicts are in the HTML itself: they read with
// JavaScript off.
func TestMatrixAndVerdictsWithoutScript(t *testing.T) {
	m := suite.Matrix{Protocols: []string{"echo", "chat"}, Rows: []suite.MatrixRow{
		{Implementation: "go", Result: ptr(failedResult())},
		{Implementation: "c", Skipped: "no Docker engine"},
		{Implementation: "python (local)", Error: "python3 not found", Log: "reports/python-local.log"},
	}}
	page := render(t, m)
	page = regexp.MustCompile(`(?s)<script>.*</script>`).ReplaceAllString(page, "")
	for _, want := range []string{
		`<td class="cell failed" title="go, echo: failed"><a href="#go--echo">`,
		`<td class="cell not run"`, // go has no chat result
		`<td class="cell skipped" title="c, echo: skipped: no Docker engine">`,
		`<td class="cell error"`,
		`c: skipped: no Docker engine`,
		`python (local): could not be checked: python3 not found (log: reports/python-local.log)`,
		`<section class="protocol failed" id="go--echo">`,
		// The root failure, then what follows from it, folded.
		`<article class="root failed">`,
		`1 clause follows from echo-1`,
		`follows from echo-1`,
		// The diagnosis without its kind, the transcript's text, or the
		// byte window that the grid shows.
		`<span class="kind">wrong bytes</span> client: wrong bytes in the echo: first difference at offset 0<details`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Index(page, `echo-1</b>`) > strings.Index(page, `echo-2</b>`) {
		t.Errorf("the root failure echo-1 should come before the passed echo-2")
	}
}

func ptr[T any](v T) *T { return &v }
