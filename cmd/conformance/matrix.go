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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"

	"github.com/socketspec/conformance/containers"
	"github.com/socketspec/conformance/suite"
	"github.com/socketspec/conformance/suite/htmlreport"
)

// defaultManifest is the manifest --matrix reads without --config: this
// project's own, at the root of its repository.
const defaultManifest = "socketspec.yaml"

// A shard is the K-th of N shares of the cells of a matrix (--shard K/N);
// the zero shard is the whole matrix.
type shard struct{ k, n int }

func parseShard(s string) (shard, error) {
	k, n, ok := strings.Cut(s, "/")
	sh := shard{}
	var errK, errN error
	sh.k, errK = strconv.Atoi(k)
	sh.n, errN = strconv.Atoi(n)
	if !ok || errK != nil || errN != nil || sh.n < 1 || sh.k < 1 || sh.k > sh.n {
		return shard{}, fmt.Errorf("--shard %q: want K/N, the K-th of N shares, 1 <= K <= N (e.g. 2/3)", s)
	}
	return sh, nil
}

func (s shard) String() string {
	if s.n == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.k, s.n)
}

// A matrixRow is an implementation to check, and the protocols of it to
// check in this run: its cells.
type matrixRow struct {
	*manifestImpl
	cells []string
}

// plan lists the rows of the matrix, with the cells of this shard. The
// cells are every (implementation, protocol) pair, row after row, each row's
// protocols in document order; shard K of N takes the K-th of N runs of
// them in a row, as even as can be. So every share of a row is in protocol
// order, and the shards' reports merge back into the unsharded run's.
func plan(m *manifest, s shard) []matrixRow {
	total := 0
	for _, impl := range m.impls {
		total += len(impl.protocols())
	}
	from, to := 0, total
	if s.n > 0 {
		from, to = (s.k-1)*total/s.n, s.k*total/s.n
	}
	var rows []matrixRow
	i := 0
	for _, impl := range m.impls {
		row := matrixRow{manifestImpl: impl}
		for _, p := range impl.protocols() {
			if i >= from && i < to {
				row.cells = append(row.cells, p)
			}
			i++
		}
		if len(row.cells) > 0 {
			rows = append(rows, row)
		}
	}
	return rows
}

// runMatrix checks every implementation of the manifest against every
// protocol it names (the cells of o.shard). It prints the matrix and
// writes summary.md, report.json, junit.xml and index.html, and a log, a
// JSON and a JUnit report per row, to o.reports. Rows are checked one
// after another, the cells of a row at once, each by a child process
// (Ginkgo runs once per process): a browser and Python clients per cell,
// every row at once, would starve a small machine past the clients' time
// bounds.
func runMatrix(o options, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := os.MkdirAll(o.reports, 0o755); err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return exitUsage
	}
	rows := plan(o.manifest, o.shard)

	// Without a Docker engine, the rows that need one are skipped.
	var engine *containers.Engine
	if slices.ContainsFunc(rows, func(r matrixRow) bool { return r.docker() }) {
		var err error
		engine, err = connect(ctx, stderr)
		switch {
		case err == nil:
			defer engine.Close()
		case os.Getenv("CONFORMANCE_REQUIRE_DOCKER") == "1":
			fmt.Fprintf(stderr, "conformance: %v, and CONFORMANCE_REQUIRE_DOCKER=1\n", err)
			return exitUsage
		}
	}

	start := time.Now()
	cells := 0
	for _, row := range rows {
		cells += len(row.cells)
	}
	of := ""
	if o.shard.n > 0 {
		of = fmt.Sprintf(" (shard %s)", o.shard)
	}
	fmt.Fprintf(stdout, "checking %d implementations of %s, %d cells%s, one implementation after another\n", len(rows), o.manifest.path, cells, of)
	matrix := suite.Matrix{Protocols: o.manifest.protocols(), Shard: o.shard.String()}
	var junit reporters.JUnitTestSuites
	status := newProgress(stdout, cells, "cells")
	for _, row := range rows {
		if ctx.Err() != nil {
			break // interrupted: the rows checked so far are reported
		}
		status.startRow(row.name)
		rowStart := time.Now()
		r, suites := checkRow(ctx, o, engine, row, status)
		status.println("%s: %s (%.1f s)", row.name, rowSummary(r), time.Since(rowStart).Seconds())
		matrix.Rows = append(matrix.Rows, r)
		addSuites(&junit, suites, func(name string) string { return row.name + ": " + name })
	}
	status.stop()
	if engine != nil {
		engine.RemoveLeftovers(context.Background()) // of a cell that was killed
	}

	fmt.Fprintf(stdout, "\n")
	matrix.WriteText(stdout)
	fmt.Fprintf(stdout, "\n%d implementations in %.1fs; reports in %s/\n", len(rows), time.Since(start).Seconds(), o.reports)
	if err := writeMatrixReports(o.reports, matrix, junit); err != nil {
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

// rowSummary counts a checked row's cells by verdict: "15 cells: 14
// passed, 1 failed", or says why it has none.
func rowSummary(r suite.MatrixRow) string {
	switch {
	case r.Skipped != "":
		return "skipped: " + r.Skipped
	case r.Error != "" && r.Result == nil:
		return "could not be checked: " + r.Error
	}
	counts := map[string]int{}
	var order []string
	for _, p := range r.Cells {
		v := r.Cell(p)
		if counts[v] == 0 {
			order = append(order, v)
		}
		counts[v]++
	}
	var parts []string
	for _, v := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[v], v))
	}
	return fmt.Sprintf("%d cells: %s", len(r.Cells), strings.Join(parts, ", "))
}

