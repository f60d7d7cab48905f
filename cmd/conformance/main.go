// Command conformance checks a server against the socketspec specs and
// prints a verdict clause by clause.
//
//	conformance --protocol NAME (--addr HOST:PORT | --cmd 'COMMAND ... {port} ...' |
//	            --impl IMPL [--local] | --image IMAGE --port N)
//	            [--strict] [--focus REGEX] [--list] [--junit FILE] [--json FILE] [--html FILE]
//	            [--transcripts failed|all] [-v]
//	conformance --client --protocol NAME|all (--cmd 'CLIENT {host} {port}' | --impl IMPL [--local]) [flags]
//	conformance --protocol NAME|all --config FILE --impl NAME [flags]
//	conformance --matrix [--config FILE] [--shard K/N] [--reports DIR] [--transcripts failed|all]
//	conformance merge [--reports DIR] SHARD_DIR...
//	conformance explain CLAUSE-ID|PROTOCOL
//
// A manifest (--config, socketspec.yaml by default) lists implementations
// and how to start their servers; see manifest.go.
//
// Exit status: 0 when every required spec passed, 1 when one failed, 2 on
// a usage error or when the server cannot be reached or started.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/socketspec/conformance/containers"
	"github.com/socketspec/conformance/specs"
	"github.com/socketspec/conformance/suite"
	"github.com/socketspec/conformance/suite/htmlreport"
)

const (
	exitPass  = 0
	exitFail  = 1
	exitUsage = 2
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the command's flags, checked.
type options struct {
	protocols []string
	addr      string
	cmdline   string
	impl      string
	local     bool
	image     string
	port      int
	strict    bool
	focus     string
	list      bool
	matrix    bool
	client    bool // the protocols are client protocols ("echo-client")
	reports   string
	// config is --config: a manifest (see manifest.go). With --matrix,
	// manifest is it, and shard the share of its cells to check; with
	// --impl, row is the implementation of it that --impl names.
	config   string
	manifest *manifest
	shard    shard
	row      *manifestImpl
	junit    string
	json     string
	html     string
	// allTranscripts keeps every check's transcript in the reports
	// (--transcripts all), not only the failed and warned ones.
	allTranscripts bool
	verbose        bool
	profile        specs.Profile
	// profileFile is --profile's argument, for the child processes.
	profileFile string
}

func run(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) > 0 && args[0] == "merge":
		return runMerge(args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "explain":
		return explain(args[1:], stdout, stderr)
	}
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitPass
	}
	var bad *manifestError
	if errors.As(err, &bad) {
		fmt.Fprintf(stderr, "conformance: %v\n", err) // it names the file, the line and the field
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		fmt.Fprintf(stderr, "usage: conformance --protocol NAME (--addr HOST:PORT | --cmd 'COMMAND {port}' | --impl %s [--local] | --image IMAGE --port N) [flags]; see --help\n", strings.Join(implNames(), "|"))
		return exitUsage
	}
	if opts.list {
		return listClauses(opts.protocols, stdout)
	}
	if opts.matrix {
		return runMatrix(opts, stdout, stderr)
	}
	if len(opts.protocols) > 1 {
		return runProtocols(opts, stdout, stderr)
	}
	if opts.client {
		return runClient(opts, stdout, stderr)
	}
	// A child checking one protocol of its parent's run (see
	// runProtocols) leaves the summary to its parent.
	part := os.Getenv(partEnv) != ""
	// Should our reader go (a parent that died, `| head`), a write to
	// stdout would kill us (SIGPIPE) before we stop our servers: we take
	// the signal, and the write fails instead. A signal taken, unlike one
	// ignored, is not passed on to the servers we start.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)

	// Stop the servers we started if we are interrupted while they start.
	// The handler stays until they are stopped: no signal may kill us
	// while they run (Ginkgo handles interrupts during the specs, see
	// passOnMissedInterrupt).
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	targets, release, err := newTargets(ctx, opts, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return exitUsage
	}
	defer release()
	defer stopAll(targets)
	for _, p := range opts.protocols {
		if err := targets[p].Start(ctx); err != nil {
			fmt.Fprintf(stderr, "conformance: cannot check %s: %v\n", p, err)
			return exitUsage
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "conformance: interrupted")
		return exitUsage
	}

	sc, rc := ginkgoConfig(opts, part)

	for _, p := range opts.protocols {
		fmt.Fprintf(stdout, "socketspec: checking %s against %s at %s\n", p, targets[p].Name(), targets[p].Addr())
	}
	if opts.profile.Name != "" && !part {
		printDialect(stdout, opts)
	}
	ran := make(chan struct{})
	go passOnMissedInterrupt(ctx, ran)
	res := specs.Run(failRecorder{}, specs.Config{Targets: targets, Strict: opts.strict, Profile: opts.profile, AllTranscripts: opts.allTranscripts}, sc, rc)
	close(ran)
	if rc.Succinct {
		fmt.Fprintln(stdout) // Ginkgo ends its succinct line without one
	}
	return finish(res, opts, !part, stdout, stderr)
}

