package specs

import (
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/socketspec/conformance/suite"
)

// The welcome client specs, one DescribeClause per clause of
// welcome-client.md. The check's server plays a welcome server.
var _ = Protocol("welcome-client", func() {
	DescribeClause("welcome-client-1", func() {
		CheckClient("prints a banner sent in three pieces, whole, with nothing added", func(ctx SpecContext, s *ClientSession) {
			srv := s.Serve(func(c *suite.ServerConn) error {
				if err := c.WritePieces(piecePause, []byte("Hello, "), []byte("welcome to "), []byte("the server!\n")); err != nil {
					return err
				}
				return c.Hangup(clientRunTimeout)
			})
			run := s.Run(ctx, srv.Addr(), nil)
			s.Expect(run).To(suite.Print([]byte("Hello, welcome to the server!\n"), "the banner, which came in three pieces"))
		})
	})

	DescribeClause("welcome-client-2", func() {
		CheckClient("prints UTF-8, CR, NUL and bytes that are not UTF-8 unchanged", func(ctx SpecContext, s *ClientSession) {
			srv := s.Serve(func(c *suite.ServerConn) error {
				if err := c.Write(oddBanner); err != nil {
					return err
				}
				return c.Hangup(clientRunTimeout)
			})
			run := s.Run(ctx, srv.Addr(), nil)
			s.Expect(run).To(suite.Print(oddBanner, "the banner's bytes"))
		})
	})

	DescribeClause("welcome-client-3", func() {
		CheckClient("exits 0 within 2 s of the server's EOF", func(ctx SpecContext, s *ClientSession) {
			closed := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				if err := c.Write([]byte("Hello, welcome to the server!\n")); err != nil {
					return err
				}
				stamp(closed)
				return c.Hangup(clientRunTimeout)
			})
			run := s.Run(ctx, srv.Addr(), nil)
			s.Expect(run).To(suite.ExitZero(2*time.Second, receivedOr(closed, run), "the server's EOF"))
		})
	})

	DescribeClause("welcome-client-4", func() {
		CheckClient("fails clearly, within 5 s, when nothing listens", func(ctx SpecContext, s *ClientSession) {
			run := s.Run(ctx, s.ClosedAddr(), nil)
			s.expectFailedWhereNothingListens(run)
		})
	})

	DescribeClause("welcome-client-5", func() {
		CheckClient("fails clearly, within 2 s, when the server resets the connection", func(ctx SpecContext, s *ClientSession) {
			reset := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				err := c.Write([]byte("Hello, wel"))
				if err == nil {
					err = c.Pause(piecePause)
				}
				stamp(reset)
				c.Reset()
				return err
			})
			run := s.Run(ctx, srv.Addr(), nil)
			s.Expect(run).To(suite.FailClearly(2*time.Second, receivedOr(reset, run), "the server's reset"))
		})
	})

	DescribeClause("welcome-client-6", func() {
		CheckClient("gives up within 5 s when the server sends nothing and does not close", func(ctx SpecContext, s *ClientSession) {
			connected := make(chan time.Time, 1)
			srv := s.Serve(func(c *suite.ServerConn) error {
				stamp(connected)
				c.Pause(clientRunTimeout) // silent, and open, until the check ends
				return nil
			})
			run := s.Run(ctx, srv.Addr(), nil)
			s.Expect(run).To(suite.FailClearly(5*time.Second, connectedOr(connected, run), "the connection (the server sent nothing)"))
		})
	})
})

// oddBanner is a banner of bytes that text handling changes: UTF-8, a
// lone CR, NUL, a byte that is not UTF-8, and no newline at the end.
var oddBanner = []byte("\xe6\xac\xa2\xe8\xbf\x8e caf\xc3\xa9\r\x00 \xff\xfe end")