// slug turns an implementation's name into a file name: "c (local)" is
// "c-local".
func slug(name string) string {
	return strings.Trim(unsafeInName.ReplaceAllString(name, "-"), "-")
}

var unsafeInName = regexp.MustCompile(`[^A-Za-z0-9._]+`)

// checkRow prepares an implementation (its build step, or the image of one
// of this project's), then checks its cells, each in a child process of
// this command. Its output goes to the row's log; it writes the row's JSON
// and JUnit reports beside it, and returns the row and its JUnit suites.
func checkRow(ctx context.Context, o options, engine *containers.Engine, row matrixRow, status *progress) (suite.MatrixRow, reporters.JUnitTestSuites) {
	out := suite.MatrixRow{Implementation: row.name, Language: row.language, Cells: row.cells}
	var junit reporters.JUnitTestSuites
	if row.docker() && engine == nil {
		out.Skipped = "no Docker engine"
		return out, junit
	}
	base := filepath.Join(o.reports, slug(row.name))
	out.Log = base + ".log"
	log, err := os.Create(out.Log)
	if err != nil {
		out.Error = err.Error()
		return out, junit
	}
	defer log.Close()

	if err := prepare(ctx, engine, row.manifestImpl, log); err != nil {
		out.Error = err.Error()
		fmt.Fprintf(log, "conformance: %v\n", err)
		return out, junit
	}
	start := time.Now()
	args := func(p string) []string {
		args := []string{"--config", o.config, "--impl", row.name, "--protocol", p}
		if o.allTranscripts {
			args = append(args, "--transcripts", "all")
		}
		return args
	}
	outcomes, err := checkEach(ctx, row.cells, args, log, log, func(c childOutcome) { status.cellDone(c.code != exitPass) })
	if err != nil {
		out.Error = err.Error()
		return out, junit
	}
	res := suite.Result{}
	var parts []reporters.JUnitTestSuite
	for _, oc := range outcomes {
		if oc.result == nil || (oc.code != exitPass && oc.code != exitFail) {
			if out.Errors == nil {
				out.Errors = map[string]string{}
			}
			// The child said "cannot check PROTOCOL: why"; the cell names the protocol.
			out.Errors[oc.protocol] = strings.TrimPrefix(oc.why(), "cannot check "+oc.protocol+": ")
			continue
		}
		oc.addTo(&res)
		parts = append(parts, oc.junit...)
	}
	if ctx.Err() != nil {
		out.Error = "interrupted"
	}
	out.Result = &res
	res.WriteSummary(log)
	if err := res.WriteJSON(base + ".json"); err != nil {
		out.Error = err.Error()
	}
	if len(parts) > 0 {
		junit = oneSuite(parts, strings.Join(row.cells, " || "), time.Since(start))
		if err := writeJUnit(base+".junit.xml", junit); err != nil {
			out.Error = err.Error()
		}
	}
	return out, junit
}

// prepare readies an implementation's servers: it runs its build step, or
// builds the image of one of this project's implementations unless an
// image of its current sources exists. Their output goes to log.
func prepare(ctx context.Context, engine *containers.Engine, impl *manifestImpl, log io.Writer) error {
	if builtin, ok := containers.FindImpl(impl.impl); ok {
		_, err := ensureImage(ctx, engine, builtin, log)
		return err
	}
	return impl.runBuild(ctx, log)
}

// writeMatrixReports writes summary.md, report.json, junit.xml and
// index.html: what a --matrix run writes, and what conformance merge
// writes of its shards.
func writeMatrixReports(dir string, m suite.Matrix, junit reporters.JUnitTestSuites) error {
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
	return writeJUnit(filepath.Join(dir, "junit.xml"), junit)
}
