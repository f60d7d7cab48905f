package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/reporters"

	"github.com/socketspec/conformance/suite"
)

// runMerge is `conformance merge [--reports DIR] SHARD_DIR...`: it merges
// the reports of the shards of one --matrix run (--shard 1/N to N/N) into
// the summary.md, report.json, junit.xml and index.html that the unsharded
// run would have written, with a log, a JSON and a JUnit report per row. It reads
// each shard's report.json into the suite's own types and writes them
// through the same writers as the run, so every field of theirs is kept.
func runMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("conformance merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: conformance merge [--reports DIR] SHARD_DIR...\n\nmerges the reports of the shards of a --matrix --shard K/N run into those of one run.")
		fs.PrintDefaults()
	}
	out := fs.String("reports", "reports", "write the merged summary.md, report.json, junit.xml and index.html to `DIR`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "conformance merge: give the report directories of the shards (--matrix --shard K/N --reports DIR)")
		return exitUsage
	}
	shards := make([]matrixReports, fs.NArg())
	for i, dir := range fs.Args() {
		var err error
		if shards[i], err = readMatrixReports(dir); err != nil {
			fmt.Fprintf(stderr, "conformance merge: %v\n", err)
			return exitUsage
		}
	}
	merged, junit, err := mergeShards(shards)
	if err == nil {
		err = os.MkdirAll(*out, 0o755)
	}
	if err == nil {
		err = writeMergedRows(*out, &merged, junit, shards)
	}
	if err == nil {
		err = writeMatrixReports(*out, merged, junit)
	}
	if err != nil {
		fmt.Fprintf(stderr, "conformance merge: %v\n", err)
		return exitUsage
	}
	merged.WriteText(stdout)
	fmt.Fprintf(stdout, "\n%d shards merged; reports in %s/\n", len(shards), *out)
	if merged.Failed() {
		return exitFail
	}
	return exitPass
}

// matrixReports are the reports of a --matrix run, as it wrote them.
type matrixReports struct {
	dir    string
	matrix suite.Matrix
	junit  reporters.JUnitTestSuites
}

func readMatrixReports(dir string) (matrixReports, error) {
	r := matrixReports{dir: dir}
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		return r, fmt.Errorf("%s: no report of a --matrix run: %v", dir, err)
	}
	if err := json.Unmarshal(data, &r.matrix); err != nil {
		return r, fmt.Errorf("%s: %v", filepath.Join(dir, "report.json"), err)
	}
	if r.junit, err = readJUnit(filepath.Join(dir, "junit.xml")); err != nil {
		return r, fmt.Errorf("%s: %v", filepath.Join(dir, "junit.xml"), err)
	}
	return r, nil
}

// mergeShards merges the matrices and JUnit reports of shards 1/N to N/N,
// given in any order, into those of the whole run.
func mergeShards(shards []matrixReports) (suite.Matrix, reporters.JUnitTestSuites, error) {
	var junit reporters.JUnitTestSuites
	n := len(shards)
	byShard := make([]*matrixReports, n)
	for i := range shards {
		s := &shards[i]
		sh, err := parseShard(s.matrix.Shard)
		switch {
		case s.matrix.Shard == "":
			return suite.Matrix{}, junit, fmt.Errorf("%s: the report of a whole run, not of a shard (--shard K/N)", s.dir)
		case err != nil || sh.n != n:
			return suite.Matrix{}, junit, fmt.Errorf("%s: shard %s, but %d shard directories were given", s.dir, s.matrix.Shard, n)
		case byShard[sh.k-1] != nil:
			return suite.Matrix{}, junit, fmt.Errorf("%s and %s: both shard %s", byShard[sh.k-1].dir, s.dir, s.matrix.Shard)
		case !slices.Equal(s.matrix.Protocols, shards[0].matrix.Protocols):
			return suite.Matrix{}, junit, fmt.Errorf("%s and %s: shards of different manifests (their protocols differ)", shards[0].dir, s.dir)
		}
		byShard[sh.k-1] = s
	}

	// A row's cells are split among shards in protocol order (see plan):
	// taken in shard order, its parts follow one another.
	m := suite.Matrix{Protocols: shards[0].matrix.Protocols}
	parts := map[string][]reporters.JUnitTestSuite{}
	for _, s := range byShard {
		for _, row := range s.matrix.Rows {
			i := slices.IndexFunc(m.Rows, func(r suite.MatrixRow) bool { return r.Implementation == row.Implementation })
			if i < 0 {
				m.Rows = append(m.Rows, row)
				continue
			}
			mergeRow(&m.Rows[i], row)
		}
		for _, ts := range s.junit.TestSuites {
			name, ok := rowOfSuite(ts.Name, s.matrix.Rows)
			if !ok {
				return suite.Matrix{}, junit, fmt.Errorf("%s: JUnit suite %q belongs to no row of its matrix", s.dir, ts.Name)
			}
			ts.Name = strings.TrimPrefix(ts.Name, name+": ")
			parts[name] = append(parts[name], ts)
		}
	}
	for _, row := range m.Rows {
		if len(parts[row.Implementation]) == 0 {
			continue
		}
		var elapsed float64
		for _, p := range parts[row.Implementation] {
			elapsed += p.Time
		}
		suites := oneSuite(parts[row.Implementation], strings.Join(row.Cells, " || "), 0)
		suites.TestSuites[0].Time, suites.Time = elapsed, elapsed
		addSuites(&junit, suites, func(name string) string { return row.Implementation + ": " + name })
	}
	return m, junit, nil
}

