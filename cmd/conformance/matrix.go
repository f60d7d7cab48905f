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
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"

	"github.com/socketspec/conformance/containers"
	"github.com/socketspec/conformance/specs"
	"github.com/socketspec/conformance/suite"
)

// A matrixRow is one implementation to check, and how.
type matrixRow struct {
	name   string
	args   []string        // the conformance flags that select it
	docker bool            // needs the Docker engine
	build  containers.Impl // local: its build step runs first
	skip   string          // why it cannot run here, when it cannot
}

// matrixRows are the rows of the matrix: the Go reference, then each
// implementation of the table in its container, then each as a local process.
func matrixRows() []matrixRow {
	rows := []matrixRow{{name: "go", args: []string{"--impl", "go"}}}
	for _, impl := range containers.Impls {
		rows = append(rows, matrixRow{name: impl.Name, args: []string{"--impl", impl.Name}, docker: true})
	}
	for _, impl := range containers.Impls {
		rows = append(rows, matrixRow{name: impl.Name + " (local)", args: []string{"--impl", impl.Name, "--local"}, build: impl})
	}
	return rows
}

// runMatrix checks every implementation against every protocol. Ginkgo
// runs once per process, so each row is a child process of this command;
// rows run in parallel, each against its own servers. It prints the matrix
// and writes reports/summary.md, report.json and junit.xml.
func runMatrix(reportDir string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := os.MkdirAll(reportDir, 0o755); err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return exitUsage
	}
	root, err := containers.RepoRoot()
	if err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return exitUsage
	}

	rows := matrixRows()

	// Docker: connect, clear leftovers, build each image once for all rows.
	engine, err := containers.Connect(ctx)
	if err != nil && os.Getenv("CONFORMANCE_REQUIRE_DOCKER") == "1" {
		fmt.Fprintf(stderr, "conformance: %v, and CONFORMANCE_REQUIRE_DOCKER=1\n", err)
		return exitUsage
	}
	if err == nil {
		defer engine.Close()
		engine.RemoveLeftovers(ctx)
		for _, impl := range containers.Impls {
			if _, err := engine.EnsureImage(ctx, root, impl, stderr); err != nil {
				fmt.Fprintf(stderr, "conformance: %v\n", err)
				return exitUsage
			}
		}
	}
	for i := range rows {
		if rows[i].docker && engine == nil {
			rows[i].skip = "no Docker engine"
		}
		// A local row's programs are built once here, before the rows run
		// in parallel; the row's own build then finds nothing to do.
		if err := rows[i].build.BuildLocal(ctx, root, stderr); err != nil {
			rows[i].skip = err.Error()
		}
	}

	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return exitUsage
	}
	start := time.Now()
	fmt.Fprintf(stdout, "checking %d implementations against %s, in parallel\n", len(rows), strings.Join(specs.Protocols(), ", "))
	matrix := suite.Matrix{Protocols: specs.Protocols(), Rows: make([]suite.MatrixRow, len(rows))}
	var wg sync.WaitGroup
	for i, row := range rows {
		wg.Go(func() { matrix.Rows[i] = checkRow(ctx, self, reportDir, row) })
	}
	wg.Wait()
	if engine != nil {
		engine.RemoveLeftovers(context.Background()) // of a row that was killed
	}

	fmt.Fprintf(stdout, "\n")
	matrix.WriteText(stdout)
	fmt.Fprintf(stdout, "\n%d implementations in %.1fs; reports in %s/\n", len(rows), time.Since(start).Seconds(), reportDir)
	if err := writeMatrixReports(reportDir, matrix, rows); err != nil {
		fmt.Fprintf(stderr, "conformance: writing reports: %v\n", err)
		return exitUsage
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "conformance: interrupted")
		return exitUsage
	}
	if matrix.Failed() {
		return exitFail
	}
	return exitPass
}

// slug turns "c (local)" into "c-local", for file names.
func slug(name string) string {
	return strings.NewReplacer(" (", "-", ")", "").Replace(name)
}

// checkRow runs one row as a child process and reads its JSON result.
func checkRow(ctx context.Context, self, dir string, row matrixRow) suite.MatrixRow {
	out := suite.MatrixRow{Implementation: row.name, Skipped: row.skip}
	if row.skip != "" {
		return out
	}
	base := filepath.Join(dir, slug(row.name))
	out.Log = base + ".log"
	os.Remove(base + ".json")
	args := append(append([]string{"--protocol", "all"}, row.args...), "--json", base+".json", "--junit", base+".junit.xml")
	cmd := exec.CommandContext(ctx, self, args...)
	// On Ctrl-C the child has its own interrupt handling; give it time to
	// stop its servers and containers rather than killing it.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	err := cmd.Run()
	os.WriteFile(out.Log, log.Bytes(), 0o644)

	var exit *exec.ExitError
	switch {
	case err == nil, errors.As(err, &exit) && exit.ExitCode() == exitFail:
	case errors.As(err, &exit):
		out.Error = lastLine(log.String())
		return out
	default:
		out.Error = err.Error()
		return out
	}
	data, err := os.ReadFile(base + ".json")
	if err == nil {
		var res suite.Result
		if err = json.Unmarshal(data, &res); err == nil {
			out.Result = &res
			return out
		}
	}
	out.Error = fmt.Sprintf("no result: %v", err)
	return out
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// writeMatrixReports writes summary.md, report.json and junit.xml (the
// rows' JUnit reports merged, each suite named after its row).
func writeMatrixReports(dir string, m suite.Matrix, rows []matrixRow) error {
	var md bytes.Buffer
	m.WriteMarkdown(&md)
	if err := os.WriteFile(filepath.Join(dir, "summary.md"), md.Bytes(), 0o644); err != nil {
		return err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	var merged reporters.JUnitTestSuites
	for _, row := range rows {
		data, err := os.ReadFile(filepath.Join(dir, slug(row.name)+".junit.xml"))
		if err != nil || row.skip != "" {
			continue
		}
		var suites reporters.JUnitTestSuites
		if err := xml.Unmarshal(data, &suites); err != nil {
			return fmt.Errorf("%s: %v", row.name, err)
		}
		for _, s := range suites.TestSuites {
			s.Name = row.name + ": " + s.Name
			merged.TestSuites = append(merged.TestSuites, s)
		}
		merged.Tests += suites.Tests
		merged.Disabled += suites.Disabled
		merged.Errors += suites.Errors
		merged.Failures += suites.Failures
		merged.Time += suites.Time
	}
	data, err = xml.MarshalIndent(merged, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "junit.xml"), append([]byte(xml.Header), data...), 0o644)
}