// ginkgoConfig is how Ginkgo runs the specs of opts.protocols; part says
// that this run is one part of a run with several protocols.
func ginkgoConfig(opts options, part bool) (types.SuiteConfig, types.ReporterConfig) {
	sc := types.NewDefaultSuiteConfig()
	sc.LabelFilter = strings.Join(opts.protocols, " || ")
	if opts.focus != "" {
		sc.FocusStrings = []string{opts.focus}
	}
	sc.Timeout = 30 * time.Minute
	// Specs run in document order; a fixed seed fixes the order of the
	// protocols too, so that two runs against a server read the same.
	sc.RandomSeed = 1
	rc := types.NewDefaultReporterConfig()
	rc.NoColor = !isTerminal(os.Stdout)
	rc.Verbose = opts.verbose
	// A part of a run with several protocols: one line for the suite of
	// each protocol, rather than the whole header (failures still show in full).
	rc.Succinct = part && !opts.verbose
	rc.JUnitReport = opts.junit
	rc.SilenceSkips = true // filtered-out specs; warnings are shown in the summary
	return sc, rc
}

// passOnMissedInterrupt passes an interrupt on to Ginkgo should it miss
// it. Ginkgo handles interrupts once its run has begun; one that arrives
// just before, while the specs are being declared, reaches only our
// handler, and the specs would run on. So once ctx is done (we were
// interrupted), and the run has not ended two seconds later, we interrupt
// ourselves again. Had Ginkgo seen the first interrupt, this second one
// only cuts its cleanup short; our servers are stopped after it anyway.
func passOnMissedInterrupt(ctx context.Context, ran <-chan struct{}) {
	select {
	case <-ran:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-ran:
	case <-t.C:
		interruptSelf()
	}
}

func printDialect(w io.Writer, o options) {
	fmt.Fprintf(w, "socketspec: with the dialect of --profile %s: the verdict is for that dialect, not the canonical protocol\n", o.profile.Name)
}

