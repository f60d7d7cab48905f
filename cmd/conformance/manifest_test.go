package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socketspec/conformance/specs"
	"github.com/socketspec/conformance/suite"
)

// newUsersManifest is a manifest as someone new to the suite would write
// it: a tiny Python welcome server of their own (with a build step, and a
// dialect), this project's Python servers by path, a welcome server in
// the shell with socat (a language this project has none in), and a Rust
// one whose build fails.
const newUsersManifest = `# My servers, checked by socketspec.
implementations:
  - name: tiny
    language: Python
    dir: tiny
    build: cp welcome.py.in welcome.py
    env: {BANNER: "Welcome, new user!"}
    servers:
      welcome:
        cmd: /usr/bin/python3 welcome.py {port}
        profile: tiny/dialect.yaml
      greeter: {cmd: "/usr/bin/python3 greeter.py {port}"}   # not written yet

  - name: python
    language: Python
    dir: PYTHON
    servers:
      echo: {cmd: "/usr/bin/python3 echo.py {port}"}
      greeter: {cmd: "/usr/bin/python3 greeter.py {port}"}
      greeter-udp: {cmd: "/usr/bin/python3 greeter_udp.py {port}"}
      echo-udp: {cmd: "/usr/bin/python3 echo_udp.py {port}"}

  - name: socat
    language: shell
    env: {BANNER: "Welcome, new user!"}
    servers:
      welcome:
        cmd: exec socat TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo "$BANNER"'
    clients:
      welcome: {cmd: "socat -u TCP:{host}:{port} -"}

  - name: rust
    language: Rust
    build: "echo 'error[E0425]: cannot find value in this scope' >&2; exit 101"
    servers:
      echo: {cmd: "target/release/echo {port}"}
`

// tinyWelcome is the new user's welcome server: it sends $BANNER, then
// reads what the client sent until it closes, so that its close is a FIN.
const tinyWelcome = `import os, socket, socketserver, sys

class Welcome(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            self.request.sendall((os.environ["BANNER"] + "\n").encode())
            self.request.shutdown(socket.SHUT_WR)
            self.request.settimeout(2)
            while self.request.recv(4096):
                pass
        except OSError:
            pass  # the client went first

class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

Server(("127.0.0.1", int(sys.argv[1])), Welcome).serve_forever()
`

// writeNewUsersManifest writes the manifest and the tiny server's files
// to a new directory, and returns the manifest's path.
func writeNewUsersManifest(t *testing.T, manifest string) string {
	t.Helper()
	dir := t.TempDir()
	python, err := filepath.Abs("../../containers/python")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"socketspec.yaml":    strings.ReplaceAll(manifest, "PYTHON", python),
		"tiny/welcome.py.in": tinyWelcome,
		"tiny/dialect.yaml":  "welcome:\n  banner: \"Welcome, new user!\"\n",
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "socketspec.yaml")
}

