package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/reporters"

	"github.com/socketspec/conformance/suite"
)

// The matrix writes its page beside summary.md, report.json and junit.xml.
func TestMatrixReportsIncludeThePage(t *testing.T) {
	dir := t.TempDir()
	res := &suite.Result{Protocols: []suite.ProtocolResult{{Protocol: "echo", Target: "go", Clauses: []suite.ClauseResult{
		{ID: "echo-1", Level: "MUST", Text: "every byte", Status: suite.Passed, Checks: []suite.CheckResult{{Name: "all", Status: suite.Passed}}},
	}}}}
	m := suite.Matrix{Protocols: []string{"echo"}, Rows: []suite.MatrixRow{{Implementation: "go", Result: res}, {Implementation: "c", Skipped: "no Docker engine"}}}
	if err := writeMatrixReports(dir, m, reporters.JUnitTestSuites{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"summary.md", "report.json", "junit.xml", "index.html"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("no %s: %v", name, err)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<td class="cell passed" title="go, echo: passed"><a href="#go--echo">`, `c: skipped: no Docker engine`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
}
