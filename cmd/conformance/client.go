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
	case o.impl != "" && o.impl != "go":
		return fmt.Errorf("--client --impl %s: only the Go reference (--impl go) has clients so far", o.impl)
	case o.cmdline == "" && o.impl == "":
		return errors.New("--client needs --cmd 'CLIENT {host} {port}' or --impl go")
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

// runClient checks one client program against one client contract, and
// returns the exit status.
func runClient(o options, stdout, stderr io.Writer) int {
	p := o.protocols[0]
	part := os.Getenv(partEnv) != ""
	var client suite.ClientProgram
	if c, ok := o.row.clientOf(p); ok {
		client = c
	} else if o.cmdline != "" {
		// Every check would fail the same way ("not found", status 127):
		// say it once, as a run that could not be checked.
		if program := commandProgram(o.cmdline); program != "" {
			if _, err := exec.LookPath(program); err != nil {
				fmt.Fprintf(stderr, "conformance: cannot run the client: %v\n", err)
				return exitUsage
			}
		}
		client = suite.ClientCommand(o.cmdline)
	} else {
		var ok bool
		if client, ok = reference.Client(p); !ok {
			fmt.Fprintf(stderr, "conformance: no Go reference client for %s\n", p)
			return exitUsage
		}
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

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
