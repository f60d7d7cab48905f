package suite

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Status is the outcome of a check or a clause.
type Status string

const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Warned  Status = "warned"  // a SHOULD clause not met, outside --strict
	Skipped Status = "skipped" // could not run here, with the reason (a client not installed)
	NotRun  Status = "not run" // filtered out by --focus or a label filter
	// Unchecked is a clause not checked because a clause it presumes
	// failed: its result would follow from that failure. FollowsFrom names
	// the failed clauses.
	Unchecked Status = "unchecked"
)

// UncheckedLead starts the message of a check that was not run because a
// clause it presumes failed; the failed clauses follow it.
const UncheckedLead = "not checked: it presumes "

// A Result is the outcome of one run: per protocol, per clause.
type Result struct {
	Strict    bool             `json:"strict"`
	Protocols []ProtocolResult `json:"protocols"`
	// Problems are failures that belong to no clause (a suite-level
	// setup failure, an interrupted run).
	Problems []string `json:"problems,omitempty"`
	// Incomplete says why the run stopped before its end (an interrupt, the
	// suite's timeout): then it has no verdict.
	Incomplete []string `json:"incomplete,omitempty"`
}

// A ProtocolResult is the outcome of one protocol's specs against one target.
type ProtocolResult struct {
	Protocol string         `json:"protocol"`
	Target   string         `json:"target"`
	Clauses  []ClauseResult `json:"clauses"`
}

// A ClauseResult is the outcome of the checks of one clause.
type ClauseResult struct {
	ID     string `json:"id"`
	Level  string `json:"level"`
	Text   string `json:"text"`
	Status Status `json:"status"`
	// FollowsFrom names the failed clauses this clause's result follows
	// from (they are presumed by it); empty for a root.
	FollowsFrom []string      `json:"follows_from,omitempty"`
	Checks      []CheckResult `json:"checks"`
}

