package main

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socketspec/conformance/suite"
)

// A UDP server is ready once probe datagrams draw an answer, or no refusal
// for a moment: a bound server that never answers is checked (and fails),
// not reported as missing. Only refusals mean that nothing listens.
func TestUDPReadiness(t *testing.T) {
	// Bound, and silent: ready.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if err := suite.Address(suite.UDP, pc.LocalAddr().String()).Start(testContext(t, 10*time.Second)); err != nil {
		t.Errorf("a bound, silent server: %v", err)
	}

	// Answering: ready.
	echo, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		buf := make([]byte, 1024)
		for {
			n, from, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			echo.WriteTo(buf[:n], from)
		}
	}()
	if err := suite.Address(suite.UDP, echo.LocalAddr().String()).Start(testContext(t, 10*time.Second)); err != nil {
		t.Errorf("an echo server: %v", err)
	}

	// Nothing bound: every probe is refused, and the wait ends saying so.
	free, err := suite.FreePort(suite.UDP)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(free))
	err = suite.Address(suite.UDP, addr).Start(testContext(t, 10*time.Second))
	if err == nil || err.Error() != "nothing listening at UDP "+addr+": for 2s, probe datagrams drew ICMP port unreachable (connection refused)" {
		t.Errorf("nothing bound: %v", err)
	}
}

// A command that binds its port late is refused first, then silent: it is
// ready once it has bound, and checked.
func TestUDPCommandBindsLate(t *testing.T) {
	target := suite.Command(suite.UDP, silentUDPLine(t))
	if err := target.Start(testContext(t, 10*time.Second)); err != nil {
		t.Fatalf("a command binding after 500 ms: %v", err)
	}
	defer target.Stop()
	c, err := net.Dial("udp", target.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// It is bound: a datagram draws no refusal.
	c.Write([]byte("hello"))
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Read(make([]byte, 64)); !os.IsTimeout(err) {
		t.Errorf("after Start, a datagram got %v, want silence", err)
	}

	// A command that exits before binding is not ready.
	target = suite.Command(suite.UDP, "echo bye; exit 3 # {port}")
	err = target.Start(testContext(t, 10*time.Second))
	if err == nil || !strings.Contains(err.Error(), "exited (exit status 3) before listening") {
		t.Errorf("a command that exits: %v", err)
	}
}

// The whole command against a UDP server that is bound and never answers:
// a verdict (exit 1), each check timed out.
func TestSilentUDPServerFails(t *testing.T) {
	code, stdout, stderr := runCommand(t, time.Minute, nil, "--protocol", "greeter-udp", "--cmd", silentUDPLine(t), "--focus", `greeter-udp-1\b`)
	if code != exitFail {
		t.Fatalf("exit %d, want %d; stderr:\n%s\nstdout:\n%s", code, exitFail, stderr, stdout)
	}
	for _, s := range []string{"FAIL  greeter-udp-1", "timed out: client: no datagram within 2s", "(on loopback nothing is lost)"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("the output lacks %q:\n%s", s, stdout)
		}
	}
}
