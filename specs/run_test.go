package specs

import (
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/socketspec/conformance/suite"
)

// TestStatusOf checks how a spec's Ginkgo state becomes a check's status,
// in particular that a SHOULD spec that times out is a warning outside
// strict mode: a spec timeout does not go through the session's fail
// handler, which turns other SHOULD failures into warnings.
func TestStatusOf(t *testing.T) {
	should := []string{"echo", "echo-8", "SHOULD"}
	must := []string{"echo", "echo-1", "MUST"}
	spec := func(state types.SpecState, labels []string, message string) types.SpecReport {
		return types.SpecReport{State: state, LeafNodeType: types.NodeTypeIt, LeafNodeLabels: labels, Failure: types.Failure{Message: message}}
	}
	for _, tc := range []struct {
		name   string
		spec   types.SpecReport
		strict bool
		want   suite.Status
	}{
		{"passed", spec(types.SpecStatePassed, must, ""), false, suite.Passed},
		{"failed MUST", spec(types.SpecStateFailed, must, "wrong bytes: ..."), false, suite.Failed},
		{"SHOULD warning", spec(types.SpecStateSkipped, should, suite.WarningLead+"timed out: ..."), false, suite.Warned},
		{"SHOULD timed out", spec(types.SpecStateTimedout, should, "A spec timeout occurred"), false, suite.Warned},
		{"SHOULD timed out, strict", spec(types.SpecStateTimedout, should, "A spec timeout occurred"), true, suite.Failed},
		{"MUST timed out", spec(types.SpecStateTimedout, must, "A spec timeout occurred"), false, suite.Failed},
		{"SHOULD interrupted", spec(types.SpecStateInterrupted, should, "interrupted"), false, suite.Failed},
		{"skipped with a reason", spec(types.SpecStateSkipped, must, "curl is not installed"), false, suite.Skipped},
		{"filtered out", spec(types.SpecStateSkipped, must, ""), false, suite.NotRun},
		{"panicked", spec(types.SpecStatePanicked, must, "boom"), false, suite.Failed},
	} {
		if got := statusOf(tc.spec, tc.strict); got != tc.want {
			t.Errorf("%s: status %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestMessageOfATimedOutCheck: a check cut short by its limit says what it
// was waiting for, not only "A spec timeout occurred".
func TestMessageOfATimedOutCheck(t *testing.T) {
	spec := types.SpecReport{State: types.SpecStateTimedout, Failure: types.Failure{
		Message:        "A spec timeout occurred",
		ProgressReport: types.ProgressReport{AdditionalReports: []string{"timed out: client200: timed out after 1.2s waiting for the banner"}},
	}}
	spec.ReportEntries = append(spec.ReportEntries, types.ReportEntry{Name: transcriptEntry, Value: types.WrapEntryValue("  +0.001s  client001  connected")})
	msg := messageOf(spec)
	for _, part := range []string{"timed out: the check did not end within 1m0s", "it was still waiting: timed out: client200", "Transcript", "client001  connected"} {
		if !strings.Contains(msg, part) {
			t.Errorf("message %q lacks %q", msg, part)
		}
	}
}

// TestResultCarriesTranscripts: the transcript a check leaves in its report
// entry reaches its CheckResult as data, for failed and warned checks, and
// for passed ones too with AllTranscripts.
func TestResultCarriesTranscripts(t *testing.T) {
	rec := func() *suite.Recording {
		tr := suite.NewTranscript()
		tr.Note("client", "something happened")
		return tr.Recording()
	}
	spec := func(state types.SpecState, id, level, message string) types.SpecReport {
		s := types.SpecReport{State: state, LeafNodeType: types.NodeTypeIt, LeafNodeText: id, LeafNodeLabels: []string{"echo", id, level}, Failure: types.Failure{Message: message}}
		s.ReportEntries = append(s.ReportEntries, types.ReportEntry{Name: transcriptEntry, Value: types.WrapEntryValue(rec())})
		return s
	}
	report := types.Report{SpecReports: []types.SpecReport{
		spec(types.SpecStatePassed, "echo-2", "MUST", ""),
		spec(types.SpecStateFailed, "echo-1", "MUST", "wrong bytes: ..."),
		spec(types.SpecStateSkipped, "echo-8", "SHOULD", suite.WarningLead+"timed out: ..."),
	}}
	target := suite.Address(suite.TCP, "127.0.0.1:7")
	for _, all := range []bool{false, true} {
		res := resultOf(report, Config{Targets: map[string]suite.Target{"echo": target}, AllTranscripts: all}, []string{"echo"})
		for _, c := range res.Protocols[0].Clauses {
			for _, ch := range c.Checks {
				want := ch.Status != suite.Passed || all
				if got := ch.Transcript != nil && len(ch.Transcript.Events) == 1; got != want {
					t.Errorf("all transcripts %v: %s (%s) has a transcript: %v, want %v", all, c.ID, ch.Status, got, want)
				}
			}
		}
	}
}
