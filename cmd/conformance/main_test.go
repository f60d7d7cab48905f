package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/socketspec/conformance/reference"
)

// Environment variables that make the test binary something else: the
// command itself, or a UDP server that binds the port given as its
// argument after a pause, and never answers.
const (
	commandEnv   = "CONFORMANCE_TEST_COMMAND"
	helperUDPEnv = "CONFORMANCE_TEST_SILENT_UDP"
)

// TestMain lets the test binary stand in for the command: run with several
// protocols runs os.Executable() as its children, which is this binary,
// marked by partEnv; runCommand runs it as a user would. It also serves as
// a silent UDP server for the tests.
func TestMain(m *testing.M) {
	switch {
	case os.Getenv(helperUDPEnv) != "": // first: a server the command starts inherits its environment
		silentUDP(os.Args[1])
		return
	case os.Getenv(partEnv) != "", os.Getenv(commandEnv) != "":
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// silentUDP binds 127.0.0.1:port after 500 ms, reads datagrams and never
// answers, for a minute at most.
func silentUDP(port string) {
	time.Sleep(500 * time.Millisecond)
	pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		os.Exit(3)
	}
	pc.SetReadDeadline(time.Now().Add(time.Minute))
	buf := make([]byte, 65536)
	for {
		if _, _, err := pc.ReadFrom(buf); err != nil {
			return
		}
	}
}

// silentUDPLine is a --cmd line that runs silentUDP.
func silentUDPLine(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return helperUDPEnv + "=1 exec '" + self + "' {port}"
}

// testContext is a context that ends with the test.
func testContext(t *testing.T, within time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	t.Cleanup(cancel)
	return ctx
}

// runCommand runs the command (this test binary, see TestMain) with args
// and the environment variables env added, within the given time, and
// returns its exit status and output.
func runCommand(t *testing.T, within time.Duration, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(testContext(t, within), self, args...)
	cmd.Env = append(append(os.Environ(), commandEnv+"=1"), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		code = exit.ExitCode()
	default:
		t.Fatalf("running the command: %v; output:\n%s%s", err, out.String(), errOut.String())
	}
	return code, out.String(), errOut.String()
}

// referenceEcho starts the Go reference echo server for the test, and
// returns its address.
func referenceEcho(t *testing.T) string {
	t.Helper()
	server, _ := reference.Target("echo")
	if err := server.Start(testContext(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Stop() })
	return server.Addr()
}
