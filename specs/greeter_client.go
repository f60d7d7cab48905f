package specs

import (
	"bytes"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/socketspec/conformance/suite"
)

// The greeter client specs, one DescribeClause per clause of
// greeter-client.md. The check's server plays a greeting server.
var _ = Protocol("greeter-client", func() {
	DescribeClause("greeter-client-1", func() {
		CheckClient("prints a welcome in three pieces and two greetings in one segment, whole", func(ctx SpecContext, s *ClientSession) {
			srv := s.Serve(func(c *suite.ServerConn) error {
				if err := c.WritePieces(piecePause, []byte("Wel"), []byte("come"), []byte("!\n")); err != nil {
					return err
				}
				// Both names first, then both greetings in one write. A
				// client that waits for the first greeting before it sends
				// the second name gets them after a second.
				c.ReadUntil([]byte("\n"), 1<<10, replyTimeout)
				c.ReadUntil([]byte("\n"), 1<<10, time.Second)
				if err := c.Write([]byte("Hello, Ada!\nHello, Grace!\n")); err != nil {
					return err
				}
				c.ReadUntil([]byte("exit\n"), 1<<10, replyTimeout)
				return c.Hangup(clientRunTimeout)
			})
			run := s.Run(ctx, srv.Addr(), []byte("Ada\nGrace\n"))
			s.Expect(run).To(suite.Print([]byte("Welcome!\nHello, Ada!\nHello, Grace!\n"), "the welcome (it came in three pieces) and the two greetings (in one segment)"))
		})
	})

	DescribeClause("greeter-client-2", func() {
		CheckClient("sends each line of stdin as a line, unchanged, adding \\n to the last", func(ctx SpecContext, s *ClientSession) {
			var names []byte
			srv := s.Serve(func(c *suite.ServerConn) error {
				if err := c.Write([]byte("Welcome!\n")); err != nil {
					return err
				}
				for {
					line, err := c.ReadUntil([]byte("\n"), 1<<10, replyTimeout)
					if err != nil || string(line) == "exit\n" {
						names = append(names, line...) // what came of a line without its \n
						return c.Hangup(clientRunTimeout)
					}
					names = append(names, line...)
					if err := c.Write(greeting(line)); err != nil {
						return err
					}
				}
			})
			s.Run(ctx, srv.Addr(), []byte("Ada\n\xc3\xa9lodie\nLast"))
			srv.Close() // the script is done with names
			names = bytes.TrimSuffix(names, []byte("exit\n"))
			if want := []byte("Ada\n\xc3\xa9lodie\nLast\n"); !bytes.Equal(names, want) {
				s.Failf(suite.WrongBytes, "the client was to send the names of its stdin as lines, %s, and sent %s: %s", suite.Quote(want), suite.Quote(names), suite.DiffBytes(want, names))
			}
		})
	})

	DescribeClause("greeter-client-3", func() {
		CheckClient("sends exit at the end of stdin, and exits 0 within 2 s of the server's EOF", func(ctx SpecContext, s *ClientSession) {
			var last []byte
			closed := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				if err := c.Write([]byte("Welcome!\n")); err != nil {
					return err
				}
				if name, err := c.ReadUntil([]byte("\n"), 1<<10, replyTimeout); err == nil {
					c.Write(greeting(name))
				}
				last, _ = c.ReadUntil([]byte("\n"), 1<<10, replyTimeout)
				stamp(closed)
				return c.Hangup(clientRunTimeout)
			})
			run := s.Run(ctx, srv.Addr(), []byte("Ada\n"))
			srv.Close() // the script is done with last
			if string(last) != "exit\n" {
				s.Failf(suite.Violation, "after the last name the client was to send %s, and sent %s within 2 s: the server cannot tell that the client is done", suite.Quote([]byte("exit\n")), suite.Quote(last))
			}
			s.Expect(run).To(suite.ExitZero(2*time.Second, receivedOr(closed, run), "the server's EOF"))
		})
	})

	DescribeClause("greeter-client-4", func() {
		CheckClient("fails clearly, within 5 s, when nothing listens", func(ctx SpecContext, s *ClientSession) {
			run := s.Run(ctx, s.ClosedAddr(), []byte("Ada\n"))
			s.expectFailedWhereNothingListens(run)
		})
	})

	DescribeClause("greeter-client-5", func() {
		CheckClient("fails clearly, within 2 s, when the server resets the connection", func(ctx SpecContext, s *ClientSession) {
			reset := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				err := c.Write([]byte("Welcome!\n"))
				if err == nil {
					_, err = c.ReadUntil([]byte("\n"), 1<<10, replyTimeout)
				}
				stamp(reset)
				c.Reset()
				return err
			})
			run := s.Run(ctx, srv.Addr(), []byte("Ada\nGrace\n"))
			s.Expect(run).To(suite.FailClearly(2*time.Second, receivedOr(reset, run), "the server's reset"))
		})
	})

	DescribeClause("greeter-client-6", func() {
		CheckClient("gives up within 5 s when the server sends nothing and does not close", func(ctx SpecContext, s *ClientSession) {
			connected := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				stamp(connected)
				c.Pause(clientRunTimeout) // silent, and open, until the check ends
				return nil
			})
			run := s.Run(ctx, srv.Addr(), []byte("Ada\n"))
			s.Expect(run).To(suite.FailClearly(5*time.Second, connectedOr(connected, run), "the connection (the server sent nothing)"))
		})
	})
})

// greeting is the greeter's answer to a name line.
func greeting(line []byte) []byte {
	name := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	return append(append([]byte("Hello, "), name...), "!\n"...)
}