// A CheckResult is the outcome of one spec.
type CheckResult struct {
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Message  string        `json:"message,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// Transcript is what crossed the wire in the check, as data: for a
	// failed or warned check (for every check with --transcripts all).
	// The message has it as text too.
	Transcript *Recording `json:"transcript,omitempty"`
	// ServerOutput is the last lines the server printed, when the suite
	// started it and the check failed.
	ServerOutput string `json:"server_output,omitempty"`
}

// TranscriptLead introduces the transcript in a failure message.
const TranscriptLead = "\n\nTranscript (-> client to server, <- server to client):\n"

// Diagnosis is the check's message without the transcript that follows it
// and without the warning's lead: what went wrong, in words.
func (c CheckResult) Diagnosis() string {
	msg := strings.TrimPrefix(c.Message, WarningLead)
	msg, _, _ = strings.Cut(msg, TranscriptLead)
	return strings.TrimSpace(msg)
}

// Count returns how many clauses have the given status.
func (p ProtocolResult) Count(s Status) int {
	n := 0
	for _, c := range p.Clauses {
		if c.Status == s {
			n++
		}
	}
	return n
}

// SkippedChecks counts the checks that could not run here (a client
// program not installed), whatever their clause's status.
func (p ProtocolResult) SkippedChecks() int {
	n := 0
	for _, c := range p.Clauses {
		for _, ch := range c.Checks {
			if ch.Status == Skipped {
				n++
			}
		}
	}
	return n
}

// Verdict is "passed" when no MUST clause failed (and, under --strict, no
// SHOULD clause), "failed" otherwise, "not run" when no clause ran.
func (p ProtocolResult) Verdict() Status {
	switch {
	case p.Count(Failed) > 0:
		return Failed
	case p.Count(Passed)+p.Count(Warned) == 0:
		return NotRun
	case p.Count(Warned) > 0:
		return Warned
	}
	return Passed
}

// Failed reports whether the run as a whole failed: a required clause
// failed, or something outside the clauses went wrong.
func (r Result) Failed() bool {
	for _, p := range r.Protocols {
		if p.Verdict() == Failed {
			return true
		}
	}
	return len(r.Problems) > 0
}

// ClauseStatus combines the statuses of a clause's checks: failed if one
// failed, else warned if one warned, else passed if one passed. Checks that
// were skipped or not run count for nothing; the summary lists the skips.
func ClauseStatus(checks []CheckResult) Status {
	has := map[Status]bool{}
	for _, c := range checks {
		has[c.Status] = true
	}
	switch {
	case has[Failed]:
		return Failed
	case has[Warned]:
		return Warned
	case has[Passed]:
		return Passed
	case has[Unchecked]:
		return Unchecked
	}
	return NotRun
}

// WriteSummary writes the verdict clause by clause, then a line per
// protocol: what a reader needs after the specs' own output.
func (r Result) WriteSummary(w io.Writer) {
	// The specs' own output shows failures in full, but not warnings.
	for _, p := range r.Protocols {
		for _, c := range p.Clauses {
			for _, ch := range c.Checks {
				if ch.Status == Warned {
					fmt.Fprintf(w, "\nWARNING %s %s: %s\n  %s\n", c.ID, c.Level, ch.Name,
						strings.ReplaceAll(strings.TrimPrefix(ch.Message, WarningLead), "\n", "\n  "))
				}
			}
		}
	}
	for _, p := range r.Protocols {
		fmt.Fprintf(w, "\n%s against %s\n", p.Protocol, p.Target)
		p.writeClauses(w)
	}
	fmt.Fprintln(w)
	for _, p := range r.Protocols {
		fmt.Fprintf(w, "%-12s %-7s  %d passed, %d failed, %d SHOULD warnings", p.Protocol, strings.ToUpper(verdictWord(p.Verdict())),
			p.Count(Passed), p.Count(Failed), p.Count(Warned))
		if n := p.Count(Unchecked); n > 0 {
			fmt.Fprintf(w, ", %d not checked (they presume a failed clause)", n)
		}
		if n := p.Count(NotRun); n > 0 {
			fmt.Fprintf(w, ", %d not run", n)
		}
		if n := p.SkippedChecks(); n > 0 {
			fmt.Fprintf(w, ", %d checks skipped", n)
		}
		fmt.Fprintf(w, "  (%s)\n", p.Target)
	}
	for _, problem := range r.Problems {
		fmt.Fprintf(w, "problem: %s\n", firstLine(problem))
	}
}

// writeClauses writes a protocol's clauses, root failures first: each
// failed or warned clause that follows from no other, with its checks'
// diagnoses, then, folded under it, the clauses that follow from it. Then
// the others, in document order.
func (p ProtocolResult) writeClauses(w io.Writer) {
	line := func(indent string, c ClauseResult) {
		fmt.Fprintf(w, "%s%-4s  %-14s %-6s  %s", indent, mark(c.Status), c.ID, c.Level, c.Text)
		if len(c.FollowsFrom) > 0 {
			fmt.Fprintf(w, " (follows from %s", strings.Join(c.FollowsFrom, ", "))
			if c.Status == Unchecked {
				fmt.Fprint(w, ": not checked")
			}
			fmt.Fprint(w, ")")
		}
		fmt.Fprintln(w)
		for _, ch := range c.Checks {
			switch ch.Status {
			case Failed, Warned:
				fmt.Fprintf(w, "%s        %s: %s\n", indent, ch.Name, firstLine(strings.TrimPrefix(ch.Message, WarningLead)))
			case Skipped:
				fmt.Fprintf(w, "%s        skipped: %s: %s\n", indent, ch.Name, firstLine(ch.Message))
			}
		}
	}
	written := map[string]bool{}
	for _, root := range p.Clauses {
		if (root.Status != Failed && root.Status != Warned) || len(root.FollowsFrom) > 0 {
			continue
		}
		line("  ", root)
		written[root.ID] = true
		for _, c := range p.Clauses {
			// A consequence of several roots is folded under the first.
			if len(c.FollowsFrom) > 0 && c.FollowsFrom[0] == root.ID {
				line("      ", c)
				written[c.ID] = true
			}
		}
	}
	for _, c := range p.Clauses {
		if !written[c.ID] {
			line("  ", c)
		}
	}
}

// WarningLead starts the message of a check whose SHOULD clause was not
// met outside --strict: the specs report it so (a skip with this message),
// and the reports show the message without it.
const WarningLead = "WARNING: SHOULD clause not met (a failure with --strict):\n"

func verdictWord(s Status) string {
	switch s {
	case Passed, Warned: // warnings are shown in the counts
		return "pass"
	case Failed:
		return "fail"
	}
	return string(s)
}

func mark(s Status) string {
	switch s {
	case Passed:
		return "PASS"
	case Failed:
		return "FAIL"
	case Warned:
		return "WARN"
	}
	return "----"
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// WriteJSON writes the result as indented JSON to path.
func (r Result) WriteJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
