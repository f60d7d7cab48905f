package specs

import (
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/socketspec/conformance/suite"
)

// lastReport is the report of the run, captured as the suite ends.
var lastReport types.Report

var _ = ReportAfterSuite("socketspec result", func(r Report) { lastReport = r })

// Run runs the selected specs against cfg.Targets, which must already be
// started, and returns the result clause by clause. t is told of any
// failure, as RunSpecs does. It can be called once per process.
func Run(t GinkgoTestingT, cfg Config, sc types.SuiteConfig, rc types.ReporterConfig) suite.Result {
	config = cfg
	gomega.RegisterFailHandler(fail)
	// RunSpecs' own verdict counts a SHOULD spec that timed out as a
	// failure; ours comes from the clauses, below.
	RunSpecs(t, "socketspec conformance", sc, rc)

	var protocols []string
	for _, p := range Protocols() {
		if cfg.Targets[p] != nil {
			protocols = append(protocols, p)
		}
	}
	res := resultOf(lastReport, protocols, cfg.Strict)
	res.Strict = cfg.Strict
	// "Interrupted by User", "Suite Timeout Elapsed": no verdict.
	res.Incomplete = lastReport.SpecialSuiteFailureReasons
	return res
}

// resultOf reduces a Ginkgo report to clause verdicts, using the labels
// DescribeClause puts on every spec.
func resultOf(r types.Report, protocols []string, strict bool) suite.Result {
	checks := map[string][]suite.CheckResult{}
	var res suite.Result
	for _, spec := range r.SpecReports {
		if spec.LeafNodeType != types.NodeTypeIt {
			if spec.State.Is(types.SpecStateFailureStates) {
				res.Problems = append(res.Problems, spec.LeafNodeType.String()+": "+spec.Failure.Message)
			}
			continue
		}
		id := clauseLabel(spec.Labels())
		checks[id] = append(checks[id], suite.CheckResult{
			Name:     spec.LeafNodeText,
			Status:   statusOf(spec, strict),
			Message:  spec.Failure.Message,
			Duration: spec.RunTime,
		})
	}
	for _, p := range protocols {
		pr := suite.ProtocolResult{Protocol: p, Target: config.Targets[p].Name()}
		clauses, _ := Clauses(p)
		for _, c := range clauses {
			pr.Clauses = append(pr.Clauses, suite.ClauseResult{
				ID: c.ID, Level: string(c.Level), Text: c.Text,
				Status: suite.ClauseStatus(checks[c.ID]),
				Checks: checks[c.ID],
			})
		}
		res.Protocols = append(res.Protocols, pr)
	}
	return res
}

func statusOf(spec types.SpecReport, strict bool) suite.Status {
	switch {
	case spec.State == types.SpecStatePassed:
		return suite.Passed
	case spec.State == types.SpecStateSkipped && strings.HasPrefix(spec.Failure.Message, suite.WarningLead):
		return suite.Warned
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
