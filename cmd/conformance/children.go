package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"

	"github.com/socketspec/conformance/suite"
)

// Ginkgo runs one suite per process, specs one after another. To check
// several things at once (the rows of --matrix, the protocols of one run),
// this command runs itself as child processes and reads their reports.

// A child is one run of this command as a child process.
type child struct {
	args []string // its flags, without --json and --junit
	// base names its reports: base+".json" and base+".junit.xml".
	base           string
	env            []string // added to its environment
	stdout, stderr io.Writer
}

// A childOutcome is how a child's run ended.
type childOutcome struct {
	result *suite.Result // its JSON report; nil when it wrote none
	code   int           // its exit status; -1 when a signal ended it
	err    error         // set when it could not be run, or wrote no report
}

// childStopGrace is how long an interrupted child may take to stop its
// servers and containers before it is killed.
const childStopGrace = 30 * time.Second

// runChild runs self (this command) with c's flags and waits for it. When
// ctx is cancelled the child gets one SIGINT, and handles it as a user's
// Ctrl-C: it stops its specs and its servers, and reports what it has. It
// runs in a process group of its own, so that a Ctrl-C at the terminal,
// which signals our group, does not reach it a second time (Ginkgo skips
// its cleanup on a second interrupt); should this process die, the child
// is interrupted too (see childProcAttr).
func runChild(ctx context.Context, self string, c child) childOutcome {
	jsonPath := c.base + ".json"
	os.Remove(jsonPath)
	args := append(slices.Clip(c.args), "--json", jsonPath, "--junit", c.base+".junit.xml")
	cmd := exec.CommandContext(ctx, self, args...)
	if len(c.env) > 0 {
		cmd.Env = append(os.Environ(), c.env...)
	}
	cmd.Stdout, cmd.Stderr = c.stdout, c.stderr
	cmd.SysProcAttr = childProcAttr()
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = childStopGrace
	runErr := cmd.Run()

	out := childOutcome{code: -1}
	if cmd.ProcessState == nil {
		out.err = runErr // it did not start
		return out
	}
	// Once ctx is done, Run returns ctx's error even for a child that
	// exited 0: the exit status says how it ended.
	out.code = cmd.ProcessState.ExitCode()
	data, err := os.ReadFile(jsonPath)
	if errors.Is(err, os.ErrNotExist) {
		out.err = fmt.Errorf("ended (%v) without a result", cmd.ProcessState)
		return out
	}
	if err == nil {
		var res suite.Result
		if err = json.Unmarshal(data, &res); err == nil {
			out.result = &res
			return out
		}
	}
	out.err = fmt.Errorf("no result: %v", err)
	return out
}

// A relay passes the output of concurrent children on in order, as if
// they had run one after another: the first child's output as it comes,
// each later child's (buffered until then) once every child before it has
// ended. Each child's stdout and stderr keep their interleaving.
type relay struct {
	mu     sync.Mutex
	out    [2]io.Writer // stdout, stderr
	turn   int          // the child whose output passes straight through
	done   []bool
	chunks [][]chunk // what each later child wrote meanwhile
}

type chunk struct {
	stream int
	data   []byte
}

func newRelay(children int, stdout, stderr io.Writer) *relay {
	return &relay{out: [2]io.Writer{stdout, stderr}, done: make([]bool, children), chunks: make([][]chunk, children)}
}

// writer is child i's stdout (stream 0) or stderr (stream 1).
func (r *relay) writer(i, stream int) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if i == r.turn {
			r.out[stream].Write(p)
		} else {
			r.chunks[i] = append(r.chunks[i], chunk{stream, bytes.Clone(p)})
		}
		return len(p), nil
	})
}

