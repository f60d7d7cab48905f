package specs

import (
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/socketspec/conformance/suite"
)

// Run registers the specs against cfg.Targets, which must already be
// started, runs the selected ones as a Ginkgo suite of their own, and
// returns the result clause by clause. t is told of any failure, as
// RunSpecs does. Ginkgo runs one suite per process, so Run can be called
// once per process; from a Ginkgo suite of your own, call Register.
func Run(t GinkgoTestingT, cfg Config, sc types.SuiteConfig, rc types.ReporterConfig) suite.Result {
	var report types.Report
	ReportAfterSuite("socketspec result", func(r Report) { report = r })
	Register(cfg)
	// RunSpecs' own verdict counts a SHOULD spec that timed out as a
	// failure; ours comes from the clauses, below.
	RunSpecs(t, "socketspec conformance", sc, rc)

	var protocols []string
	for _, p := range append(Protocols(), ClientProtocols()...) {
		if cfg.Targets[p] != nil || cfg.Clients[p] != nil {
			protocols = append(protocols, p)
		}
	}
	res := resultOf(report, cfg, protocols)
	// "Interrupted by User", "Suite Timeout Elapsed": no verdict.
	res.Incomplete = report.SpecialSuiteFailureReasons
	return res
}

// resultOf reduces a Ginkgo report to clause verdicts, using the labels
// DescribeClause puts on every spec.
func resultOf(r types.Report, cfg Config, protocols []string) suite.Result {
	checks := map[string][]suite.CheckResult{}
	res := suite.Result{Strict: cfg.Strict}
	for _, spec := range r.SpecReports {
		if spec.LeafNodeType != types.NodeTypeIt {
			if spec.State.Is(types.SpecStateFailureStates) {
				res.Problems = append(res.Problems, spec.LeafNodeType.String()+": "+spec.Failure.Message)
			}
			continue
		}
		id := clauseLabel(spec.Labels())
		check := suite.CheckResult{
			Name:     spec.LeafNodeText,
			Status:   statusOf(spec, cfg.Strict),
			Message:  messageOf(spec),
			Duration: spec.RunTime,
		}
		for _, e := range spec.ReportEntries {
			switch e.Name {
			case transcriptEntry:
				if rec, ok := e.GetRawValue().(*suite.Recording); ok && (cfg.AllTranscripts || check.Status == suite.Failed || check.Status == suite.Warned) {
					check.Transcript = rec
				}
			case serverOutputEntry:
				check.ServerOutput = e.StringRepresentation()
			}
		}
		checks[id] = append(checks[id], check)
	}
	for _, p := range protocols {
		pr := suite.ProtocolResult{Protocol: p}
		if t := cfg.Targets[p]; t != nil {
			pr.Target = t.Name()
		} else {
			pr.Target = cfg.Clients[p].Name()
		}
		clauses, _ := Clauses(p)
		status := map[string]suite.Status{}
		for _, c := range clauses {
			status[c.ID] = suite.ClauseStatus(checks[c.ID])
		}
		is := func(statuses ...suite.Status) func(string) bool {
			return func(id string) bool { return slices.Contains(statuses, status[id]) }
		}
		follows := Consequences(clauses, is(suite.Failed, suite.Warned), is(suite.Unchecked))
		for _, c := range clauses {
			cr := suite.ClauseResult{ID: c.ID, Level: string(c.Level), Text: c.Text, Status: status[c.ID], Checks: checks[c.ID]}
			if is(suite.Failed, suite.Warned, suite.Unchecked)(c.ID) {
				cr.FollowsFrom = follows[c.ID]
			}
			pr.Clauses = append(pr.Clauses, cr)
		}
		res.Protocols = append(res.Protocols, pr)
	}
	return res
}

// messageOf is a check's diagnosis. A check cut short by its time limit
// has only Ginkgo's "A spec timeout occurred": say instead what it was
// waiting for when the time ran out (what the Gomega assertion in progress
// would have reported), and add the transcript.
func messageOf(spec types.SpecReport) string {
	if spec.State != types.SpecStateTimedout {
		return spec.Failure.Message
	}
	msg := fmt.Sprintf("%s: the check did not end within %v, the limit of every check", suite.TimedOut, checkTimeout)
	if step := spec.Failure.ProgressReport.CurrentStepText; step != "" {
		msg += "; its step: " + step
	}
	if waiting := spec.Failure.ProgressReport.AdditionalReports; len(waiting) > 0 {
		msg += "; it was still waiting: " + suite.StripAsyncPreamble(waiting[0])
	}
	for _, e := range spec.ReportEntries {
		if e.Name == transcriptEntry {
			msg += suite.TranscriptLead + e.StringRepresentation()
		}
	}
	return msg
}

func statusOf(spec types.SpecReport, strict bool) suite.Status {
	switch {
	case spec.State == types.SpecStatePassed:
		return suite.Passed
	case spec.State == types.SpecStateSkipped && strings.HasPrefix(spec.Failure.Message, suite.WarningLead):
		return suite.Warned
	case spec.State == types.SpecStateSkipped && strings.HasPrefix(spec.Failure.Message, suite.UncheckedLead):
		return suite.Unchecked
	case spec.State == types.SpecStateTimedout && !strict && slices.Contains(spec.Labels(), string(Should)):
		// The fail handler turns a SHOULD failure into a warning, but a
		// spec timeout does not go through it.
		return suite.Warned
	case spec.State.Is(types.SpecStateFailureStates):
		return suite.Failed
	case spec.State == types.SpecStateSkipped && spec.Failure.Message != "":
		return suite.Skipped // skipped by the check itself, saying why
	}
	return suite.NotRun
}

// clauseLabel finds the clause ID among a spec's labels.
func clauseLabel(labels []string) string {
	for _, l := range labels {
		if clauseLine.MatchString("- **" + l + "** x") {
			return l
		}
	}
	return ""
}
