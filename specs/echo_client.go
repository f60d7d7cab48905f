package specs

import (
	"bytes"
	"errors"
	"io"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/socketspec/conformance/suite"
)

// The echo client specs, one DescribeClause per clause of echo-client.md.
// The check's server plays an echo server.
var _ = Protocol("echo-client", func() {
	DescribeClause("echo-client-1", func() {
		CheckClient("sends its stdin unchanged: all 256 byte values, and nothing else", func(ctx SpecContext, s *ClientSession) {
			stdin := append(allBytes(), "\nthe end\n"...)
			var got []byte
			srv := s.Serve(func(c *suite.ServerConn) error {
				// All of stdin, then anything more until the client's
				// half-close or a quiet second (half-closing is
				// echo-client-3's business).
				got, _ = c.ReadFull(len(stdin), replyTimeout)
				more, _ := c.ReadToEOF(1<<10, time.Second)
				got = append(got, more...)
				if err := c.Write(got); err != nil {
					return err
				}
				return c.Hangup(clientRunTimeout)
			})
			s.Run(ctx, srv.Addr(), stdin)
			srv.Close() // the script is done with got
			if diff := suite.DiffBytes(stdin, got); diff != "" {
				s.Failf(suite.WrongBytes, "the client was to send the %d bytes of its stdin, and sent %d bytes: %s", len(stdin), len(got), diff)
			}
		})
	})

	DescribeClause("echo-client-2", func() {
		CheckClient("prints an answer that comes in three pieces, a UTF-8 character split between two, whole and unchanged", func(ctx SpecContext, s *ClientSession) {
			answer := [][]byte{[]byte("caf"), []byte("\xc3"), []byte("\xa9 \xff\x00\r\n")}
			ends, endStdin := s.StdinEnd()
			srv := s.Serve(func(c *suite.ServerConn) error {
				// The answer does not depend on what the client sent
				// (that is echo-client-1's business). It comes once the
				// client has sent something, or after a second: a client
				// that sends only at the end of its stdin
				// (echo-client-5's business) gets it too.
				if _, err := c.Read(time.Second); err != nil && !errors.Is(err, io.EOF) && !suite.IsKind(err, suite.TimedOut) {
					return err
				}
				if err := c.WritePieces(piecePause, answer...); err != nil {
					return err
				}
				// Stdin ends only once the answer is in, as when a user
				// reads the answer before pressing Ctrl-D: what the client
				// does at the end of stdin (echo-client-3's business)
				// cannot lose it.
				c.Pause(readingPause)
				endStdin()
				return c.Hangup(clientRunTimeout)
			})
			run := s.RunHeld(ctx, srv.Addr(), []byte("ping\n"), ends)
			s.Expect(run).To(suite.Print(bytes.Join(answer, nil), "the answer, which came in three pieces"))
		})
	})

	DescribeClause("echo-client-3", func() {
		CheckClient("half-closes at the end of stdin, and prints what the server sends after that", func(ctx SpecContext, s *ClientSession) {
			halfClosed := false
			var echo []byte
			srv := s.Serve(func(c *suite.ServerConn) error {
				got, err := c.ReadToEOF(1<<10, 2*time.Second)
				halfClosed = err == nil
				// The whole echo comes only now: a client that closed
				// its socket instead of half-closing never sees it.
				// What it echoes is what came (whether that is the
				// client's stdin is echo-client-1's business).
				echo = got
				if err := c.Write(got); err != nil {
					return err
				}
				return c.Hangup(clientRunTimeout)
			})
			run := s.Run(ctx, srv.Addr(), []byte("one\ntwo\n"))
			srv.Close() // the script is done with halfClosed and echo
			if !halfClosed {
				s.Failf(suite.NotClosed, "the client did not shut down its sending side within 2 s of the end of its stdin (the server never read EOF): it must half-close (shutdown(SHUT_WR)) once stdin ends")
			}
			s.Expect(run).To(suite.Print(echo, "the echo, which the server sent after the client's half-close"))
		})
	})

	DescribeClause("echo-client-4", func() {
		CheckClient("exits 0 within 2 s of the server's EOF", func(ctx SpecContext, s *ClientSession) {
			closed := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				got, err := c.Read(replyTimeout)
				if err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				if err := c.Write(got); err != nil {
					return err
				}
				stamp(closed)
				return c.Hangup(clientRunTimeout)
			})
			run := s.Run(ctx, srv.Addr(), []byte("bye\n"))
			s.Expect(run).To(suite.ExitZero(2*time.Second, receivedOr(closed, run), "the server's EOF"))
		})
	})

	DescribeClause("echo-client-5", func() {
		CheckClient("sends 8 MiB while it reads the echo, and prints all of it, within 10 s", func(ctx SpecContext, s *ClientSession) {
			// More than the client's own socket buffers hold: a client
			// that sends all of it before reading must deadlock.
			stdin := bytes.Repeat(append(allBytes(), '\n'), 8*4100)[:8<<20]
			srv := s.Serve(func(c *suite.ServerConn) error {
				// An echo server with buffers small next to 8 MiB: it
				// writes each piece back before it reads the next. (Not
				// smaller: below loopback's 64 KiB segments, delayed ACKs
				// stall the stream for 200 ms at a time, and a correct
				// client could not finish in time.)
				c.SetBuffers(256 << 10)
				for {
					p, err := c.Read(replyTimeout)
					if errors.Is(err, io.EOF) {
						return c.Hangup(clientRunTimeout)
					}
					if err != nil {
						return err
					}
					if err := c.Write(p); err != nil {
						return err
					}
				}
			})
			run := s.Run(ctx, srv.Addr(), stdin)
			srv.Close() // the script is done: its error is final
			var stalled net.Error
			switch {
			case run.TimedOut:
				s.Failf(suite.TimedOut, "the client was still running after %.0f s, having printed %d of the %d bytes of the echo: a client that writes all of its stdin before it reads deadlocks with a server that echoes as it reads, once the socket buffers are full",
					run.Duration.Seconds(), len(run.Stdout), len(stdin))
			case errors.As(srv.Err(), &stalled) && stalled.Timeout():
				s.Failf(suite.TimedOut, "the client stopped reading the echo while it was still sending (%v), having printed %d of the %d bytes: a client that writes all of its stdin before it reads deadlocks with a server that echoes as it reads, once the socket buffers are full",
					srv.Err(), len(run.Stdout), len(stdin))
			}
			s.Expect(run).To(suite.Print(stdin, "the echo of its 8 MiB of stdin"))
		})
	})

	DescribeClause("echo-client-6", func() {
		CheckClient("fails clearly, within 5 s, when nothing listens", func(ctx SpecContext, s *ClientSession) {
			run := s.Run(ctx, s.ClosedAddr(), []byte("ping\n"))
			s.expectFailedWhereNothingListens(run)
		})
	})

	DescribeClause("echo-client-7", func() {
		CheckClient("fails clearly, within 2 s, when the server resets the connection", func(ctx SpecContext, s *ClientSession) {
			reset := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				if _, err := c.Read(replyTimeout); err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				err := c.Write([]byte("pi"))
				stamp(reset)
				c.Reset()
				return err
			})
			run := s.Run(ctx, srv.Addr(), []byte("ping\n"))
			s.Expect(run).To(suite.FailClearly(2*time.Second, receivedOr(reset, run), "the server's reset"))
		})
	})

	DescribeClause("echo-client-8", func() {
		CheckClient("gives up within 5 s when the server neither answers nor closes after its half-close", func(ctx SpecContext, s *ClientSession) {
			halfClosed := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				if _, err := c.ReadToEOF(1<<10, replyTimeout); err != nil {
					return err
				}
				stamp(halfClosed)
				c.Pause(clientRunTimeout) // silent, and open, until the check ends
				return nil
			})
			run := s.Run(ctx, srv.Addr(), []byte("ping\n"))
			s.Expect(run).To(suite.FailClearly(5*time.Second, receivedOr(halfClosed, run), "its half-close (the server said nothing)"))
		})
	})
})

// readingPause is how long the user of an echo client looks at an answer
// before ending stdin: the client has read it long before.
const readingPause = 300 * time.Millisecond

// allBytes is the 256 byte values, in order.
func allBytes() []byte {
	p := make([]byte, 256)
	for i := range p {
		p[i] = byte(i)
	}
	return p
}
