package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/socketspec/conformance/containers"
	"github.com/socketspec/conformance/reference"
	"github.com/socketspec/conformance/specs"
	"github.com/socketspec/conformance/suite"
)

// checkClientFlags checks the flags of a client run (--client): the suite
// runs the client, so it needs a command or the Go reference, not an
// address.
func checkClientFlags(o options) error {
	if o.row != nil {
		return nil // the manifest says how to run it
	}
	switch {
	case o.addr != "":
		return errors.New("--client runs the client itself, once per check: give --cmd 'CLIENT {host} {port}' (not --addr)")
	case o.image != "":
		return errors.New("--client with --image is not supported yet: run the client with --cmd 'docker run --rm --network host IMAGE {host} {port}'")
	case o.cmdline != "" && o.impl != "":
		return errors.New("--client takes --cmd or --impl, not both")
	case o.cmdline == "" && o.impl == "":
		return fmt.Errorf("--client needs --cmd 'CLIENT {host} {port}' or %s", orList(flagValues("--impl", implNames())))
	case o.local && !isContainerImpl(o.impl):
		return fmt.Errorf("--local goes with %s", orList(flagValues("--impl", containers.Names())))
	case len(o.protocols) > 1 && o.impl == "":
		return errors.New("--protocol all needs --impl: a client command serves one protocol")
	}
	if o.cmdline != "" {
		p := o.protocols[0]
		if p == specs.ClientOf("http-hello") && !strings.Contains(o.cmdline, "{url}") {
			return fmt.Errorf("--cmd %q has no {url}: an HTTP client is given the URL to fetch, e.g. --cmd 'curl -fsS {url}'", o.cmdline)
		}
		if p != specs.ClientOf("http-hello") && !strings.Contains(o.cmdline, "{port}") {
			return fmt.Errorf("--cmd %q has no {port}: the suite starts its server on a free port and puts it in, e.g. --cmd 'python3 client.py {host} {port}'", o.cmdline)
		}
	}
	return nil
}

// clientArgs are a client's arguments for protocol p (a client
// contract), as placeholders the suite fills in for each run: the
// server's host and port, or an HTTP client's URL.
func clientArgs(p string) []string {
	if p == specs.ClientOf("http-hello") {
		return []string{"{url}"}
	}
	return []string{"{host}", "{port}"}
}

// newClients makes the client under test for each protocol of a client
// run: the --cmd command, the Go reference, or one of this project's
// clients, as a local process (--local) or in a container per run. The
// release function frees what making them took (a Docker connection).
// A run of several protocols makes them once before its children start,
// so that the children find the local build, or the image, done.
func newClients(ctx context.Context, o options, log io.Writer) (map[string]suite.ClientProgram, func(), error) {
	clients := map[string]suite.ClientProgram{}
	release := func() {}
	switch {
	case o.row != nil && o.row.impl == "":
		for _, p := range o.protocols {
			c, ok := o.row.clientOf(p)
			if !ok {
				return nil, release, fmt.Errorf("%s: %s has no client for %s", o.config, o.row.name, p)
			}
			clients[p] = c
		}
	case o.cmdline != "":
		// Every check would fail the same way ("not found", status 127):
		// say it once, as a run that could not be checked.
		if program := commandProgram(o.cmdline); program != "" {
			if _, err := exec.LookPath(program); err != nil {
				return nil, release, fmt.Errorf("cannot run the client: %v", err)
			}
		}
		clients[o.protocols[0]] = suite.ClientCommand(o.cmdline)
	case o.builtin() == "go":
		for _, p := range o.protocols {
			c, ok := reference.Client(p)
			if !ok {
				return nil, release, fmt.Errorf("no Go reference client for %s", p)
			}
			clients[p] = c
		}
	case o.local:
		impl, root, err := builtImpl(ctx, o, log)
		if err != nil {
			return nil, release, err
		}
		for _, p := range o.protocols {
			cmdline, err := impl.LocalClientCommand(root, p, strings.Join(clientArgs(p), " "))
			if err != nil {
				return nil, release, err
			}
			clients[p] = suite.ClientCommand(cmdline)
		}
	default: // one of our clients, in a container per run
		impl, _ := containers.FindImpl(o.builtin())
		root, err := containers.RepoRoot()
		if err != nil {
			return nil, release, err
		}
		for _, p := range o.protocols {
			if !impl.HasClient(root, p) {
				return nil, release, fmt.Errorf("the %s implementation has no client for %s", impl.Name, p)
			}
		}
		engine, err := connectEngine(ctx, o, log)
		if err != nil {
			return nil, release, err
		}
		release = func() { engine.Close() }
		_, image, err := implImage(ctx, engine, o, log)
		if err != nil {
			return nil, release, err
		}
		for _, p := range o.protocols {
			clients[p] = engine.Client(impl.Name, image, impl.ClientInContainer(p, clientArgs(p)))
		}
	}
	return clients, release, nil
}

// runClient checks one client program against one client contract, and
// returns the exit status.
func runClient(o options, stdout, stderr io.Writer) int {
	p := o.protocols[0]
	part := os.Getenv(partEnv) != ""
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	clients, release, err := newClients(ctx, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return exitUsage
	}
	defer release()
	client := clients[p]

	sc, rc := ginkgoConfig(o, part)

	fmt.Fprintf(stdout, "socketspec: checking the %s %s, run once per check against the suite's own server\n", p, client.Name())
	ran := make(chan struct{})
	go passOnMissedInterrupt(ctx, ran)
	res := specs.Run(failRecorder{}, specs.Config{Clients: map[string]suite.ClientProgram{p: client}, Strict: o.strict, AllTranscripts: o.allTranscripts}, sc, rc)
	close(ran)
	if rc.Succinct {
		fmt.Fprintln(stdout)
	}
	return finish(res, o, !part, stdout, stderr)
}

// commandProgram is the program a simple shell command line runs: its
// first word after "exec" and VAR=value assignments; "" when the line is
// not that simple (quotes, expansions, a builtin other than exec).
func commandProgram(cmdline string) string {
	for _, word := range strings.Fields(cmdline) {
		switch {
		case word == "exec" || strings.Contains(word, "="):
			continue
		case strings.ContainsAny(word, "$'\"`(){};&|<>") || slices.Contains([]string{"cd", ".", "source", "eval", "set", "export"}, word):
			return ""
		}
		return word
	}
	return ""
}