// mergeRow adds a later shard's part of a row to the row.
func mergeRow(into *suite.MatrixRow, part suite.MatrixRow) {
	into.Cells = append(into.Cells, part.Cells...)
	if into.Skipped == "" {
		into.Skipped = part.Skipped
	}
	if into.Error == "" {
		into.Error = part.Error
	}
	for p, why := range part.Errors {
		if into.Errors == nil {
			into.Errors = map[string]string{}
		}
		into.Errors[p] = why
	}
	if part.Result == nil {
		return
	}
	if into.Result == nil {
		into.Result = part.Result
		return
	}
	into.Result.Protocols = append(into.Result.Protocols, part.Result.Protocols...)
	into.Result.Problems = append(into.Result.Problems, part.Result.Problems...)
	for _, why := range part.Result.Incomplete {
		if !slices.Contains(into.Result.Incomplete, why) {
			into.Result.Incomplete = append(into.Result.Incomplete, why)
		}
	}
}

// rowOfSuite finds the row a suite of a matrix's JUnit report belongs to:
// its name is the row's, a colon, and the suite's own. Of two rows whose
// names both fit ("c" and "c: x"), the longer wins.
func rowOfSuite(name string, rows []suite.MatrixRow) (string, bool) {
	best := ""
	found := false
	for _, r := range rows {
		if strings.HasPrefix(name, r.Implementation+": ") && len(r.Implementation) >= len(best) {
			best, found = r.Implementation, true
		}
	}
	return best, found
}

// writeMergedRows writes each row's log (the shards' logs, one after
// another), JSON and JUnit reports to dir, as a whole run writes them, and
// points the rows at their logs there.
func writeMergedRows(dir string, m *suite.Matrix, junit reporters.JUnitTestSuites, shards []matrixReports) error {
	for i := range m.Rows {
		row := &m.Rows[i]
		if row.Log == "" {
			continue
		}
		base := filepath.Join(dir, slug(row.Implementation))
		var log []byte
		for _, s := range shards {
			for _, part := range s.matrix.Rows {
				if part.Implementation == row.Implementation && part.Log != "" {
					data, err := os.ReadFile(filepath.Join(s.dir, filepath.Base(part.Log)))
					if err != nil {
						return err
					}
					log = append(log, data...)
				}
			}
		}
		row.Log = base + ".log"
		if err := os.WriteFile(row.Log, log, 0o644); err != nil {
			return err
		}
		if row.Result != nil {
			if err := row.Result.WriteJSON(base + ".json"); err != nil {
				return err
			}
		}
		for _, ts := range junit.TestSuites {
			if name, _ := rowOfSuite(ts.Name, m.Rows); name == row.Implementation {
				ts.Name = strings.TrimPrefix(ts.Name, name+": ")
				one := reporters.JUnitTestSuites{Tests: ts.Tests, Disabled: ts.Disabled + ts.Skipped, Errors: ts.Errors, Failures: ts.Failures, Time: ts.Time, TestSuites: []reporters.JUnitTestSuite{ts}}
				if err := writeJUnit(base+".junit.xml", one); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
