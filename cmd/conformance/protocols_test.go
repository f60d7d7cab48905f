package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"golang.org/x/sys/unix"

	"github.com/socketspec/conformance/specs"
	"github.com/socketspec/conformance/suite"
)

// Several protocols are checked by one child process each, at once; the
// command merges their reports into what one run would have written: one
// summary with a line per protocol, one JSON result, one JUnit suite.
func TestProtocolsMerged(t *testing.T) {
	dir := t.TempDir()
	jsonPath, junitPath, htmlPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "j.xml"), filepath.Join(dir, "r.html")
	// Clause 1 of every protocol, without the real client programs; the
	// transcripts of the passed checks too, which come from the children.
	code, stdout, stderr := runCommand(t, 2*time.Minute, []string{"PATH="},
		"--protocol", "all", "--impl", "go", "--focus", `-1\b`, "--json", jsonPath, "--junit", junitPath,
		"--transcripts", "all", "--html", htmlPath)
	if code != exitPass {
		t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	protocols := specs.Protocols()

	// The output of each child in protocol order, then one summary.
	var checking, verdicts []string
	for _, line := range strings.Split(stdout, "\n") {
		if p, ok := strings.CutPrefix(line, "socketspec: checking "); ok {
			checking = append(checking, strings.Fields(p)[0])
		}
		if f := strings.Fields(line); len(f) > 2 && slices.Contains(protocols, f[0]) && f[1] == "PASS" {
			verdicts = append(verdicts, f[0])
		}
	}
	if !slices.Equal(checking, protocols) || !slices.Equal(verdicts, protocols) {
		t.Errorf("checking %q, verdicts %q; want each of %q once, in order; stdout:\n%s", checking, verdicts, protocols, stdout)
	}
	if strings.Count(stdout, "\n\n"+protocols[0]+" against go\n") != 1 {
		t.Errorf("want one summary; stdout:\n%s", stdout)
	}

	res := readResult(t, jsonPath)
	var got []string
	for _, p := range res.Protocols {
		got = append(got, p.Protocol)
		if p.Verdict() != suite.Passed || p.Target != "go" {
			t.Errorf("%s: %s against %q", p.Protocol, p.Verdict(), p.Target)
		}
	}
	if !slices.Equal(got, protocols) || len(res.Incomplete) > 0 || len(res.Problems) > 0 {
		t.Errorf("the JSON result: %+v", res)
	}
	// Every check that ran carries its transcript, as data, through the
	// children's JSON.
	for _, p := range res.Protocols {
		for _, c := range p.Clauses {
			for _, ch := range c.Checks {
				if ch.Status != suite.Passed {
					continue
				}
				if ch.Transcript == nil || !slices.ContainsFunc(ch.Transcript.Events, func(e suite.Event) bool { return e.Kind == suite.DataEvent && e.Size > 0 }) {
					t.Errorf("%s %q: no transcript with data in the JSON report: %+v", c.ID, ch.Name, ch.Transcript)
				}
			}
		}
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range protocols {
		if !bytes.Contains(page, []byte(`<section class="protocol passed" id="`+p+`">`)) {
			t.Errorf("the HTML report has no passed section for %s", p)
		}
	}

	suites, err := readJUnit(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(suites.TestSuites) != 1 {
		t.Fatalf("%d JUnit suites, want 1", len(suites.TestSuites))
	}
	s := suites.TestSuites[0]
	after := 0
	passed := map[string]bool{}
	for _, tc := range s.TestCases {
		if strings.HasPrefix(tc.Name, "[ReportAfterSuite]") {
			after++
		}
		if tc.Status == "passed" && strings.HasPrefix(tc.Name, "[It]") {
			passed[strings.Fields(tc.Name)[1]] = true
		}
	}
	if s.Tests != len(s.TestCases) || suites.Tests != s.Tests || s.Failures != 0 || after != 1 || len(passed) != len(protocols) {
		t.Errorf("the JUnit suite: %d tests, %d cases, %d failures, %d ReportAfterSuite nodes, passed specs of %d protocols",
			s.Tests, len(s.TestCases), s.Failures, after, len(passed))
	}
}

// With several protocols, a protocol whose server cannot be checked leaves
// the run without a verdict (exit 2), saying why; the others are reported.
func TestProtocolsNoVerdict(t *testing.T) {
	code, stdout, stderr := runCommand(t, 2*time.Minute, []string{"PATH="},
		"--protocol", "all", "--impl", "go", "--focus", `echo-1\b`)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitUsage, stderr)
	}
	// --focus matches echo-1 and timestamp-echo-1 only.
	if !strings.Contains(stderr, "conformance: no spec of welcome ran (does --focus match any?)") ||
		!strings.Contains(stdout, "echo         PASS ") {
		t.Errorf("stderr:\n%s\nstdout:\n%s", stderr, stdout)
	}
}

// An interrupt stops every child at once, and every server they started:
// no process is left, and the run has no verdict.
func TestProtocolsInterrupted(t *testing.T) {
	args := []string{"--protocol", "all", "--impl", "go"}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		args = []string{"--protocol", "all", "--impl", "python", "--local"} // servers as processes
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Processes orphaned under us become our children, and are found below.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), "PATH=", commandEnv+"=1")
	out := gbytes.NewBuffer() // safe for the child's stdout and stderr at once
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// Once every child runs, and the first one's specs are running.
	children := func() int {
		n := 0
		for _, cmdline := range descendants(cmd.Process.Pid) {
			if strings.HasPrefix(cmdline, self+" --protocol ") {
				n++
			}
		}
		return n
	}
	g := NewWithT(t)
	g.Eventually(children).WithTimeout(30*time.Second).WithPolling(10*time.Millisecond).Should(Equal(len(specs.Protocols())), "the children did not all start")
	g.Eventually(func() string { return string(out.Contents()) }).WithTimeout(30 * time.Second).Should(ContainSubstring("socketspec: checking echo"))
	start := time.Now()
	cmd.Process.Signal(os.Interrupt) // the command alone, not its group
	err = cmd.Wait()
	took := time.Since(start)
	if code := cmd.ProcessState.ExitCode(); code != exitUsage {
		t.Errorf("exit %d (%v), want %d", code, err, exitUsage)
	}
	// The children still starting their servers say "interrupted while
	// waiting", the others "Interrupted by User".
	if o := string(out.Contents()); !strings.Contains(o, "conformance: no verdict, the run did not complete: ") || !strings.Contains(strings.ToLower(o), "interrupted") {
		t.Errorf("output:\n%s", o)
	}
	if took > 10*time.Second {
		t.Errorf("the command took %v to stop", took) // a hang guard: it takes well under a second
	}
	for pid, cmdline := range descendants(os.Getpid()) {
		if alive(pid) {
			t.Errorf("process %d (%s) is still running", pid, cmdline)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// descendants are the processes under pid: their command lines, by pid.
func descendants(pid int) map[int]string {
	parent := map[int]int{}
	cmdlines := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces, not ")".
		i := strings.LastIndexByte(string(stat), ')')
		if f := strings.Fields(string(stat[i+1:])); i > 0 && len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		cmdlines[p] = strings.ReplaceAll(string(cmdline), "\x00", " ")
	}
	found := map[int]string{}
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				found[p] = cmdlines[p]
				break
			}
		}
	}
	return found
}

// alive reports whether pid is a running process (not a zombie).
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || !strings.HasPrefix(string(stat[i+1:]), " Z")
}

// readResult reads the verdict of a run from its --json report.
func readResult(t *testing.T, path string) suite.Result {
	t.Helper()
	var res suite.Result
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &res)
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}