// A new user's manifest gets its matrix and its reports; its shards,
// merged, are the reports of the whole run.
func TestNewUsersManifestAndItsShards(t *testing.T) {
	for _, program := range []string{"socat", "/usr/bin/python3"} {
		if _, err := exec.LookPath(program); err != nil {
			t.Skipf("no %s to run the new user's servers with", program)
		}
	}
	manifest := writeNewUsersManifest(t, newUsersManifest)
	whole := filepath.Join(t.TempDir(), "whole")
	code, stdout, stderr := runCommand(t, 3*time.Minute, nil, "--matrix", "--config", manifest, "--reports", whole)
	if code != exitFail {
		t.Errorf("exit status %d, want %d (a failed cell, an error); stderr:\n%s", code, exitFail, stderr)
	}
	// Only the protocols some row names are columns; a row's other
	// cells are not its own.
	for _, want := range []string{
		"implementation    echo     welcome  greeter  greeter-udp  echo-udp  welcome-client\n",
		"tiny              -        passed   error    -            -         -             \n",
		"python            passed   -        passed   passed       passed    -             \n",
		"socat             -        failed   -        -            -         failed        \n",
		"rust              error    -        -        -            -         -             \n",
		"tiny: greeter could not be checked: command \"/usr/bin/python3 greeter.py ",
		"socat: FAIL welcome-1 sends the banner to a client that sends nothing: wrong bytes: ",
		"socat: FAIL welcome-client-5 fails clearly, within 2 s, when the server resets the connection: protocol violation: the client exited with status 0 after the server's reset",
		"rust: could not be checked: " + manifest + ":" + strconv.Itoa(lineOf(newUsersManifest, "exit 101")) + ": implementations[3].build: \"echo 'error[E0425]: cannot find value in this scope' >&2; exit 101\" failed (exit status 101): error[E0425]: cannot find value in this scope (log: " + whole + "/rust.log)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the matrix lacks %q:\n%s", want, stdout)
		}
	}
	if log, err := os.ReadFile(filepath.Join(whole, "rust.log")); err != nil || !strings.Contains(string(log), "error[E0425]: cannot find value in this scope\n") {
		t.Errorf("the failed build's log: %q, %v", log, err)
	}
	var m suite.Matrix
	if data, err := os.ReadFile(filepath.Join(whole, "report.json")); err != nil || json.Unmarshal(data, &m) != nil {
		t.Fatalf("report.json: %v", err)
	}
	tiny := m.Rows[0]
	if tiny.Language != "Python" || !slices.Equal(tiny.Cells, []string{"welcome", "greeter"}) || tiny.Result.Protocols[0].Target != "/usr/bin/python3 welcome.py {port}" {
		t.Errorf("the tiny row: %+v", tiny)
	}
	if md, err := os.ReadFile(filepath.Join(whole, "summary.md")); err != nil || !strings.Contains(string(md), "| tiny | - | ✅ passed | ❌ error | - | - | - |\n") {
		t.Errorf("summary.md:\n%s", md)
	}

	// One implementation of the manifest, outside the matrix: its build
	// runs first (here, in a new directory, welcome.py is not there yet),
	// and its server's profile applies.
	code, stdout, stderr = runCommand(t, time.Minute, nil, "--config", writeNewUsersManifest(t, newUsersManifest), "--impl", "tiny", "--protocol", "welcome")
	if code != exitPass || !strings.Contains(stdout, "welcome      PASS ") || !strings.Contains(stdout, "with the dialect of --profile ") {
		t.Errorf("--config --impl tiny --protocol welcome: exit status %d\n%s%s", code, stdout, stderr)
	}

	// The same servers and client in three shards: 9 cells, so shard 1
	// ends and shard 2 begins within the python row.
	var dirs []string
	for _, shard := range []string{"1/3", "2/3", "3/3"} {
		dir := filepath.Join(t.TempDir(), "shard")
		dirs = append(dirs, dir)
		runCommand(t, 3*time.Minute, nil, "--matrix", "--config", manifest, "--reports", dir, "--shard", shard)
	}
	var shard2 suite.Matrix
	if data, err := os.ReadFile(filepath.Join(dirs[1], "report.json")); err != nil || json.Unmarshal(data, &shard2) != nil {
		t.Fatalf("shard 2's report.json: %v", err)
	}
	if names := rowNames(shard2); shard2.Shard != "2/3" || !slices.Equal(names, []string{"python"}) || !slices.Equal(shard2.Rows[0].Cells, []string{"greeter", "greeter-udp", "echo-udp"}) {
		t.Errorf("shard 2/3 checked %q, %+v", names, shard2.Rows)
	}
	merged := filepath.Join(t.TempDir(), "merged")
	// In any order.
	code, mergeOut, mergeErr := runCommand(t, time.Minute, nil, "merge", "--reports", merged, dirs[2], dirs[0], dirs[1])
	if code != exitFail || !strings.Contains(mergeOut, "tiny              -        passed   error    -            -         -             \n") {
		t.Errorf("merge: exit status %d\n%s%s", code, mergeOut, mergeErr)
	}
	for _, name := range []string{"summary.md", "report.json", "junit.xml", "index.html", "python.json", "python.junit.xml"} {
		a, errA := os.ReadFile(filepath.Join(whole, name))
		b, errB := os.ReadFile(filepath.Join(merged, name))
		if errA != nil || errB != nil {
			t.Errorf("%s: %v, %v", name, errA, errB)
			continue
		}
		if na, nb := normalize(string(a), whole), normalize(string(b), merged); na != nb {
			t.Errorf("%s: the merged shards differ from the whole run:\n%s", name, firstDifference(na, nb))
		}
	}

	// Shards of different runs do not merge.
	if code, _, stderr := runCommand(t, time.Minute, nil, "merge", "--reports", t.TempDir(), dirs[0], dirs[1]); code != exitUsage || !strings.Contains(stderr, "shard 1/3, but 2 shard directories were given") {
		t.Errorf("two shards of three: exit status %d, %s", code, stderr)
	}
	if code, _, stderr := runCommand(t, time.Minute, nil, "merge", whole); code != exitUsage || !strings.Contains(stderr, "the report of a whole run, not of a shard") {
		t.Errorf("a whole run: exit status %d, %s", code, stderr)
	}
}

