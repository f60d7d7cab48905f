package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2/reporters"

	"github.com/socketspec/conformance/suite"
)

// partEnv, set in a child's environment, marks a child that checks one
// protocol of its parent's run: it leaves the summary, and the notes on
// the verdict, to its parent.
const partEnv = "SOCKETSPEC_CONFORMANCE_PART"

// runProtocols checks several protocols at once. Ginkgo runs the specs of
// one process one after another, so each protocol is checked by a child
// process of this command, against a server of its own; their outputs are
// passed on in protocol order (see relay), and their reports merged into
// one result: one summary, one --json and one --junit report, and the exit
// status a single run would have.
func runProtocols(o options, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// What the children share is made once, before they start (the local
	// programs' build, the container image): each child then finds it done.
	prepare := func() (func(), error) {
		_, release, err := newTargets(ctx, o, stderr)
		return release, err
	}
	if o.client && isContainerImpl(o.builtin()) {
		// Checked: the contracts it has clients for; the others are said.
		has := languageClients(o.builtin())
		var lacks []string
		for _, p := range o.protocols {
			if !slices.Contains(has, p) {
				lacks = append(lacks, p)
			}
		}
		if len(lacks) > 0 {
			fmt.Fprintf(stderr, "conformance: the %s implementation has no client for %s yet: not checked\n", o.builtin(), strings.Join(lacks, ", "))
		}
		o.protocols = slices.DeleteFunc(o.protocols, func(p string) bool { return slices.Contains(lacks, p) })
	}
	if o.client { // a client run starts its own servers, per check
		prepare = func() (func(), error) {
			_, release, err := newClients(ctx, o, stderr)
			return release, err
		}
	}
	release, err := prepare()
	if err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return exitUsage
	}
	release()
	if o.profile.Name != "" {
		printDialect(stdout, o)
	}
	start := time.Now()
	status := newProgress(stdout, len(o.protocols), "protocols")
	outcomes, err := checkEach(ctx, o.protocols, func(p string) []string { return childArgs(o, p) }, status, stderr,
		func(c childOutcome) { status.cellDone(c.code != exitPass) })
	status.stop()
	if err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return exitUsage
	}
	res := suite.Result{Strict: o.strict}
	var junit []reporters.JUnitTestSuite
	for _, oc := range outcomes {
		if oc.result == nil {
			// It could not check its server (or could not run): the
			// run has no verdict.
			res.Incomplete = append(res.Incomplete, oc.why())
			continue
		}
		oc.addTo(&res)
		junit = append(junit, oc.junit...)
	}
	if ctx.Err() != nil && len(res.Incomplete) == 0 {
		res.Incomplete = append(res.Incomplete, "interrupted")
	}
	if o.junit != "" {
		if err := writeJUnit(o.junit, oneSuite(junit, strings.Join(o.protocols, " || "), time.Since(start))); err != nil {
			fmt.Fprintf(stderr, "conformance: writing %s: %v\n", o.junit, err)
			return exitUsage
		}
	}
	return finish(res, o, true, stdout, stderr)
}

// A protocolOutcome is how the check of one protocol, by a child process
// of this command, ended.
type protocolOutcome struct {
	protocol string
	childOutcome
	junit []reporters.JUnitTestSuite // its JUnit report
	said  string                     // its last "conformance: " line
}

// why says why the check has no verdict.
func (oc protocolOutcome) why() string {
	switch {
	case oc.said != "":
		return oc.said
	case oc.result != nil && len(oc.result.Incomplete) > 0:
		return strings.Join(oc.result.Incomplete, "; ")
	case oc.err != nil:
		return fmt.Sprintf("%s: %v", oc.protocol, oc.err)
	}
	return fmt.Sprintf("%s: exit status %d", oc.protocol, oc.code)
}

// addTo adds the check's result to the result of a run of several protocols.
func (oc protocolOutcome) addTo(res *suite.Result) {
	res.Protocols = append(res.Protocols, oc.result.Protocols...)
	for _, problem := range oc.result.Problems {
		res.Problems = append(res.Problems, oc.protocol+": "+problem)
	}
	for _, why := range oc.result.Incomplete {
		if !slices.Contains(res.Incomplete, why) {
			res.Incomplete = append(res.Incomplete, why)
		}
	}
}

// checkEach checks each protocol in a child process of this command, all
// at once, args(p) being the flags of p's child, and passes their output
// on in protocol order (see relay). done, when not nil, is told of each
// child as it ends.
func checkEach(ctx context.Context, protocols []string, args func(p string) []string, stdout, stderr io.Writer, done func(childOutcome)) ([]protocolOutcome, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "conformance-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	out := newRelay(len(protocols), stdout, stderr)
	outcomes := make([]protocolOutcome, len(protocols))
	said := make([]lastLine, len(protocols))
	var wg sync.WaitGroup
	for i, p := range protocols {
		wg.Go(func() {
			defer out.finish(i)
			outcomes[i].childOutcome = runChild(ctx, self, child{
				args: args(p), base: filepath.Join(dir, p), env: []string{partEnv + "=1"},
				stdout: out.writer(i, 0), stderr: io.MultiWriter(out.writer(i, 1), &said[i]),
			})
			if done != nil {
				done(outcomes[i].childOutcome)
			}
		})
	}
	wg.Wait()
	for i, p := range protocols {
		outcomes[i].protocol = p
		outcomes[i].said = said[i].String()
		if suites, err := readJUnit(filepath.Join(dir, p+".junit.xml")); err == nil {
			outcomes[i].junit = suites.TestSuites
		}
	}
	return outcomes, nil
}

// childArgs are the flags of the child that checks protocol p of o's run.
func childArgs(o options, p string) []string {
	args := []string{"--protocol", p}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, flag, value)
		}
	}
	add("--config", o.config)
	add("--addr", o.addr)
	add("--cmd", o.cmdline)
	add("--impl", o.impl)
	if o.local {
		args = append(args, "--local")
	}
	add("--image", o.image)
	if o.image != "" {
		add("--port", strconv.Itoa(o.port))
	}
	if o.strict {
		args = append(args, "--strict")
	}
	add("--focus", o.focus)
	if o.row == nil { // a manifest's server names its own
		add("--profile", o.profileFile)
	}
	if o.allTranscripts {
		args = append(args, "--transcripts", "all")
	}
	if o.verbose {
		args = append(args, "-v")
	}
	return args
}
