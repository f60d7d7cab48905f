package suite

import (
	"bytes"
	"context"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// failureOf runs body with a Gomega of its own and returns its first
// failure message, without Gomega's "Timed out after" line, as the specs'
// fail handler shows it; "" when body passed.
func failureOf(body func(g gomega.Gomega)) (message string) {
	defer func() {
		if r := recover(); r != nil && message == "" {
			panic(r)
		}
	}()
	g := gomega.NewGomega(func(m string, _ ...int) {
		message = StripAsyncPreamble(m)
		panic("failed")
	})
	body(g)
	return ""
}

// expectDiagnosis checks that a failure message starts with its kind and
// holds every part.
func expectDiagnosis(t *testing.T, message string, kind Kind, parts ...string) {
	t.Helper()
	if !strings.HasPrefix(message, string(kind)+": ") {
		t.Fatalf("diagnosis %q does not start with %q", message, kind)
	}
	for _, p := range parts {
		if !strings.Contains(message, p) {
			t.Errorf("diagnosis %q lacks %q", message, p)
		}
	}
}

// expectWaited checks the time a diagnosis states: at least the wait it
// was given, and not much more (a loaded machine may add some).
func expectWaited(t *testing.T, message, pattern string, given int) {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(message)
	if m == nil {
		t.Fatalf("diagnosis %q does not say how long it waited (%s)", message, pattern)
	}
	if ms, _ := strconv.Atoi(m[1]); ms < given || ms > given+500 {
		t.Errorf("diagnosis %q states %d ms for a %d ms wait", message, ms, given)
	}
}

func TestReceiveReportsWrongBytesAtOnce(t *testing.T) {
	addr := serve(t, func(c net.Conn) { io.WriteString(c, "HELLO"); io.Copy(io.Discard, c) })
	c := dial(t, addr)
	start := time.Now()
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(5 * time.Second).Should(Receive("HELxO", "the greeting"))
	})
	expectDiagnosis(t, msg, WrongBytes, "offset 3", "the greeting", "[4c]", "[78]")
	if d := time.Since(start); d > time.Second {
		t.Errorf("a wrong byte took %v to report; it cannot be undone by waiting", d)
	}
}

func TestReceiveTimesOutSayingWhatAndHowLong(t *testing.T) {
	addr := serve(t, func(c net.Conn) { io.WriteString(c, "HE"); io.Copy(io.Discard, c) })
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(dial(t, addr)).WithContext(context.Background()).Within(200 * time.Millisecond).Should(Receive("HELLO", "the greeting"))
	})
	expectDiagnosis(t, msg, TimedOut, "waiting for the greeting", "2 bytes of it had arrived")
	expectWaited(t, msg, `timed out after (\d+)ms`, 200)
}

func TestReceiveSeesEarlyCloseAndReset(t *testing.T) {
	addr := serve(t, func(c net.Conn) { io.WriteString(c, "HE") })
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(dial(t, addr)).WithContext(context.Background()).Within(5 * time.Second).Should(Receive("HELLO", "the greeting"))
	})
	expectDiagnosis(t, msg, ClosedEarly, "closed the connection while the client waited for the greeting")

	addr = serve(t, func(c net.Conn) {
		c.Read(make([]byte, 1))
		c.(*net.TCPConn).SetLinger(0)
	})
	c := dial(t, addr)
	c.WriteString("xy")
	msg = failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(5 * time.Second).Should(Receive("HELLO", "the greeting"))
	})
	// The client had sent a byte the server never read: the diagnosis
	// names the classic cause.
	expectDiagnosis(t, msg, ConnReset, "reset the connection", "without reading what the client sent")
}

func TestReceiveNothing(t *testing.T) {
	addr := serve(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	if msg := failureOf(func(g gomega.Gomega) {
		g.Consistently(dial(t, addr)).WithContext(context.Background()).Within(100 * time.Millisecond).Should(ReceiveNothing("from a silent server"))
	}); msg != "" {
		t.Fatal(msg)
	}
	addr = serve(t, func(c net.Conn) { io.WriteString(c, "banner\n"); io.Copy(io.Discard, c) })
	msg := failureOf(func(g gomega.Gomega) {
		g.Consistently(dial(t, addr)).WithContext(context.Background()).Within(time.Second).Should(ReceiveNothing("before the client speaks"))
	})
	expectDiagnosis(t, msg, UnexpectedBytes, "before the client speaks", `"banner\n"`)

	addr = serve(t, func(c net.Conn) {})
	msg = failureOf(func(g gomega.Gomega) {
		g.Consistently(dial(t, addr)).WithContext(context.Background()).Within(time.Second).Should(ReceiveNothing("before the client speaks"))
	})
	expectDiagnosis(t, msg, ClosedEarly, "should stay open")
	if msg := failureOf(func(g gomega.Gomega) {
		g.Consistently(dial(t, addr)).WithContext(context.Background()).Within(time.Second).Should(ReceiveNothingOrEOF("after the answer"))
	}); msg != "" {
		t.Fatal(msg)
	}
}

func TestReceiveUntilEOFIsBoundedAgainstAFlood(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		chunk := bytes.Repeat([]byte("z"), 64<<10)
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	var got []byte
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(dial(t, addr)).WithContext(context.Background()).Within(2 * time.Second).Should(ReceiveUntilEOF(1000, "the banner", &got))
	})
	expectDiagnosis(t, msg, UnexpectedBytes, "more than 1000 bytes")
	if len(got) > 1001 {
		t.Errorf("read %d bytes; a bounded read should stop just past its limit", len(got))
	}
}