func rowNames(m suite.Matrix) []string {
	var names []string
	for _, r := range m.Rows {
		names = append(names, r.Implementation)
	}
	return names
}

// What differs between two runs against the same servers: durations,
// times, ports and the report directory.
var varying = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(_ns(?:"|&#34;):) ?\d+`), "${1}0"}, // duration_ns, at_ns, end_ns: in JSON, and in JUnit as an escaped property
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z]+`), "DATE"},
	{regexp.MustCompile(`>\d+(\.\d+)? (s|ms|µs)<`), ">D<"}, // durations and times in the HTML page
	{regexp.MustCompile(`(time|timestamp)="[^"]*"`), `$1=""`},
	{regexp.MustCompile(`\d\d/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)?`), "TIME"},
	{regexp.MustCompile(`\(\d[\d.]*[a-zµ]+[\d.a-zµ]*\)`), "(DURATION)"},
	{regexp.MustCompile(`\+\d+\.\d+s`), "+T"},
	{regexp.MustCompile(`\b\d+\.\d+ s\b`), "D s"},       // a client's run: "exited with status 0 after 0.11 s"
	{regexp.MustCompile(`(?s)<svg.*?</svg>`), "<svg/>"}, // a transcript's diagram: where its pauses fall is timing
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`(port |\.py )\d+`), "${1}PORT"},
}

func normalize(s, dir string) string {
	s = strings.ReplaceAll(s, dir, "DIR")
	for _, v := range varying {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}

// firstDifference shows the first line where a and b differ.
func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  whole:  %s\n  merged: %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("one is longer: %d and %d lines", len(la), len(lb))
}

// lineOf is the number of the first line of s that contains sub.
func lineOf(s, sub string) int {
	for i, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			return i + 1
		}
	}
	return 0
}

