package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
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
	"github.com/socketspec/conformance/suite/htmlreport"
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
// rows run one after another, each against its own servers. It prints the matrix
// and writes reports/summary.md, report.json, junit.xml and index.html.
func runMatrix(o options, stdout, stderr io.Writer) int {
	reportDir := o.reports
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
	// One row at a time: each row already checks its protocols in
	// parallel, and every row at once (with a browser and Python clients
	// per row) starves a small machine past the clients' time bounds.
	fmt.Fprintf(stdout, "checking %d implementations against %s, one after another\n", len(rows), strings.Join(specs.Protocols(), ", "))
	matrix := suite.Matrix{Protocols: specs.Protocols(), Rows: make([]suite.MatrixRow, len(rows))}
	for i, row := range rows {
		if o.allTranscripts {
			row.args = append(row.args, "--transcripts", "all")
		}
		matrix.Rows[i] = checkRow(ctx, self, reportDir, row)
	}
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

// checkRow runs one row as a child process (which checks the protocols
// with children of its own) and reads its JSON result.
func checkRow(ctx context.Context, self, dir string, row matrixRow) suite.MatrixRow {
	out := suite.MatrixRow{Implementation: row.name, Skipped: row.skip}
	if row.skip != "" {
		return out
	}
	base := filepath.Join(dir, slug(row.name))
	out.Log = base + ".log"
	var log syncBuffer
	c := runChild(ctx, self, child{args: append([]string{"--protocol", "all"}, row.args...), base: base, stdout: &log, stderr: &log})
	os.WriteFile(out.Log, log.Bytes(), 0o644)

	switch {
	case (c.code == exitPass || c.code == exitFail) && c.result != nil:
		out.Result = c.result
	case c.code == exitUsage:
		out.Error = lastLineOf(string(log.Bytes())) // why it could not check
	case c.err != nil:
		out.Error = c.err.Error()
	default:
		out.Error = fmt.Sprintf("exit status %d", c.code)
	}
	return out
}

// syncBuffer is a bytes.Buffer that a child's stdout and stderr may write
// at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// writeMatrixReports writes summary.md, report.json, junit.xml (the rows'
// JUnit reports merged, each suite named after its row) and index.html.
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
	if err := writeHTML(filepath.Join(dir, "index.html"), func(w io.Writer) error {
		return htmlreport.WriteMatrix(w, m, htmlreport.Options{Generated: time.Now()})
	}); err != nil {
		return err
	}
	var merged reporters.JUnitTestSuites
	for _, row := range rows {
		path := filepath.Join(dir, slug(row.name)+".junit.xml")
		if _, err := os.Stat(path); err != nil || row.skip != "" {
			continue
		}
		suites, err := readJUnit(path)
		if err != nil {
			return fmt.Errorf("%s: %v", row.name, err)
		}
		addSuites(&merged, suites, func(name string) string { return row.name + ": " + name })
	}
	return writeJUnit(filepath.Join(dir, "junit.xml"), merged)
}
