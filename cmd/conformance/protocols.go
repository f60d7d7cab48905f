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
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return exitUsage
	}
	dir, err := os.MkdirTemp("", "conformance-")
	if err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return exitUsage
	}
	defer os.RemoveAll(dir)

	if o.profile.Name != "" {
		printDialect(stdout, o)
	}
	start := time.Now()
	out := newRelay(len(o.protocols), stdout, stderr)
	outcomes := make([]childOutcome, len(o.protocols))
	said := make([]lastLine, len(o.protocols))
	var wg sync.WaitGroup
	for i, p := range o.protocols {
		wg.Go(func() {
			defer out.finish(i)
			outcomes[i] = runChild(ctx, self, child{
				args: childArgs(o, p), base: filepath.Join(dir, p), env: []string{partEnv + "=1"},
				stdout: out.writer(i, 0), stderr: io.MultiWriter(out.writer(i, 1), &said[i]),
			})
		})
	}
	wg.Wait()

	res := suite.Result{Strict: o.strict}
	var junit []reporters.JUnitTestSuite
	for i, p := range o.protocols {
		r := outcomes[i].result
		if r == nil {
			// It could not check its server (or could not run): the
			// run has no verdict. It said why last.
			why := said[i].String()
			if why == "" {
				why = fmt.Sprintf("%s: %v", p, outcomes[i].err)
			}
			res.Incomplete = append(res.Incomplete, why)
			continue
		}
		res.Protocols = append(res.Protocols, r.Protocols...)
		for _, problem := range r.Problems {
			res.Problems = append(res.Problems, p+": "+problem)
		}
		for _, why := range r.Incomplete {
			if !slices.Contains(res.Incomplete, why) {
				res.Incomplete = append(res.Incomplete, why)
			}
		}
		if suites, err := readJUnit(filepath.Join(dir, p+".junit.xml")); err == nil {
			junit = append(junit, suites.TestSuites...)
		}
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

// childArgs are the flags of the child that checks protocol p of o's run.
func childArgs(o options, p string) []string {
	args := []string{"--protocol", p}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, flag, value)
		}
	}
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
	add("--profile", o.profileFile)
	if o.allTranscripts {
		args = append(args, "--transcripts", "all")
	}
	if o.verbose {
		args = append(args, "-v")
	}
	return args
}
