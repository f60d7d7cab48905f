package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/socketspec/conformance/specs"
)

// explainRun runs `conformance explain args...` in this process.
func explainRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"explain"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// words collapses every run of white space to one space, so that wrapped
// output can be compared with the text it wraps.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestExplainClause(t *testing.T) {
	// From a directory with no spec documents: everything is embedded.
	t.Chdir(t.TempDir())
	c, err := specs.Lookup("echo-4")
	if err != nil {
		t.Fatal(err)
	}
	e, ok := specs.FailureExcerpt("echo-4")
	if !ok {
		t.Fatal("no excerpt for echo-4")
	}
	code, stdout, stderr := explainRun(t, "echo-4")
	if code != exitPass || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if first, _, _ := strings.Cut(stdout, "\n"); first != "echo-4  MUST  (specs/echo.md)" {
		t.Errorf("first line %q", first)
	}
	flat := words(stdout)
	for _, want := range []string{
		c.Text, "(It is checked only when echo-1 passes: it presumes it.)",
		"Why " + c.Why, "The classic mistake " + c.Mistake, "The fix " + c.Fix,
		"What the failure looks like Against the faulty server " + e.Fault + ", which " + e.Defect + ", this check failed: " + e.Check,
		"Check your server against it: conformance --protocol echo --cmd 'YOUR SERVER {port}' --focus 'echo-4\\b'",
	} {
		if !strings.Contains(flat, words(want)) {
			t.Errorf("the output lacks %q:\n%s", want, stdout)
		}
	}
	// Several premises.
	if _, stdout, _ := explainRun(t, "echo-7"); !strings.Contains(words(stdout), "(It is checked only when echo-5 and echo-6 pass: it presumes them.)") {
		t.Errorf("echo-7:\n%s", stdout)
	}
	// The failure is shown as recorded, line by line, indented.
	for _, line := range strings.Split(e.Message, "\n") {
		if !strings.Contains(stdout, strings.TrimRight("    "+line, " ")+"\n") {
			t.Errorf("the output lacks the failure's line %q", line)
		}
	}
}

func TestExplainProtocol(t *testing.T) {
	clauses, err := specs.Clauses("echo")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := explainRun(t, "echo")
	if code != exitPass || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "echo: the TCP echo protocol  (specs/echo.md)\n\n  An echo server sends back every byte it receives") {
		t.Errorf("it does not start with the overview:\n%s", stdout)
	}
	// One line of words and one of why per clause, in order.
	for _, c := range clauses {
		line := "  " + c.ID + strings.Repeat(" ", len("echo-1")-len(c.ID)) + "  " + string(c.Level)
		i := strings.Index(stdout, line)
		if i < 0 {
			t.Errorf("no line for %s", c.ID)
			continue
		}
		rest := strings.SplitN(stdout[i:], "\n", 3)
		if !strings.HasSuffix(rest[0], c.Text) || !strings.HasSuffix(rest[1], "Why: "+c.Why) {
			t.Errorf("%s reads:\n%s\n%s", c.ID, rest[0], rest[1])
		}
	}
	if !strings.HasSuffix(stdout, "conformance explain echo-1\n") {
		t.Errorf("it does not end with how to explain one:\n%s", stdout)
	}
}

// Every clause and every protocol is explained in full: nothing missing.
func TestExplainEverything(t *testing.T) {
	for _, p := range append(specs.Protocols(), specs.ClientProtocols()...) {
		names := []string{p}
		clauses, err := specs.Clauses(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range clauses {
			names = append(names, c.ID)
		}
		for _, name := range names {
			code, stdout, stderr := explainRun(t, name)
			if code != exitPass || stderr != "" || strings.Contains(stdout, "(not written yet)") || strings.Contains(stdout, "(no failure recorded") {
				t.Errorf("explain %s: exit %d, stderr %q, stdout:\n%s", name, code, stderr, stdout)
			}
		}
	}
}

func TestExplainRejects(t *testing.T) {
	protocols := strings.Join(allProtocols(), ", ")
	for _, c := range []struct {
		name string
		args []string
		want string // the first line of stderr
	}{
		{"nothing", nil, "conformance: explain takes one clause ID or protocol, got 0 arguments"},
		{"two names", []string{"echo-1", "echo-2"}, "conformance: explain takes one clause ID or protocol, got 2 arguments"},
		{"a misspelt protocol", []string{"ehco"}, `conformance: no clause or protocol "ehco"; did you mean echo?`},
		{"a misspelt clause", []string{"greter-2"}, `conformance: no clause or protocol "greter-2"; did you mean greeter-2?`},
		{"upper case", []string{"ECHO-4"}, `conformance: no clause or protocol "ECHO-4"; did you mean echo-4?`},
		{"no such number", []string{"echo-99"}, "conformance: no clause echo-99: echo has echo-1 to echo-9 (conformance explain echo lists them)"},
		{"clause 0", []string{"echo-udp-0"}, "conformance: no clause echo-udp-0: echo-udp has echo-udp-1 to echo-udp-6 (conformance explain echo-udp lists them)"},
		{"nothing near", []string{"postgres"}, `conformance: no clause or protocol "postgres" (protocols: ` + protocols + "; clause IDs such as echo-4: conformance --list)"},
		{"empty", []string{""}, `conformance: no clause or protocol "" (protocols: ` + protocols + "; clause IDs such as echo-4: conformance --list)"},
		{"a flag", []string{"--strict"}, `conformance: no clause or protocol "--strict" (protocols: ` + protocols + "; clause IDs such as echo-4: conformance --list)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := explainRun(t, c.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			if first, _, _ := strings.Cut(stderr, "\n"); first != c.want {
				t.Errorf("stderr:\n got %q\nwant %q", first, c.want)
			}
		})
	}
	// --help is no error.
	if code, stdout, _ := explainRun(t, "--help"); code != exitPass || !strings.HasPrefix(stdout, "usage: conformance explain") {
		t.Errorf("--help: exit %d, %q", code, stdout)
	}
}

func TestWrap(t *testing.T) {
	text := strings.Repeat("word ", 40) + strings.Repeat("x", 100) + " end"
	got := wrap(text, "  ")
	if words(got) != words(text) {
		t.Errorf("wrap lost words: %q", got)
	}
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if !strings.HasPrefix(line, "  ") || len(line) > explainWidth && strings.Contains(strings.TrimSpace(line), " ") {
			t.Errorf("line %q", line)
		}
	}
	if wrap("", "  ") != "" {
		t.Error("an empty text makes lines")
	}
}

func TestNearest(t *testing.T) {
	names := []string{"echo", "echo-1", "echo-2", "welcome", "welcome-1"}
	for name, want := range map[string]string{
		"ehco":     "echo",
		"echo-3":   "echo-1 echo-2", // as near as each other
		"welcom-1": "welcome-1",
		"xyz":      "",
	} {
		if got := strings.Join(nearest(name, names), " "); got != want {
			t.Errorf("nearest(%q) = %q, want %q", name, got, want)
		}
	}
	if d := editDistance("kitten", "sitting"); d != 3 {
		t.Errorf("editDistance = %d", d)
	}
}
