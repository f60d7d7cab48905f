package suite

import (
	"bytes"
	"strings"
	"testing"
)

// matrixClause is a clause with one check per status given, named after it.
func matrixClause(id string, statuses ...Status) ClauseResult {
	c := ClauseResult{ID: id, Level: "MUST"}
	for _, s := range statuses {
		msg := ""
		switch s {
		case Failed:
			msg = "expected \"hello\\r\\n\"\ntranscript follows"
		case Warned:
			msg = WarningLead + "the server reset the connection\nmore"
		case Skipped:
			msg = "curl is not installed"
		}
		c.Checks = append(c.Checks, CheckResult{Name: string(s) + " check", Status: s, Message: msg})
	}
	c.Status = ClauseStatus(c.Checks)
	return c
}

func matrixResult(protocols ...ProtocolResult) *Result { return &Result{Protocols: protocols} }

func matrixProtocol(name string, clauses ...ClauseResult) ProtocolResult {
	return ProtocolResult{Protocol: name, Target: "t", Clauses: clauses}
}

var (
	echoPassed = matrixProtocol("echo", matrixClause("echo-1", Passed), matrixClause("echo-2", Passed, Skipped))
	chatPassed = matrixProtocol("chat", matrixClause("chat-1", Passed))
)

func TestMatrix(t *testing.T) {
	for _, c := range []struct {
		name   string
		row    MatrixRow
		failed bool
		cells  []string // echo, chat
		notes  []string
	}{
		{name: "passed",
			row:   MatrixRow{Implementation: "go", Result: matrixResult(echoPassed, chatPassed)},
			cells: []string{"passed", "passed"}},
		{name: "a SHOULD clause not met warns, and does not fail",
			row:   MatrixRow{Implementation: "python", Result: matrixResult(echoPassed, matrixProtocol("chat", matrixClause("chat-1", Passed), matrixClause("chat-2", Passed, Warned)))},
			cells: []string{"passed", "warned"},
			notes: []string{"python: WARN chat-2 warned check: the server reset the connection"}},
		{name: "a MUST clause failed fails, explained by its failed check",
			row:    MatrixRow{Implementation: "c", Result: matrixResult(matrixProtocol("echo", matrixClause("echo-1", Passed, Failed, Failed), matrixClause("echo-2", Warned)), chatPassed)},
			failed: true,
			cells:  []string{"failed", "passed"},
			// One note per clause, its first check of the clause's status.
			notes: []string{`c: FAIL echo-1 failed check: expected "hello\r\n"`, "c: WARN echo-2 warned check: the server reset the connection"}},
		{name: "skipped does not fail",
			row:   MatrixRow{Implementation: "c", Skipped: "no Docker engine"},
			cells: []string{"skipped", "skipped"},
			notes: []string{"c: skipped: no Docker engine"}},
		{name: "skipped wins over a result",
			row:   MatrixRow{Implementation: "c", Skipped: "no Docker engine", Error: "ignored", Result: matrixResult()},
			cells: []string{"skipped", "skipped"},
			notes: []string{"c: skipped: no Docker engine"}},
		{name: "could not be checked fails",
			row:    MatrixRow{Implementation: "c (local)", Error: "conformance: cannot check echo: exited", Log: "reports/c-local.log"},
			failed: true,
			cells:  []string{"error", "error"},
			notes:  []string{"c (local): could not be checked: conformance: cannot check echo: exited (log: reports/c-local.log)"}},
		{name: "no result and no error is an error",
			row:    MatrixRow{Implementation: "c"},
			failed: true,
			cells:  []string{"error", "error"}},
		{name: "a protocol missing from the result was not run, and fails",
			row:    MatrixRow{Implementation: "python", Result: matrixResult(echoPassed)},
			failed: true,
			cells:  []string{"passed", "not run"}},
		{name: "a protocol whose clauses did not run fails",
			row:    MatrixRow{Implementation: "python", Result: matrixResult(echoPassed, matrixProtocol("chat", matrixClause("chat-1", NotRun), matrixClause("chat-2", Skipped)))},
			failed: true,
			cells:  []string{"passed", "not run"}},
		{name: "a cell that is not the row's is no cell, and does not fail",
			row:   MatrixRow{Implementation: "tiny", Cells: []string{"chat"}, Result: matrixResult(chatPassed)},
			cells: []string{NoCell, "passed"}},
		{name: "a cell that could not be checked is an error of its own, and fails",
			row:    MatrixRow{Implementation: "tiny", Errors: map[string]string{"chat": "cannot check chat: exited"}, Log: "reports/tiny.log", Result: matrixResult(echoPassed)},
			failed: true,
			cells:  []string{"passed", "error"},
			notes:  []string{"tiny: chat could not be checked: cannot check chat: exited (log: reports/tiny.log)"}},
		{name: "a skipped row skips only its own cells",
			row:   MatrixRow{Implementation: "c", Cells: []string{"echo"}, Skipped: "no Docker engine"},
			cells: []string{"skipped", NoCell},
			notes: []string{"c: skipped: no Docker engine"}},
		{name: "problems outside the clauses are explained, on one line each",
			row:    MatrixRow{Implementation: "go", Result: &Result{Protocols: []ProtocolResult{echoPassed, matrixProtocol("chat", matrixClause("chat-1", Failed))}, Problems: []string{"AfterSuite failed\nat line 3"}}},
			failed: true,
			cells:  []string{"passed", "failed"},
			notes:  []string{`go: FAIL chat-1 failed check: expected "hello\r\n"`, "go: problem: AfterSuite failed"}},
		{name: "a problem fails the matrix even when every cell passed",
			row:    MatrixRow{Implementation: "go", Result: &Result{Protocols: []ProtocolResult{echoPassed, chatPassed}, Problems: []string{"AfterSuite failed"}}},
			failed: true,
			cells:  []string{"passed", "passed"},
			notes:  []string{"go: problem: AfterSuite failed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			pass := MatrixRow{Implementation: "go", Result: matrixResult(echoPassed, chatPassed)}
			m := Matrix{Protocols: []string{"echo", "chat"}, Rows: []MatrixRow{pass, c.row}}
			if got := m.Failed(); got != c.failed {
				t.Errorf("Failed() = %v, want %v", got, c.failed)
			}
			for i, p := range m.Protocols {
				if got := c.row.Cell(p); got != c.cells[i] {
					t.Errorf("Cell(%s) = %q, want %q", p, got, c.cells[i])
				}
			}
			if got := m.notes(); strings.Join(got, "\n") != strings.Join(c.notes, "\n") {
				t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.notes, "\n"))
			}

			var text bytes.Buffer
			m.WriteText(&text)
			lines := strings.Split(strings.TrimSuffix(text.String(), "\n"), "\n")
			if want := 3 + len(c.notes); len(lines) != want {
				t.Fatalf("WriteText wrote %d lines, want %d:\n%s", len(lines), want, text.String())
			}
			if fields := strings.Fields(lines[0]); strings.Join(fields, " ") != "implementation echo chat" {
				t.Errorf("header %q", lines[0])
			}
			if got, want := strings.TrimSpace(lines[2]), c.row.Implementation; !strings.HasPrefix(got, want+"  ") {
				t.Errorf("row %q does not start with %q", lines[2], want)
			}
			for _, cell := range c.cells {
				if !strings.Contains(lines[2], "  "+cell) {
					t.Errorf("row %q lacks %q", lines[2], cell)
				}
			}
			if strings.Join(lines[3:], "\n") != strings.Join(c.notes, "\n") {
				t.Errorf("WriteText's notes:\n%s", strings.Join(lines[3:], "\n"))
			}

			var md bytes.Buffer
			m.WriteMarkdown(&md)
			if !strings.Contains(md.String(), "| go | ✅ passed | ✅ passed |\n") {
				t.Errorf("markdown lacks the passing row:\n%s", md.String())
			}
			if (len(c.notes) > 0) != strings.Contains(md.String(), "\n```\n") {
				t.Errorf("markdown: notes in a code block only when there are notes:\n%s", md.String())
			}
			for _, n := range c.notes {
				if !strings.Contains(md.String(), "\n"+n+"\n") {
					t.Errorf("markdown lacks the note %q", n)
				}
			}
		})
	}
}

