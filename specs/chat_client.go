package specs

import (
	"bytes"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/socketspec/conformance/suite"
)

// The chat client specs, one DescribeClause per clause of chat-client.md.
// The check's server plays a chat room; an idle user is a standard input
// that stays open with nothing new on it.
var _ = Protocol("chat-client", func() {
	DescribeClause("chat-client-1", func() {
		CheckClient("sends a line as soon as it has read it, while stdin stays open", func(ctx SpecContext, s *ClientSession) {
			ends, end := s.StdinEnd()
			var got []byte
			srv := s.Serve(func(c *suite.ServerConn) error {
				defer end() // then the user leaves
				got, _ = c.ReadUntil([]byte("\n"), 1<<10, replyTimeout)
				return nil
			})
			s.RunHeld(ctx, srv.Addr(), []byte("hello, room\n"), ends)
			srv.Close() // the script is done with got
			if want := []byte("hello, room\n"); !bytes.Equal(got, want) {
				s.Failf(suite.TimedOut, "within 2 s the client sent %s of the line %s on its stdin, which stayed open: it must send each line as soon as it has read it", suite.Quote(got), suite.Quote(want))
			}
		})
	})

	DescribeClause("chat-client-2", func() {
		CheckClient("prints a relayed line within 1 s while its user is idle", func(ctx SpecContext, s *ClientSession) {
			line := []byte("[127.0.0.1:40001]is anyone there?\n")
			ends, end := s.StdinEnd()
			sent := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				defer end()
				stamp(sent)
				if err := c.Write(line); err != nil {
					return err
				}
				return c.Pause(time.Second + piecePause) // the user stays idle a little over the 1 s
			})
			run := s.RunHeld(ctx, srv.Addr(), nil, ends)
			// That it printed the line in time; that it printed exactly
			// the line is chat-client-3's business.
			at, printed := run.PrintedBy(len(line))
			switch since := receivedOr(sent, run); {
			case !printed:
				s.Failf(suite.TimedOut, "the client printed %d bytes, not the line %s relayed while its user was idle (stdin open, nothing new)", len(run.Stdout), suite.Quote(line))
			case at.Sub(since) > time.Second:
				s.Failf(suite.TimedOut, "the client printed the line %s %.1f s after it came: while its user was idle (stdin open, nothing new), it must print it within 1 s", suite.Quote(line), at.Sub(since).Seconds())
			}
		})
	})

	DescribeClause("chat-client-3", func() {
		CheckClient("prints a line in three pieces and three lines in one segment, whole", func(ctx SpecContext, s *ClientSession) {
			ends, end := s.StdinEnd()
			srv := s.Serve(func(c *suite.ServerConn) error {
				defer end()
				if err := c.WritePieces(piecePause, []byte("[127.0.0.1:40001]hel"), []byte("lo wor"), []byte("ld\n")); err != nil {
					return err
				}
				if err := c.Write([]byte("[127.0.0.1:40002]one\n[127.0.0.1:40002]two \xff\n[127.0.0.1:40003]three\n")); err != nil {
					return err
				}
				return c.Pause(time.Second) // time to print it, the user idle
			})
			run := s.RunHeld(ctx, srv.Addr(), nil, ends)
			s.Expect(run).To(suite.Print([]byte("[127.0.0.1:40001]hello world\n[127.0.0.1:40002]one\n[127.0.0.1:40002]two \xff\n[127.0.0.1:40003]three\n"),
				"the four relayed lines (the first came in three pieces, the other three in one segment)"))
		})
	})

	DescribeClause("chat-client-4", func() {
		CheckClient("exits 0 within 2 s when the server closes, its stdin still open", func(ctx SpecContext, s *ClientSession) {
			closed := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				if err := c.Write([]byte("[127.0.0.1:40001]the room is closing\n")); err != nil {
					return err
				}
				stamp(closed)
				return c.Hangup(clientRunTimeout)
			})
			ends, _ := s.StdinEnd() // idle for good
			run := s.RunHeld(ctx, srv.Addr(), nil, ends)
			s.Expect(run).To(suite.ExitZero(2*time.Second, receivedOr(closed, run), "the server's close (its stdin still open)"))
		})
	})

	DescribeClause("chat-client-5", func() {
		CheckClient("leaves at the end of stdin: exits 0 within 2 s", func(ctx SpecContext, s *ClientSession) {
			connected := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				stamp(connected)
				c.ReadToEOF(1<<10, clientRunTimeout) // the room stays open
				return nil
			})
			run := s.Run(ctx, srv.Addr(), []byte("bye\n"))
			s.Expect(run).To(suite.ExitZero(2*time.Second, connectedOr(connected, run), "its connection (stdin: a line, then EOF)"))
		})
	})

	DescribeClause("chat-client-6", func() {
		CheckClient("fails clearly, within 5 s, when nothing listens", func(ctx SpecContext, s *ClientSession) {
			run := s.Run(ctx, s.ClosedAddr(), []byte("hello\n"))
			s.expectFailedWhereNothingListens(run)
		})
	})
})