// finish says that child i has ended: its output is complete.
func (r *relay) finish(i int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done[i] = true
	for r.turn < len(r.done) && r.done[r.turn] {
		r.turn++
		if r.turn < len(r.done) {
			for _, c := range r.chunks[r.turn] {
				r.out[c.stream].Write(c.data)
			}
			r.chunks[r.turn] = nil
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// lastLine keeps the last line written to it that says "conformance: ",
// without those words: a child's last message on its stderr.
type lastLine struct {
	mu   sync.Mutex
	tail []byte
}

func (l *lastLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tail = append(l.tail, p...)
	if len(l.tail) > 4096 {
		l.tail = l.tail[len(l.tail)-4096:]
	}
	return len(p), nil
}

func (l *lastLine) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := strings.Split(string(l.tail), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if msg, ok := strings.CutPrefix(lines[i], "conformance: "); ok {
			return msg
		}
	}
	return ""
}

func lastLineOf(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// readJUnit reads a JUnit report that Ginkgo wrote.
func readJUnit(path string) (reporters.JUnitTestSuites, error) {
	var suites reporters.JUnitTestSuites
	data, err := os.ReadFile(path)
	if err == nil {
		err = xml.Unmarshal(data, &suites)
	}
	return suites, err
}

// writeJUnit writes a JUnit report.
func writeJUnit(path string, suites reporters.JUnitTestSuites) error {
	data, err := xml.MarshalIndent(suites, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), data...), 0o644)
}

// addSuites adds each suite of one JUnit report to merged, and its counts.
func addSuites(merged *reporters.JUnitTestSuites, suites reporters.JUnitTestSuites, rename func(string) string) {
	for _, s := range suites.TestSuites {
		s.Name = rename(s.Name)
		merged.TestSuites = append(merged.TestSuites, s)
	}
	merged.Tests += suites.Tests
	merged.Disabled += suites.Disabled
	merged.Errors += suites.Errors
	merged.Failures += suites.Failures
	merged.Time += suites.Time
}

// oneSuite folds the suites of the children of one run (one per protocol,
// in order) into the one suite a single run would have reported: their
// test cases, except repeated passed suite nodes ("[ReportAfterSuite] ..."),
// under the first suite's name and properties, with the label filter of
// the whole run. Its time is the run's, wall clock.
func oneSuite(parts []reporters.JUnitTestSuite, labelFilter string, elapsed time.Duration) reporters.JUnitTestSuites {
	if len(parts) == 0 {
		return reporters.JUnitTestSuites{}
	}
	s := parts[0]
	s.TestCases, s.Tests, s.Disabled, s.Skipped, s.Errors, s.Failures = nil, 0, 0, 0, 0, 0
	s.Properties.Properties = slices.Clone(s.Properties.Properties)
	succeeded, reasons := true, []string{}
	seen := map[string]bool{}
	for _, p := range parts {
		s.Tests += p.Tests
		s.Disabled += p.Disabled
		s.Skipped += p.Skipped
		s.Errors += p.Errors
		s.Failures += p.Failures
		if p.Timestamp < s.Timestamp {
			s.Timestamp = p.Timestamp
		}
		for _, tc := range p.TestCases {
			if !strings.HasPrefix(tc.Name, "[It]") && tc.Status == "passed" {
				if seen[tc.Name] {
					s.Tests--
					continue
				}
				seen[tc.Name] = true
			}
			s.TestCases = append(s.TestCases, tc)
		}
		for _, prop := range p.Properties.Properties {
			switch {
			case prop.Name == "SuiteSucceeded" && prop.Value != "true":
				succeeded = false
			case prop.Name == "SpecialSuiteFailureReason" && prop.Value != "" && !slices.Contains(reasons, prop.Value):
				reasons = append(reasons, prop.Value)
			}
		}
	}
	for i, prop := range s.Properties.Properties {
		switch prop.Name {
		case "SuiteSucceeded":
			s.Properties.Properties[i].Value = fmt.Sprint(succeeded)
		case "SpecialSuiteFailureReason":
			s.Properties.Properties[i].Value = strings.Join(reasons, "; ")
		case "LabelFilter":
			s.Properties.Properties[i].Value = labelFilter
		}
	}
	s.Time = elapsed.Seconds()
	return reporters.JUnitTestSuites{
		Tests: s.Tests, Disabled: s.Disabled + s.Skipped, Errors: s.Errors, Failures: s.Failures, Time: s.Time,
		TestSuites: []reporters.JUnitTestSuite{s},
	}
}