// The text and Markdown forms, whole: aligned columns, icons, and the
// explanations under the matrix.
func TestMatrixWrite(t *testing.T) {
	m := Matrix{
		Protocols: []string{"echo", "http-hello"},
		Rows: []MatrixRow{
			{Implementation: "go", Result: matrixResult(echoPassed, matrixProtocol("http-hello", matrixClause("http-hello-1", Passed)))},
			{Implementation: "python (local)", Result: matrixResult(matrixProtocol("echo", matrixClause("echo-1", Warned)), matrixProtocol("http-hello", matrixClause("http-hello-1", Failed)))},
			{Implementation: "c", Skipped: "no Docker engine"},
			{Implementation: "c (local)", Error: "exit status 2", Log: "r/c-local.log"},
			{Implementation: "rust", Result: matrixResult(echoPassed)},
		},
	}
	var text bytes.Buffer
	m.WriteText(&text)
	wantText := `implementation    echo     http-hello
go                passed   passed    
python (local)    warned   failed    
c                 skipped  skipped   
c (local)         error    error     
rust              passed   not run   
python (local): WARN echo-1 warned check: the server reset the connection
python (local): FAIL http-hello-1 failed check: expected "hello\r\n"
c: skipped: no Docker engine
c (local): could not be checked: exit status 2 (log: r/c-local.log)
`
	if text.String() != wantText {
		t.Errorf("WriteText:\n%s\nwant:\n%s", text.String(), wantText)
	}

	var md bytes.Buffer
	m.WriteMarkdown(&md)
	wantMD := "## socketspec conformance\n\n" +
		"| implementation | echo | http-hello |\n" +
		"|---|---|---|\n" +
		"| go | ✅ passed | ✅ passed |\n" +
		"| python (local) | ⚠️ warned | ❌ failed |\n" +
		"| c | ⏭️ skipped | ⏭️ skipped |\n" +
		"| c (local) | ❌ error | ❌ error |\n" +
		"| rust | ✅ passed | not run |\n" +
		"\nMUST clauses decide passed or failed; warned means a SHOULD clause was not met.\n" +
		"\n```\n" +
		"python (local): WARN echo-1 warned check: the server reset the connection\n" +
		"python (local): FAIL http-hello-1 failed check: expected \"hello\\r\\n\"\n" +
		"c: skipped: no Docker engine\n" +
		"c (local): could not be checked: exit status 2 (log: r/c-local.log)\n" +
		"```\n"
	if md.String() != wantMD {
		t.Errorf("WriteMarkdown:\n%s\nwant:\n%s", md.String(), wantMD)
	}
	if !m.Failed() {
		t.Error("Failed() = false")
	}
}
