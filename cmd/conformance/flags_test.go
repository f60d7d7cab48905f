package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/socketspec/conformance/specs"
)

func TestParseFlagsRejects(t *testing.T) {
	known := strings.Join(specs.Protocols(), ", ")
	for _, c := range []struct {
		name string
		args []string
		want string // the whole message
	}{
		{"nothing", nil, "--protocol is required"},
		{"missing --protocol", []string{"--addr", "127.0.0.1:7000"}, "--protocol is required"},
		{"no target", []string{"--protocol", "echo"}, "give exactly one of --addr, --cmd, --impl and --image"},
		{"two targets", []string{"--protocol", "echo", "--addr", "127.0.0.1:7000", "--cmd", "./echo {port}"}, "give exactly one of --addr, --cmd, --impl and --image"},
		{"three targets", []string{"--protocol", "echo", "--impl", "go", "--image", "x", "--port", "7", "--addr", "a:1"}, "give exactly one of --addr, --cmd, --impl and --image"},
		{"--local without an impl", []string{"--protocol", "echo", "--addr", "127.0.0.1:7000", "--local"}, "--local goes with --impl python or --impl c"},
		{"--local with the Go reference", []string{"--protocol", "echo", "--impl", "go", "--local"}, "--local goes with --impl python or --impl c"},
		{"--image without --port", []string{"--protocol", "echo", "--image", "my-echo"}, "--image needs --port N, the port the server listens on inside the container"},
		{"--image with a port out of range", []string{"--protocol", "echo", "--image", "my-echo", "--port", "65536"}, "--image needs --port N, the port the server listens on inside the container"},
		{"--port without --image", []string{"--protocol", "echo", "--addr", "127.0.0.1:7000", "--port", "7000"}, "--port goes with --image"},
		{"unknown protocol", []string{"--protocol", "ehco", "--addr", "127.0.0.1:7000"}, `unknown protocol "ehco" (known: ` + known + ")"},
		{"unknown protocol with --list", []string{"--list", "--protocol", "ehco"}, `unknown protocol "ehco" (known: ` + known + ")"},
		{"unknown --impl", []string{"--protocol", "echo", "--impl", "rust"}, `unknown --impl "rust" (known: go, python, c)`},
		{"bad --focus", []string{"--protocol", "echo", "--addr", "127.0.0.1:7000", "--focus", "echo-(4"}, "--focus: error parsing regexp: missing closing ): `echo-(4`"},
		{"--transcripts of another kind", []string{"--protocol", "echo", "--impl", "go", "--transcripts", "some"}, `--transcripts: "some" is neither failed nor all`},
		{"--matrix with --client", []string{"--matrix", "--client"}, "--matrix checks every implementation and protocol of its manifest; it takes only --config, --shard, --reports and --transcripts"},
		{"--matrix with --protocol", []string{"--matrix", "--protocol", "echo"}, "--matrix checks every implementation and protocol of its manifest; it takes only --config, --shard, --reports and --transcripts"},
		{"--matrix with --impl", []string{"--matrix", "--impl", "go"}, "--matrix checks every implementation and protocol of its manifest; it takes only --config, --shard, --reports and --transcripts"},
		{"--matrix with --addr", []string{"--addr", "127.0.0.1:7000", "--matrix"}, "--matrix checks every implementation and protocol of its manifest; it takes only --config, --shard, --reports and --transcripts"},
		{"--matrix with --image", []string{"--matrix", "--image", "x"}, "--matrix checks every implementation and protocol of its manifest; it takes only --config, --shard, --reports and --transcripts"},
		{"--matrix with --cmd", []string{"--matrix", "--cmd", "x {port}"}, "--matrix checks every implementation and protocol of its manifest; it takes only --config, --shard, --reports and --transcripts"},
		{"--matrix with --profile", []string{"--matrix", "--profile", "../../fixtures/peers/ncat-chat.yaml"}, "--matrix checks every implementation and protocol of its manifest; it takes only --config, --shard, --reports and --transcripts"},
		{"--matrix without a manifest here", []string{"--matrix"}, `--matrix checks the implementations of a manifest, and there is no socketspec.yaml here: give --config FILE (README: "Bring your own implementations"; this project's own is socketspec.yaml in its repository)`},
		{"--shard without --matrix", []string{"--protocol", "echo", "--impl", "go", "--shard", "1/2"}, "--shard goes with --matrix"},
		{"--shard 0/2", []string{"--matrix", "--config", "../../socketspec.yaml", "--shard", "0/2"}, `--shard "0/2": want K/N, the K-th of N shares, 1 <= K <= N (e.g. 2/3)`},
		{"--shard 3/2", []string{"--matrix", "--config", "../../socketspec.yaml", "--shard", "3/2"}, `--shard "3/2": want K/N, the K-th of N shares, 1 <= K <= N (e.g. 2/3)`},
		{"--shard 2", []string{"--matrix", "--config", "../../socketspec.yaml", "--shard", "2"}, `--shard "2": want K/N, the K-th of N shares, 1 <= K <= N (e.g. 2/3)`},
		{"--config without --impl", []string{"--protocol", "echo", "--config", "../../socketspec.yaml"}, "--config goes with --matrix, or with --impl NAME, an implementation of it (which says how to start its servers)"},
		{"--config with --addr", []string{"--protocol", "echo", "--config", "../../socketspec.yaml", "--impl", "go", "--addr", "127.0.0.1:7000"}, "--config goes with --matrix, or with --impl NAME, an implementation of it (which says how to start its servers)"},
		{"--config with an implementation it lacks", []string{"--protocol", "echo", "--config", "../../socketspec.yaml", "--impl", "rust"}, `../../socketspec.yaml has no implementation "rust" (it has "go", "python", "c", "python (local)", "c (local)")`},
		{"--protocol all without --impl", []string{"--protocol", "all", "--addr", "127.0.0.1:7000"}, "--protocol all needs --impl: one --addr, --cmd or --image serves one protocol"},
		{"stray argument", []string{"--protocol", "echo", "--addr", "127.0.0.1:7000", "extra"}, `unexpected argument "extra" (did you quote the --cmd command?)`},
		{"unquoted --cmd", []string{"--protocol", "echo", "--cmd", "python3", "echo.py", "{port}"}, `unexpected argument "echo.py" (did you quote the --cmd command?)`},
		{"unknown flag", []string{"--protocl", "echo"}, "flag provided but not defined: -protocl"},
		{"--client with --addr", []string{"--client", "--protocol", "echo", "--addr", "127.0.0.1:7000"}, "--client runs the client itself, once per check: give --cmd 'CLIENT {host} {port}' (not --addr)"},
		{"--client without a client", []string{"--client", "--protocol", "echo"}, "--client needs --cmd 'CLIENT {host} {port}' or --impl go, --impl python or --impl c"},
		{"--client with a command and an implementation", []string{"--client", "--protocol", "echo", "--cmd", "nc {host} {port}", "--impl", "python"}, "--client takes --cmd or --impl, not both"},
		{"--client --local with the Go reference", []string{"--client", "--protocol", "echo", "--impl", "go", "--local"}, "--local goes with --impl python or --impl c"},
		{"--client --local with a command", []string{"--client", "--protocol", "echo", "--cmd", "nc {host} {port}", "--local"}, "--local goes with --impl python or --impl c"},
		{"--client command without {port}", []string{"--client", "--protocol", "echo", "--cmd", "nc localhost 7000"}, `--cmd "nc localhost 7000" has no {port}: the suite starts its server on a free port and puts it in, e.g. --cmd 'python3 client.py {host} {port}'`},
		{"--client HTTP command without {url}", []string{"--client", "--protocol", "http-hello", "--cmd", "curl {host}:{port}"}, `--cmd "curl {host}:{port}" has no {url}: an HTTP client is given the URL to fetch, e.g. --cmd 'curl -fsS {url}'`},
		{"--client for a protocol that has none", []string{"--client", "--protocol", "gopher", "--cmd", "nc {host} {port}"}, `no client contract for "gopher" (clients: ` + strings.Join(specs.ClientProtocols(), ", ") + ")"},
		{"--client for the timestamp echo", []string{"--client", "--protocol", "timestamp-echo", "--cmd", "nc {host} {port}"}, "the timestamp echo's client is an echo client: check it with --client --protocol echo (specs/echo-client.md)"},
		{"--client --protocol all with a command", []string{"--client", "--protocol", "all", "--cmd", "nc {host} {port}"}, "--protocol all needs --impl: a client command serves one protocol"},
		{"bad --port", []string{"--port", "seven"}, `invalid value "seven" for flag -port: parse error`},
		{"missing --profile", []string{"--protocol", "welcome", "--addr", "127.0.0.1:7000", "--profile", "/nonexistent/p.yaml"}, "--profile: open /nonexistent/p.yaml: no such file or directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseFlags(c.args, &stderr)
			if err == nil {
				t.Fatalf("%q accepted", c.args)
			}
			if err.Error() != c.want {
				t.Errorf("%q:\n got %q\nwant %q", c.args, err.Error(), c.want)
			}
			if stderr.Len() > 0 {
				t.Errorf("parseFlags wrote %q; the message is run's to write", stderr.String())
			}

			// run prints the one line and the usage line, and exits 2.
			var stdout bytes.Buffer
			stderr.Reset()
			if code := run(c.args, &stdout, &stderr); code != exitUsage {
				t.Errorf("exit status %d, want %d", code, exitUsage)
			}
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if len(lines) != 2 || lines[0] != "conformance: "+c.want || !strings.HasPrefix(lines[1], "usage: conformance --protocol NAME (") {
				t.Errorf("stderr:\n%s", stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
		})
	}
}

func TestParseFlagsAccepts(t *testing.T) {
	all := specs.Protocols()
	for _, c := range []struct {
		name  string
		args  []string
		check func(o options) error
	}{
		{"an address", []string{"--protocol", "echo", "--addr", "127.0.0.1:7000"}, func(o options) error {
			return want(slices.Equal(o.protocols, []string{"echo"}) && o.addr == "127.0.0.1:7000" && !o.strict)
		}},
		{"a command, strict, focused", []string{"--protocol", "chat", "--cmd", "./chat {port}", "--strict", "--focus", `chat-4\b`, "-v"}, func(o options) error {
			return want(o.cmdline == "./chat {port}" && o.strict && o.focus == `chat-4\b` && o.verbose)
		}},
		{"an image", []string{"--protocol", "welcome", "--image", "my-welcome:latest", "--port", "8080"}, func(o options) error {
			return want(o.image == "my-welcome:latest" && o.port == 8080)
		}},
		{"the Go reference, every protocol", []string{"--protocol", "all", "--impl", "go"}, func(o options) error {
			return want(slices.Equal(o.protocols, all) && o.impl == "go" && !o.local)
		}},
		{"an implementation, locally", []string{"--protocol", "all", "--impl", "c", "--local"}, func(o options) error {
			return want(slices.Equal(o.protocols, all) && o.impl == "c" && o.local)
		}},
		{"an implementation in its container", []string{"--protocol", "echo-udp", "--impl", "python"}, func(o options) error {
			return want(o.impl == "python" && !o.local && slices.Equal(o.protocols, []string{"echo-udp"}))
		}},
		{"reports", []string{"--protocol", "echo", "--impl", "go", "--junit", "j.xml", "--json", "r.json", "--html", "r.html"}, func(o options) error {
			return want(o.junit == "j.xml" && o.json == "r.json" && o.html == "r.html" && !o.allTranscripts)
		}},
		{"every transcript", []string{"--protocol", "echo", "--impl", "go", "--json", "r.json", "--transcripts", "all"}, func(o options) error {
			return want(o.allTranscripts && slices.Contains(childArgs(o, "echo"), "all"))
		}},
		{"the matrix, with every transcript", []string{"--matrix", "--config", "../../socketspec.yaml", "--transcripts", "all"}, func(o options) error {
			return want(o.matrix && o.allTranscripts)
		}},
		{"--list alone lists every protocol, servers then clients", []string{"--list"}, func(o options) error {
			return want(o.list && slices.Equal(o.protocols, append(all, specs.ClientProtocols()...)))
		}},
		{"--client --protocol echo is the echo client's contract", []string{"--client", "--protocol", "echo", "--cmd", "nc {host} {port}"}, func(o options) error {
			return want(o.client && slices.Equal(o.protocols, []string{"echo-client"}))
		}},
		{"--protocol echo-client is a client run", []string{"--protocol", "echo-client", "--impl", "go"}, func(o options) error {
			return want(o.client && slices.Equal(o.protocols, []string{"echo-client"}))
		}},
		{"--client --protocol all --impl go: every client", []string{"--client", "--protocol", "all", "--impl", "go"}, func(o options) error {
			return want(o.client && slices.Equal(o.protocols, specs.ClientProtocols()))
		}},
		{"--client --impl python: the Python client, in a container", []string{"--client", "--protocol", "echo", "--impl", "python"}, func(o options) error {
			return want(o.client && o.impl == "python" && !o.local && slices.Equal(o.protocols, []string{"echo-client"}))
		}},
		{"--client --protocol all --impl c --local: every C client, locally, each in a child", []string{"--client", "--protocol", "all", "--impl", "c", "--local"}, func(o options) error {
			args := childArgs(o, "echo-client")
			return want(o.client && o.local && slices.Equal(o.protocols, specs.ClientProtocols()) &&
				slices.Equal(args, []string{"--protocol", "echo-client", "--impl", "c", "--local"}))
		}},
		{"--list of one protocol needs no target", []string{"--list", "--protocol", "chat"}, func(o options) error {
			return want(o.list && slices.Equal(o.protocols, []string{"chat"}))
		}},
		{"--matrix", []string{"--matrix", "--config", "../../socketspec.yaml"}, func(o options) error {
			return want(o.matrix && o.reports == "reports" && len(o.manifest.impls) == 5 && o.shard == shard{})
		}},
		{"--matrix with --reports and --shard", []string{"--matrix", "--config", "../../socketspec.yaml", "--reports", "out", "--shard", "2/3"}, func(o options) error {
			return want(o.matrix && o.reports == "out" && o.shard == shard{2, 3})
		}},
		{"an implementation of a manifest", []string{"--protocol", "all", "--config", "../../socketspec.yaml", "--impl", "c (local)"}, func(o options) error {
			return want(o.row.name == "c (local)" && o.builtin() == "" && slices.Equal(o.protocols, all))
		}},
		{"one of this project's, by a manifest", []string{"--protocol", "chat", "--config", "../../socketspec.yaml", "--impl", "python"}, func(o options) error {
			return want(o.row.name == "python" && o.builtin() == "python" && slices.Equal(o.protocols, []string{"chat"}))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := parseFlags(c.args, io.Discard)
			if err != nil {
				t.Fatalf("%q: %v", c.args, err)
			}
			if err := c.check(o); err != nil {
				t.Errorf("%q: %+v", c.args, o)
			}
		})
	}
}

func want(ok bool) error {
	if !ok {
		return errors.New("not as expected")
	}
	return nil
}

func TestHelp(t *testing.T) {
	var stderr bytes.Buffer
	if _, err := parseFlags([]string{"--help"}, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	help := stderr.String()
	for _, s := range []string{
		"conformance --protocol NAME|all --impl go|python|c [--local]",
		"check one of this project's implementations: go, python or c (python and c run in containers)",
		"with --impl python or c: run it as a local process",
		"check every implementation of the manifest (--config) against every protocol it names",
		"conformance merge [--reports DIR] SHARD_DIR...",
		"Exit status: 0",
		"-protocol",
	} {
		if !strings.Contains(help, s) {
			t.Errorf("the help lacks %q:\n%s", s, help)
		}
	}
	var stdout bytes.Buffer
	stderr.Reset()
	if code := run([]string{"-h"}, &stdout, &stderr); code != exitPass || !strings.Contains(stderr.String(), "conformance --matrix") {
		t.Errorf("-h: exit status %d, stderr:\n%s", code, stderr.String())
	}
}

func TestList(t *testing.T) {
	for _, c := range []struct{ s, want string }{{"", ""}, {"a", "a"}, {"a b", "a or b"}, {"a b c", "a, b or c"}} {
		if got := orList(strings.Fields(c.s)); got != c.want {
			t.Errorf("orList(%q) = %q, want %q", c.s, got, c.want)
		}
	}
	if got := andList([]string{"python", "c"}); got != "python and c" {
		t.Errorf("andList = %q", got)
	}
	if got := fmt.Sprint(flagValues("--impl", []string{"python", "c"})); got != "[--impl python --impl c]" {
		t.Errorf("flagValues = %s", got)
	}
}

// A client command whose program is not there is not checked 30 times:
// one line, exit 2.
func TestClientProgramNotFound(t *testing.T) {
	var stdout, stderr strings.Builder
	code := run([]string{"--client", "--protocol", "echo", "--cmd", "no-such-client {host} {port}"}, &stdout, &stderr)
	if want := `conformance: cannot run the client: exec: "no-such-client": executable file not found in $PATH`; code != exitUsage || strings.TrimSpace(stderr.String()) != want {
		t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr.String(), want)
	}
}