// finish writes the summary (when told to) and the JSON report of a run,
// says why a run has no verdict, and returns the exit status.
func finish(res suite.Result, o options, summary bool, stdout, stderr io.Writer) int {
	verdictNotes := stderr
	if summary {
		res.WriteSummary(stdout)
	} else {
		verdictNotes = io.Discard // the parent says it, of the whole run
	}
	if o.json != "" {
		if err := res.WriteJSON(o.json); err != nil {
			fmt.Fprintf(stderr, "conformance: writing %s: %v\n", o.json, err)
			return exitUsage
		}
	}
	if o.html != "" {
		if err := writeHTML(o.html, func(w io.Writer) error {
			return htmlreport.WriteResult(w, res, htmlreport.Options{Generated: time.Now()})
		}); err != nil {
			fmt.Fprintf(stderr, "conformance: writing %s: %v\n", o.html, err)
			return exitUsage
		}
	}
	if len(res.Incomplete) > 0 {
		fmt.Fprintf(verdictNotes, "conformance: no verdict, the run did not complete: %s\n", strings.Join(res.Incomplete, "; "))
		return exitUsage
	}
	for _, p := range res.Protocols {
		if p.Verdict() == suite.NotRun {
			// A run that checked nothing must not look like a pass.
			fmt.Fprintf(verdictNotes, "conformance: no spec of %s ran (does --focus match any?)\n", p.Protocol)
			return exitUsage
		}
	}
	if res.Failed() {
		return exitFail
	}
	return exitPass
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var protocol string
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	// A bad flag gets one line from run, not the whole help: the flag
	// package writes nothing, and the help is printed for --help only.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `conformance checks a server against the socketspec specs (specs/*.md), clause by clause.

  conformance --protocol NAME --addr HOST:PORT             a server already running
  conformance --protocol NAME --cmd 'COMMAND {port}'       a server it starts, on a free port
  conformance --protocol NAME --image IMAGE --port N       a server in your container image
  conformance --protocol NAME|all --impl %s [--local]   this project's implementations
  conformance --client --protocol NAME --cmd 'CLIENT {host} {port}'   a client (HTTP: {url}), run per check
  conformance --client --protocol NAME|all --impl %[1]s [--local]   this project's clients
  conformance --protocol NAME|all --config FILE --impl NAME   an implementation of a manifest
  conformance --matrix [--config FILE] [--shard K/N]       every implementation of a manifest, every protocol
  conformance merge [--reports DIR] SHARD_DIR...           merge the reports of the shards of a --matrix run
  conformance --list [--protocol NAME]                     the clauses
  conformance explain CLAUSE-ID|PROTOCOL                   a clause or protocol, for a learner:
                                                           why, the classic mistake, a real failure, the fix

Exit status: 0 every MUST clause passed (and every SHOULD, with --strict);
1 a clause failed; 2 usage error, or the server could not be checked.

`, strings.Join(implNames(), "|"))
		fs.PrintDefaults()
	}
	fs.StringVar(&protocol, "protocol", "", "protocol to check: "+strings.Join(specs.Protocols(), ", ")+" (\"all\" with --impl or --list)")
	fs.StringVar(&o.addr, "addr", "", "check the server already listening at `HOST:PORT`")
	fs.StringVar(&o.cmdline, "cmd", "", "start this shell `COMMAND` with {port} replaced by a free port, check it, stop it")
	fs.StringVar(&o.impl, "impl", "", fmt.Sprintf("check one of this project's implementations: %s (%s run in containers)", orList(implNames()), andList(containers.Names())))
	fs.BoolVar(&o.local, "local", false, fmt.Sprintf("with --impl %s: run it as a local process instead of in a container", orList(containers.Names())))
	fs.StringVar(&o.image, "image", "", "check the server in your container `IMAGE` (with --port)")
	fs.IntVar(&o.port, "port", 0, "with --image: the port the server listens on inside the container")
	fs.BoolVar(&o.strict, "strict", false, "fail on SHOULD clauses too, not only MUST")
	fs.StringVar(&o.focus, "focus", "", "run only the specs whose text matches `REGEX` (e.g. a clause ID: 'echo-4\\b')")
	fs.BoolVar(&o.list, "list", false, "list the clauses (of --protocol, or all) and exit")
	fs.StringVar(&o.junit, "junit", "", "write a JUnit XML report to `FILE`")
	fs.StringVar(&o.json, "json", "", "write the verdict clause by clause as JSON to `FILE`, with the transcript of every failed and warned check")
	fs.StringVar(&o.html, "html", "", "write the verdict as one self-contained HTML page to `FILE`, each failure's transcript drawn as a sequence diagram")
	transcripts := fs.String("transcripts", "failed", "which checks' transcripts the JSON and HTML reports keep: `failed` (and warned) or all")
	fs.BoolVar(&o.verbose, "v", false, "show every spec as it runs")
	profile := fs.String("profile", "", "check a dialect: a YAML or JSON `FILE` with another welcome banner, chat prefix or chat notices (see README)")
	fs.BoolVar(&o.client, "client", false, fmt.Sprintf("check a client program instead of a server: the suite runs --cmd 'CLIENT {host} {port}' ({url} for http-hello) once per check, against a server of its own; or --impl %s, this project's clients (%s in a container per check, or with --local as local processes)", strings.Join(implNames(), "|"), andList(containers.Names())))
	fs.BoolVar(&o.matrix, "matrix", false, "check every implementation of the manifest (--config) against every protocol it names")
	fs.StringVar(&o.config, "config", "", "the manifest: a YAML `FILE` of implementations and how to start their servers (see README; --matrix reads "+defaultManifest+" by default)")
	shardFlag := fs.String("shard", "", "with --matrix: check only the K-th of N shares of the (implementation, protocol) cells, for `K/N` machines; merge their reports with conformance merge")
	fs.StringVar(&o.reports, "reports", "reports", "with --matrix: write summary.md, report.json, junit.xml and index.html to `DIR`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
		}
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (did you quote the --cmd command?)", fs.Arg(0))
	}
	switch *transcripts {
	case "failed":
	case "all":
		o.allTranscripts = true
	default:
		return o, fmt.Errorf("--transcripts: %q is neither failed nor all", *transcripts)
	}
	if *profile != "" {
		o.profileFile = *profile
		var err error
		if o.profile, err = specs.LoadProfile(*profile); err != nil {
			return o, fmt.Errorf("--profile: %v", err)
		}
	}

	if o.matrix {
		if protocol != "" || o.addr != "" || o.cmdline != "" || o.impl != "" || o.image != "" || o.local || *profile != "" || o.client {
			return o, errors.New("--matrix checks every implementation and protocol of its manifest; it takes only --config, --shard, --reports and --transcripts")
		}
		if *shardFlag != "" {
			var err error
			if o.shard, err = parseShard(*shardFlag); err != nil {
				return o, err
			}
		}
		if o.config == "" {
			if _, err := os.Stat(defaultManifest); err != nil {
				return o, fmt.Errorf("--matrix checks the implementations of a manifest, and there is no %s here: give --config FILE (README: \"Bring your own implementations\"; this project's own is %s in its repository)", defaultManifest, defaultManifest)
			}
			o.config = defaultManifest
		}
		var err error
		o.manifest, err = loadManifest(o.config)
		return o, err
	}
	if *shardFlag != "" {
		return o, errors.New("--shard goes with --matrix")
	}
	if o.config != "" {
		if o.impl == "" || o.addr != "" || o.cmdline != "" || o.image != "" || o.local || *profile != "" {
			return o, errors.New("--config goes with --matrix, or with --impl NAME, an implementation of it (which says how to start its servers)")
		}
		if err := o.selectRow(protocol); err != nil {
			return o, err
		}
	}
	known := specs.Protocols()
	if specs.IsClient(protocol) {
		o.client = true // "--protocol echo-client" is "--client --protocol echo"
	}
	if o.client {
		known = specs.ClientProtocols()
		if protocol != "all" && protocol != "" && !specs.IsClient(protocol) {
			protocol = specs.ClientOf(protocol)
		}
	}
	switch {
	case o.row != nil && protocol != "all" && protocol != "" && slices.Contains(known, protocol) && !slices.Contains(o.row.protocols(), protocol):
		what := "server"
		if o.client {
			what = "client"
		}
		return o, fmt.Errorf("%s: %s has no %s for %s (it has %s)", o.config, o.row.name, what, protocol, strings.Join(o.row.protocols(), ", "))
	case o.row != nil && protocol == "all":
		o.protocols = slices.DeleteFunc(o.row.protocols(), func(p string) bool { return specs.IsClient(p) != o.client })
	case protocol == "" && o.list:
		o.protocols = append(specs.Protocols(), specs.ClientProtocols()...)
	case protocol == "all":
		o.protocols = known
	case protocol == "":
		return o, errors.New("--protocol is required")
	case slices.Contains(known, protocol):
		o.protocols = []string{protocol}
	case o.client && protocol == specs.ClientOf("timestamp-echo"):
		return o, errors.New("the timestamp echo's client is an echo client: check it with --client --protocol echo (specs/echo-client.md)")
	case o.client:
		return o, fmt.Errorf("no client contract for %q (clients: %s)", strings.TrimSuffix(protocol, "-client"), strings.Join(known, ", "))
	default:
		return o, fmt.Errorf("unknown protocol %q (known: %s)", protocol, strings.Join(known, ", "))
	}
	if o.list {
		return o, nil
	}
	if o.client {
		return o, checkClientFlags(o)
	}

	given := 0
	for _, v := range []string{o.addr, o.cmdline, o.impl, o.image} {
		if v != "" {
			given++
		}
	}
	switch {
	case given != 1:
		return o, errors.New("give exactly one of --addr, --cmd, --impl and --image")
	case protocol == "all" && o.impl == "":
		return o, errors.New(`--protocol all needs --impl: one --addr, --cmd or --image serves one protocol`)
	case o.row == nil && o.impl != "" && o.impl != "go" && !isContainerImpl(o.impl):
		return o, fmt.Errorf("unknown --impl %q (known: %s)", o.impl, strings.Join(implNames(), ", "))
	case o.local && !isContainerImpl(o.impl):
		return o, fmt.Errorf("--local goes with %s", orList(flagValues("--impl", containers.Names())))
	case o.image != "" && (o.port < 1 || o.port > 65535):
		return o, errors.New("--image needs --port N, the port the server listens on inside the container")
	case o.image == "" && o.port != 0:
		return o, errors.New("--port goes with --image")
	}
	if o.focus != "" {
		if _, err := regexp.Compile(o.focus); err != nil {
			return o, fmt.Errorf("--focus: %v", err)
		}
	}
	return o, nil
}

// selectRow reads the manifest (--config) and selects the implementation
// --impl names, and the profile of its server of protocol, if it has one.
func (o *options) selectRow(protocol string) error {
	m, err := loadManifest(o.config)
	if err != nil {
		return err
	}
	if o.row, err = m.find(o.impl); err != nil {
		return err
	}
	if s := o.row.servers[protocol]; s.profile != "" {
		o.profileFile = s.profile
		o.profile, err = specs.LoadProfile(s.profile)
	}
	return err
}

func stopAll(targets map[string]suite.Target) {
	for _, t := range targets {
		t.Stop()
	}
}

func listClauses(protocols []string, w io.Writer) int {
	for _, p := range protocols {
		clauses, err := specs.Clauses(p)
		if err != nil {
			fmt.Fprintf(w, "conformance: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(w, "%s (specs/%s.md)\n", p, p)
		for _, c := range clauses {
			fmt.Fprintf(w, "  %-14s %-6s  %s\n", c.ID, c.Level, c.Text)
		}
	}
	return exitPass
}

// writeHTML writes a page to path, whole or not at all.
func writeHTML(path string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// failRecorder stands in for *testing.T: the verdict comes from the result.
type failRecorder struct{}

func (failRecorder) Fail() {}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
