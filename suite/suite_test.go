package suite

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/gomega"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv("SUITE_HELPER_SERVER") != "" {
		helperServer()
		return
	}
	goleak.VerifyTestMain(m)
}

func TestQuoteShowsEveryByte(t *testing.T) {
	got := Quote([]byte("a\r\n\t\x00\\\"\xc3\xa9\x7f"))
	want := `"a\r\n\t\0\\\"\xc3\xa9\x7f"`
	if got != want {
		t.Errorf("Quote = %s, want %s", got, want)
	}
}

func TestDiffBytes(t *testing.T) {
	if d := DiffPrefix([]byte("hello"), []byte("hel")); d != "" {
		t.Errorf("a prefix is not a difference so far, got %q", d)
	}
	if d := DiffBytes([]byte("hello"), []byte("hel")); !strings.Contains(d, "the 3 bytes received are the beginning of the 5 expected") || !strings.Contains(d, "other 2 never came") {
		t.Errorf("a complete answer that is too short must say so, got %q", d)
	}
	if d := DiffBytes([]byte("hello"), []byte("hello")); d != "" {
		t.Errorf("equal bytes are not a difference, got %q", d)
	}
	d := DiffBytes([]byte("hello\r\n"), []byte("hello\n"))
	for _, part := range []string{"offset 5", "[0d]", "[0a]", `"hello\r\n"`, `"hello\n"`} {
		if !strings.Contains(d, part) {
			t.Errorf("diff lacks %q:\n%s", part, d)
		}
	}
	if d := DiffBytes([]byte("ab"), []byte("abc")); !strings.Contains(d, "(ends here)") {
		t.Errorf("extra bytes should show where the expected ones end:\n%s", d)
	}
}

func TestTranscriptIsBounded(t *testing.T) {
	tr := NewTranscript()
	big := bytes.Repeat([]byte("x"), 1<<20)
	for range transcriptMaxEvents + 100 {
		tr.received("flood", big)
	}
	out := tr.String()
	if len(out) > 64<<10 {
		t.Errorf("rendered transcript is %d bytes; it should stay short", len(out))
	}
	for _, part := range []string{"events not shown", "100 later events not recorded", "(1048368 bytes)"} {
		if !strings.Contains(out, part) {
			t.Errorf("transcript lacks %q", part)
		}
	}
}

// serve runs handle for each connection to a fresh loopback listener.
func serve(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) *Conn {
	t.Helper()
	cl := NewClient(addr)
	t.Cleanup(cl.Close)
	c, err := cl.Dial("client")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func expectKind(t *testing.T, err error, kind Kind, parts ...string) {
	t.Helper()
	if !IsKind(err, kind) {
		t.Fatalf("got error %v, want kind %q", err, kind)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q lacks %q", err, p)
		}
	}
}

func TestDialNothingListening(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err := NewClient(addr).Dial("client")
	expectKind(t, err, NothingListening, addr)
}

// helperServer is the program the command-target tests start: this test
// binary, re-run with SUITE_HELPER_SERVER set. It starts a child that holds
// the write end of the FIFO named by SUITE_HELPER_FIFO (so the test sees
// EOF when it dies), prints a line, and serves echo on the port it is given.
// With SUITE_HELPER_IGNORE_TERM set, it and its child ignore SIGTERM.
func helperServer() {
	if os.Getenv("SUITE_HELPER_IGNORE_TERM") != "" {
		signal.Ignore(syscall.SIGTERM) // its child inherits that
	}
	fifo, err := os.OpenFile(os.Getenv("SUITE_HELPER_FIFO"), os.O_WRONLY, 0)
	if err != nil {
		os.Exit(3)
	}
	child := exec.Command("sleep", "300")
	child.Stdout = fifo
	child.Start()
	fifo.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Args[len(os.Args)-1])
	if err != nil {
		os.Exit(3)
	}
	fmt.Println("helper listening")
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() { defer c.Close(); io.Copy(c, c) }()
	}
}

func TestCommandTargetStartsAndStopsTheWholeProcessGroup(t *testing.T) {
	// The server's child holds the write end of a FIFO: reading it gives
	// EOF exactly when every process holding it has died.
	fifo := filepath.Join(t.TempDir(), "alive")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	alive, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer alive.Close()

	self, _ := os.Executable()
	target := Command(TCP, "SUITE_HELPER_SERVER=1 SUITE_HELPER_FIFO="+fifo+" "+self+" {port}")
	if err := target.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := dial(t, target.Addr())
	c.WriteString("ping")
	if msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(time.Second).Should(Receive("ping", "the echo"))
	}); msg != "" {
		t.Fatal(msg)
	}
	if !strings.Contains(target.Output(), "helper listening") {
		t.Fatalf("output not kept: %q", target.Output())
	}
	target.Stop()
	target.Stop() // a second Stop is harmless
	alive.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := alive.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the server's child outlived Stop: reading its FIFO gave %v, not EOF", err)
	}
}

func TestCommandTargetReportsAnEarlyExit(t *testing.T) {
	target := Command(TCP, "echo 'cannot bind' >&2; exit 3 # {port}")
	err := target.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "cannot bind") {
		t.Fatalf("got %v, want an error naming the exit and the output", err)
	}
}

func TestCommandTargetNeedsPort(t *testing.T) {
	if err := Command(TCP, "./server").Start(context.Background()); err == nil || !strings.Contains(err.Error(), "{port}") {
		t.Fatalf("got %v, want an error about the missing {port}", err)
	}
}

// serveUDP answers each datagram with answer(payload), from a socket of
// its own choosing: pc, or another one to play a server that answers from
// the wrong port.
func serveUDP(t *testing.T, fromOtherPort bool, answer func([]byte) []byte) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	out := pc
	if fromOtherPort {
		if out, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 70000)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			out.WriteTo(answer(buf[:n]), from)
		}
	}()
	t.Cleanup(func() { pc.Close(); out.Close(); <-done })
	return pc.LocalAddr().String()
}

func udpClient(t *testing.T, addr string) *UDPConn {
	t.Helper()
	cl := NewClient(addr)
	t.Cleanup(cl.Close)
	d, err := cl.DialUDP("client")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestUDPConn(t *testing.T) {
	echo := func(p []byte) []byte { return p }
	receive := func(d *UDPConn, want string, within time.Duration) string {
		return failureOf(func(g gomega.Gomega) {
			g.Eventually(d).WithContext(context.Background()).Within(within).Should(ReceiveDatagram(want, "the echo"))
		})
	}
	d := udpClient(t, serveUDP(t, false, echo))
	d.Send([]byte("hi"))
	if msg := receive(d, "hi", time.Second); msg != "" {
		t.Fatal(msg)
	}
	if msg := failureOf(func(g gomega.Gomega) {
		g.Consistently(d).WithContext(context.Background()).Within(50 * time.Millisecond).Should(ReceiveNoDatagram("after the echo"))
	}); msg != "" {
		t.Fatal(msg)
	}

	d = udpClient(t, serveUDP(t, true, echo))
	d.Send([]byte("hi"))
	expectDiagnosis(t, receive(d, "hi", time.Second), Violation, "not from the server's address")

	d = udpClient(t, serveUDP(t, false, func(p []byte) []byte { return []byte("HI") }))
	d.Send([]byte("hi"))
	expectDiagnosis(t, receive(d, "hi", time.Second), WrongBytes, "offset 0")

	d = udpClient(t, serveUDP(t, false, func([]byte) []byte { return nil }))
	expectDiagnosis(t, receive(d, "x", 100*time.Millisecond), TimedOut, "on loopback nothing is lost")
}
