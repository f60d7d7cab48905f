package reference

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The conformance specs (go test ./specs) check what the reference servers
// do on the wire. This checks what they promise their callers: Serve
// returns soon after ctx is cancelled, even with clients connected in every
// state, and leaves no goroutine behind.
func TestServersStopCleanly(t *testing.T) {
	defer goleak.VerifyNone(t)
	for name, serve := range Servers {
		t.Run(name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- serve(ctx, ln) }()

			// One client idle, one mid-line, one that never reads.
			var conns []net.Conn
			for _, send := range []string{"", "half a li", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"} {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				io.WriteString(c, send)
				conns = append(conns, c)
			}
			// Wait until the server has taken the last connection in hand.
			conns[2].SetReadDeadline(time.Now().Add(time.Second))
			conns[2].Read(make([]byte, 1))

			expectStop(t, cancel, done)
		})
	}
}

func TestPacketServersStopCleanly(t *testing.T) {
	defer goleak.VerifyNone(t)
	for name, serve := range PacketServers {
		t.Run(name, func(t *testing.T) {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- serve(ctx, pc) }()
			// One exchange, so the server is surely in its loop.
			c, err := net.Dial("udp", pc.LocalAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte("x"))
			c.SetReadDeadline(time.Now().Add(time.Second))
			if _, err := c.Read(make([]byte, 64)); err != nil {
				t.Fatalf("no answer: %v", err)
			}
			expectStop(t, cancel, done)
		})
	}
}

// expectStop cancels a server and expects Serve to return nil within 3 s.
func expectStop(t *testing.T, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve returned %v after cancel, want nil", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve did not return within 3 s of cancel")
	}
}
