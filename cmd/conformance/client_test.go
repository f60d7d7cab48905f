package main

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socketspec/conformance/containers"
	"github.com/socketspec/conformance/specs"
	"github.com/socketspec/conformance/suite"
)

// --client --impl python --local runs this project's Python clients as
// local processes, each given the server's address (the HTTP client its
// URL), and the echo client echoes.
func TestLocalImplClients(t *testing.T) {
	root, err := containers.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	o := options{protocols: languageClients("python"), client: true, impl: "python", local: true}
	clients, release, err := newClients(context.Background(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	for _, p := range o.protocols {
		program := filepath.Join(root, "containers", "python", strings.ReplaceAll(strings.TrimSuffix(p, "-client"), "-", "_")+"_client.py")
		want := "exec /usr/bin/python3 " + program + " {host} {port}"
		if p == specs.ClientOf("http-hello") {
			want = "exec /usr/bin/python3 " + program + " {url}"
		}
		if c := clients[p]; c == nil || c.Name() != want {
			t.Errorf("%s: the client is %v, want %q", p, c, want)
		}
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.Copy(c, c) // until the client's half-close
	}()
	run := clients["echo-client"].Run(context.Background(), suite.Invocation{Addr: l.Addr().String(), Stdin: []byte("hi\xff\n"), Within: 10 * time.Second})
	if run.ExitCode != 0 || string(run.Stdout) != "hi\xff\n" {
		t.Errorf("the echo client against an echo server: %s", run)
	}
}

// --client --protocol all --impl python --local checks every Python client,
// each contract in a child of its own, and merges their verdicts.
func TestLocalImplClientsAllProtocols(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := runCommand(t, 2*time.Minute, nil,
		"--client", "--protocol", "all", "--impl", "python", "--local", "--focus", `-client-1\b`, "--json", jsonPath)
	if code != exitPass {
		t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	res := readResult(t, jsonPath)
	var got []string
	for _, p := range res.Protocols {
		got = append(got, p.Protocol)
		if p.Verdict() != suite.Passed || !strings.Contains(p.Target, "/containers/python/") {
			t.Errorf("%s: %s against %q", p.Protocol, p.Verdict(), p.Target)
		}
	}
	if want := languageClients("python"); !slices.Equal(got, want) || len(want) < 4 {
		t.Errorf("protocols %q, want %q (at least the welcome, echo, HTTP and UDP echo clients)", got, want)
	}
}
