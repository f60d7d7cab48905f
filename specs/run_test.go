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