func TestReceiveOnly(t *testing.T) {
	for _, tc := range []struct{ sent, problem string }{
		{"\r\n", ""}, {"", ""}, {"\n", ""}, {"\n\n", "wrong bytes"}, {"x", "wrong bytes"},
	} {
		addr := serve(t, func(c net.Conn) { io.WriteString(c, tc.sent) })
		msg := failureOf(func(g gomega.Gomega) {
			g.Consistently(dial(t, addr)).WithContext(context.Background()).Within(time.Second).Should(ReceiveOnly("after the banner", "", "\n", "\r\n"))
		})
		if !strings.HasPrefix(msg, tc.problem) || (tc.problem == "") != (msg == "") {
			t.Errorf("after %q: got %q, want %q", tc.sent, msg, tc.problem)
		}
	}
}

func TestAnInterruptStopsAWaitAtOnce(t *testing.T) {
	addr := serve(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(dial(t, addr)).WithContext(ctx).Within(time.Minute).Should(Receive("never", "an answer"))
	})
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("the wait went on %v after its context was cancelled at 100ms", d)
	}
	if !strings.Contains(msg, "Context was cancelled") || !strings.Contains(msg, "an answer") {
		t.Errorf("message %q should say the wait was interrupted and what it awaited", msg)
	}
}

func TestReceiveResponse(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		c.Read(make([]byte, 1024))
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello"+
			"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
		io.Copy(io.Discard, c)
	})
	c := dial(t, addr)
	c.WriteString("GET / HTTP/1.1\r\n\r\n")
	var r *Response
	if msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(time.Second).Should(ReceiveResponse("GET", &r))
	}); msg != "" || string(r.Body) != "hello" || r.Framing != "content-length" || r.Get("x-a") != "1" {
		t.Fatalf("first response: %+v, %s", r, msg)
	}
	if msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(time.Second).Should(ReceiveResponse("GET", &r))
	}); msg != "" || string(r.Body) != "abc" || r.Framing != "chunked" || r.StatusCode != 404 {
		t.Fatalf("second response: %+v, %s", r, msg)
	}
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(c).WithContext(context.Background()).Within(200 * time.Millisecond).Should(ReceiveResponse("GET", &r))
	})
	expectDiagnosis(t, msg, TimedOut, "the status line of the response to GET")
}

func TestParseResponseRejectsWhatIsNotAResponse(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"HTTP/1.1\r\n\r\n", "status line"}, // no status code: once a panic of the recorder
		{"HTTP/1.1 20 OK\r\n\r\n", "status line"},
		{"SSH-2.0-OpenSSH\r\n", "status line"},
		{"HTTP/1.1 200 OK\r\nBad Field: x\r\n\r\n", "malformed header field"},
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "unusable Content-Length"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"},
	} {
		_, _, err := ParseResponse([]byte(tc.data), "GET", true, "the response")
		if !IsKind(err, Violation) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want a violation about %s", tc.data, err, tc.want)
		}
	}
	_, _, err := ParseResponse([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), "GET", false, "the response")
	if !IsIncomplete(err) || !strings.Contains(err.Error(), "3 bytes of it had arrived") {
		t.Errorf("a partial body: got %v, want incomplete", err)
	}
	r, n, err := ParseResponse([]byte("HTTP/1.1 200 OK\r\n\r\nclose-delimited"), "GET", true, "the response")
	if err != nil || string(r.Body) != "close-delimited" || r.Framing != "close" || n != 34 {
		t.Errorf("a close-delimited body: %+v, %d, %v", r, n, err)
	}
}

func TestRecorderPairsRequestsWithStatuses(t *testing.T) {
	// A chunked 404 after a 200: the recorder once read it as status 0.
	got := statuses([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"+
		"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n"+
		"HTTP/1.1\r\n\r\n"), []string{"GET", "GET", "GET"})
	if len(got) != 2 || got[0] != 200 || got[1] != 404 {
		t.Errorf("statuses = %v, want [200 404] (and no panic on the malformed third)", got)
	}
}

func TestReceiveDatagramChecksTheSender(t *testing.T) {
	server, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer server.Close()
	stranger, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer stranger.Close()
	cl := NewClient(server.LocalAddr().String())
	defer cl.Close()
	u, err := cl.DialUDP("client")
	if err != nil {
		t.Fatal(err)
	}
	u.Send([]byte("ping"))
	buf := make([]byte, 64)
	n, from, _ := server.ReadFrom(buf)
	stranger.WriteTo(buf[:n], from) // the answer comes from another port
	msg := failureOf(func(g gomega.Gomega) {
		g.Eventually(u).WithContext(context.Background()).Within(time.Second).Should(ReceiveDatagram("ping", "the echo"))
	})
	expectDiagnosis(t, msg, Violation, "came from "+stranger.LocalAddr().String(), "not from the server's address")

	msg = failureOf(func(g gomega.Gomega) {
		g.Eventually(u).WithContext(context.Background()).Within(200 * time.Millisecond).Should(ReceiveDatagram("ping", "the echo"))
	})
	expectDiagnosis(t, msg, TimedOut, "the echo")
	expectWaited(t, msg, `no datagram within (\d+)ms`, 200)
}