// Each mistake planted in the new user's manifest gets one line naming
// the file, the line and the field, and exit status 2.
func TestManifestMistakes(t *testing.T) {
	for _, c := range []struct {
		name, old, new string
		want           string // after "FILE:LINE: "
		at             string // on the line; new, when empty
	}{
		{"unknown field", `greeter: {cmd: "/usr/bin/python3 greeter.py`, `greeter: {comand: "/usr/bin/python3 greeter.py`,
			"implementations[0].servers.greeter.comand: unknown field (known here: cmd, image, port, addr, dir, env, profile)", ""},
		{"unknown field of an implementation", "language: shell", "lang: shell",
			"implementations[2].lang: unknown field (known here: name, language, impl, dir, build, env, servers, clients)", ""},
		{"unknown protocol", "greeter-udp:", "greeter_udp:",
			"implementations[1].servers.greeter_udp: unknown protocol (known: " + strings.Join(specs.Protocols(), ", ") + ")", ""},
		{"no way to start", `echo: {cmd: "target/release/echo {port}"}`, `echo: {env: {RUST_LOG: debug}}`,
			"implementations[3].servers.echo: no way to start it: give cmd (a command line with {port}), image and port, or addr", ""},
		{"two ways to start", `echo: {cmd: "target/release/echo {port}"}`, `echo: {cmd: "target/release/echo {port}", addr: "127.0.0.1:7000"}`,
			"implementations[3].servers.echo: give one of cmd, image and addr, not 2", ""},
		{"cmd without {port}", "echo.py {port}", "echo.py 7000",
			`implementations[1].servers.echo.cmd: no {port} in "/usr/bin/python3 echo.py 7000": the suite chooses a free port and puts it there`, ""},
		{"image without port", `echo: {cmd: "target/release/echo {port}"}`, `echo: {image: my-rust-echo}`,
			"implementations[3].servers.echo.port: missing: image needs the port its server listens on inside the container", ""},
		{"a port that is no number", `echo: {cmd: "target/release/echo {port}"}`, `echo: {image: my-rust-echo, port: http}`,
			`implementations[3].servers.echo.port: want a port number, 1 to 65535, not "http"`, ""},
		{"addr that is no address", `echo: {cmd: "target/release/echo {port}"}`, `echo: {addr: "localhost"}`,
			`implementations[3].servers.echo.addr: want HOST:PORT, not "localhost"`, ""},
		{"unknown impl", "language: Rust", "impl: rust",
			`implementations[3].impl: "rust" is none of this project's implementations (go, python, c)`, ""},
		{"no name", "  - name: socat\n", "  - nickname: socat\n",
			"implementations[2].nickname: unknown field (known here: name, language, impl, dir, build, env, servers, clients)", "nickname"},
		{"no such dir", "dir: tiny", "dir: tinny",
			"implementations[0].dir: no directory DIR/tinny", ""},
		{"no such profile", "profile: tiny/dialect.yaml", "profile: tiny/dialect.yml",
			"implementations[0].servers.welcome.profile: open DIR/tiny/dialect.yml: no such file or directory", ""},
		{"a server twice", "      echo-udp:", "      echo:",
			"implementations[1].servers.echo: given twice", "echo_udp.py"},
		{"a client without {port}", `welcome: {cmd: "socat -u TCP:{host}:{port} -"}`, `welcome: {cmd: "socat -u TCP:localhost:7000 -"}`,
			`implementations[2].clients.welcome.cmd: no {port} in "socat -u TCP:localhost:7000 -": the suite starts its server on a free port and puts {host} and {port} there`, ""},
		{"an HTTP client without {url}", `welcome: {cmd: "socat -u TCP:{host}:{port} -"}`, `http-hello: {cmd: "curl {host}:{port}"}`,
			`implementations[2].clients.http-hello.cmd: no {url} in "curl {host}:{port}": an HTTP client is given the URL to fetch`, ""},
		{"a client of a protocol without a client contract", `welcome: {cmd: "socat -u TCP:{host}:{port} -"}`, `timestamp-echo: {cmd: "nc {host} {port}"}`,
			"implementations[2].clients.timestamp-echo: no client contract for this protocol (clients: " + strings.Join(clientNames(), ", ") + "; the timestamp echo's client is an echo client)", ""},
		{"a client in an image", `welcome: {cmd: "socat -u TCP:{host}:{port} -"}`, `welcome: {image: my-client, port: 7}`,
			"implementations[2].clients.welcome.image: unknown field (known here: cmd, dir, env)", ""},
		{"not YAML", `greeter: {cmd: "/usr/bin/python3 greeter.py {port}"}`, `greeter: {cmd: "/usr/bin/python3 greeter.py {port}"`,
			"did not find expected ',' or '}'", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(newUsersManifest, c.old) {
				t.Fatalf("the manifest has no %q", c.old)
			}
			planted := strings.Replace(newUsersManifest, c.old, c.new, 1)
			manifest := writeNewUsersManifest(t, planted)
			var stdout, stderr strings.Builder
			if code := run([]string{"--matrix", "--config", manifest, "--reports", t.TempDir()}, &stdout, &stderr); code != exitUsage {
				t.Errorf("exit status %d, want %d", code, exitUsage)
			}
			if c.name == "not YAML" { // yaml's message, with the line where it noticed
				if !regexp.MustCompile(`^conformance: ` + regexp.QuoteMeta(manifest) + `:\d+: .*` + regexp.QuoteMeta(c.want) + "\n$").MatchString(stderr.String()) {
					t.Errorf("stderr %q", stderr.String())
				}
				return
			}
			at := c.at
			if at == "" {
				at = c.new
			}
			want := fmt.Sprintf("conformance: %s:%d: %s\n", manifest, lineOf(planted, at), strings.ReplaceAll(c.want, "DIR", filepath.Dir(manifest)))
			if stderr.String() != want {
				t.Errorf("stderr:\n got %q\nwant %q", stderr.String(), want)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
		})
	}
}
