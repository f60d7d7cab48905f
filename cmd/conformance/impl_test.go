package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socketspec/conformance/containers"
	"github.com/socketspec/conformance/specs"
)

// fakeEcho is the fake language's echo server; its build "compiles" it
// into out/ (a copy), which its .dockerignore excludes.
const fakeEcho = `import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("listening on", s.getsockname(), flush=True)
while True:
    c, _ = s.accept()
    while (data := c.recv(4096)):
        c.sendall(data)
    c.close()
`

// withFakeImpl adds an implementation in a language the project does not
// have to the table, for the test's duration: one entry, nothing else.
func withFakeImpl(t *testing.T) containers.Impl {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"Dockerfile":    "FROM ${BASE}\nCOPY out /srv\n",
		".dockerignore": "/out/\n",
		"src/echo.fk":   fakeEcho,
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	impl := containers.Impl{
		Name:      "fake",
		Dir:       dir,
		BaseArgs:  map[string]string{"BASE": "socketspec/base-fake:bookworm"},
		Program:   "out/{name}",
		Container: []string{"/srv/{program}", "{port}"},
		Local:     "/usr/bin/python3 {path} {port}",
		Build:     "mkdir -p out && cp src/echo.fk out/echo",
	}
	saved := containers.Impls
	containers.Impls = append(slices.Clip(saved), impl)
	t.Cleanup(func() { containers.Impls = saved })
	return impl
}

// A new implementation is one entry of containers.Impls: the help, the
// errors, --impl, --local (with its build) and impl: in a manifest all follow.
func TestNewImplIsOneTableEntry(t *testing.T) {
	impl := withFakeImpl(t)

	var stderr bytes.Buffer
	parseFlags([]string{"--help"}, &stderr)
	for _, s := range []string{
		"--impl go|python|c|fake [--local]",
		"check one of this project's implementations: go, python, c or fake (python, c and fake run in containers)",
		"with --impl python, c or fake: run it as a local process",
	} {
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("the help lacks %q:\n%s", s, stderr.String())
		}
	}

	stderr.Reset()
	run([]string{"--protocol", "echo", "--impl", "cobol"}, noOutput{t}, &stderr)
	for _, s := range []string{`unknown --impl "cobol" (known: go, python, c, fake)`, "--impl go|python|c|fake [--local]"} {
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("the error lacks %q:\n%s", s, stderr.String())
		}
	}
	if _, err := parseFlags([]string{"--protocol", "echo", "--addr", "a:1", "--local"}, &stderr); err == nil || err.Error() != "--local goes with --impl python, --impl c or --impl fake" {
		t.Errorf("--local without an impl: %v", err)
	}

	for _, args := range [][]string{{"--protocol", "all", "--impl", "fake"}, {"--protocol", "echo", "--impl", "fake", "--local"}} {
		if o, err := parseFlags(args, &stderr); err != nil || o.impl != "fake" {
			t.Errorf("%q: %v", args, err)
		}
	}

	// A manifest takes it as impl: fake, with every protocol.
	path := filepath.Join(t.TempDir(), "socketspec.yaml")
	os.WriteFile(path, []byte("implementations:\n  - name: the fake one\n    impl: fake\n"), 0o644)
	if m, err := loadManifest(path); err != nil || m.impls[0].impl != "fake" || !slices.Equal(m.impls[0].protocols(), specs.Protocols()) || !m.impls[0].docker() {
		t.Errorf("a manifest with impl: fake: %+v, %v", m, err)
	}

	// --impl fake --local builds it, then runs its program.
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 to run the fake server with")
	}
	var log bytes.Buffer
	targets, release, err := newTargets(context.Background(), options{protocols: []string{"echo"}, impl: "fake", local: true}, &log)
	if err != nil {
		t.Fatalf("newTargets: %v (log: %s)", err, log.String())
	}
	defer release()
	target := targets["echo"]
	if want := "exec /usr/bin/python3 " + filepath.Join(impl.Dir, "out", "echo") + " {port}"; target.Name() != want {
		t.Errorf("the target is %q, want %q", target.Name(), want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := target.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer target.Stop()
	c, err := net.DialTimeout("tcp", target.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write([]byte("hello, fake\n"))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "hello, fake\n" {
		t.Errorf("the fake echo server answered %q, %v", line, err)
	}

	// A build that fails is an error of its own.
	broken := impl
	broken.Build = "echo 'fake: syntax error' >&2; exit 1"
	containers.Impls[len(containers.Impls)-1] = broken
	log.Reset()
	if _, _, err := newTargets(context.Background(), options{protocols: []string{"echo"}, impl: "fake", local: true}, &log); err == nil || !strings.Contains(err.Error(), "the fake servers did not build") || !strings.Contains(log.String(), "fake: syntax error") {
		t.Errorf("a failed build: %v (log: %q)", err, log.String())
	}
}

// noOutput is a writer that fails the test if written to.
type noOutput struct{ t *testing.T }

func (w noOutput) Write(p []byte) (int, error) {
	w.t.Errorf("unexpected output %q", p)
	return len(p), nil
}
