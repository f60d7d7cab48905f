package suite

import (
	"context"
	"io"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// lineServer serves each connection with handle on a free port, for the
// tests of ReceiveLineMatching, and returns a connection to it.
func lineServer(t *testing.T, handle func(net.Conn)) *Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
	cl := NewClient(ln.Addr().String())
	t.Cleanup(cl.Close)
	c, err := cl.Dial("client")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var stampedLine = regexp.MustCompile(`^\[([^\]\n]*)\] (.*)\n$`)

func TestReceiveLineMatchingStoresTheSubmatches(t *testing.T) {
	c := lineServer(t, func(c net.Conn) {
		io.WriteString(c, "[Thu Dec  3 09:05:01 2026] caf")
		time.Sleep(20 * time.Millisecond) // pacing, not synchronisation: the line arrives in two segments, as over a network
		io.WriteString(c, "\xc3\xa9 \xff\r\n[next")
		io.Copy(io.Discard, c)
	})
	var groups [][]byte
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(2 * time.Second).Should(ReceiveLineMatching(100, stampedLine, "the answer", &groups))
	})
	if msg != "" {
		t.Fatal(msg)
	}
	if len(groups) != 3 || string(groups[1]) != "Thu Dec  3 09:05:01 2026" || string(groups[2]) != "caf\xc3\xa9 \xff\r" {
		t.Fatalf("groups = %q", groups)
	}
	// The line is consumed; what follows it is not.
	msg = failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(time.Second).Should(Receive("[next", "the rest"))
	})
	if msg != "" {
		t.Fatal(msg)
	}
}

func TestReceiveLineMatchingFailsAtOnceOnAnotherLine(t *testing.T) {
	c := lineServer(t, func(c net.Conn) {
		io.WriteString(c, "[Thu Dec  3 09:05:01 2026\n] hello\n")
		io.Copy(io.Discard, c)
	})
	var groups [][]byte
	start := time.Now()
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(5 * time.Second).Should(ReceiveLineMatching(100, stampedLine, "the answer to hello", &groups))
	})
	expectDiagnosis(t, msg, WrongBytes, "the answer to hello", `the line "[Thu Dec  3 09:05:01 2026\n" does not match`)
	if d := time.Since(start); d > time.Second {
		t.Errorf("a line that does not match took %v to report; waiting cannot change it", d)
	}
}

func TestReceiveLineMatchingTimesOutShowingWhatArrived(t *testing.T) {
	c := lineServer(t, func(c net.Conn) {
		io.WriteString(c, "[Thu Dec  3 09:05:01 2026] b'hello\\n'")
		io.Copy(io.Discard, c)
	})
	var groups [][]byte
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(200 * time.Millisecond).Should(ReceiveLineMatching(100, stampedLine, "the answer", &groups))
	})
	expectDiagnosis(t, msg, TimedOut, "waiting for the answer", `no end of line (\n): "[Thu Dec  3 09:05:01 2026] b'hello\\n'"`)
}

func TestReceiveLineMatchingBoundsTheLine(t *testing.T) {
	c := lineServer(t, func(c net.Conn) {
		for range 100 {
			if _, err := io.WriteString(c, "0123456789"); err != nil {
				return
			}
		}
		io.Copy(io.Discard, c)
	})
	var groups [][]byte
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(2 * time.Second).Should(ReceiveLineMatching(64, stampedLine, "the answer", &groups))
	})
	expectDiagnosis(t, msg, Violation, "no end of line (\\n) within 64 bytes")
}

func TestReceiveLineMatchingSeesTheClose(t *testing.T) {
	c := lineServer(t, func(c net.Conn) { io.WriteString(c, "[x] half") })
	var groups [][]byte
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(2 * time.Second).Should(ReceiveLineMatching(64, stampedLine, "the answer", &groups))
	})
	expectDiagnosis(t, msg, ClosedEarly, "closed the connection while the client waited for the answer", `"[x] half"`)
}
