package specs

import (
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/socketspec/conformance/suite"
)

// The UDP echo client specs, one DescribeClause per clause of
// echo-udp-client.md. The check's server plays a UDP echo server.
var _ = Protocol("echo-udp-client", func() {
	DescribeClause("echo-udp-client-1", func() {
		CheckClient("sends its stdin, unchanged, as one datagram", func(ctx SpecContext, s *ClientSession) {
			stdin := []byte("Hello, server!\n\xff\x00\r\xc3\xa9 end")
			var got [][]byte
			srv := s.ServeUDP(func(srv *suite.ScriptedUDPServer) error {
				// The first datagram whenever it comes, then every
				// datagram of the second after it: one is expected.
				var deadline time.Time
				for deadline.IsZero() || time.Now().Before(deadline) {
					within := firstDatagramTimeout
					if !deadline.IsZero() {
						within = time.Until(deadline)
					}
					p, from, err := srv.Receive(within)
					if err != nil {
						return nil
					}
					if deadline.IsZero() {
						deadline = time.Now().Add(time.Second)
					}
					got = append(got, p)
					srv.Send(p, from)
				}
				return nil
			})
			s.Run(ctx, srv.Addr(), stdin)
			srv.Close() // the script is done with got
			switch {
			case len(got) == 0:
				s.Failf(suite.TimedOut, "the client sent no datagram to the server during its run")
			case len(got) > 1:
				s.Failf(suite.Violation, "the client sent its stdin as %d datagrams (the first %d bytes), not one", len(got), len(got[0]))
			}
			if diff := suite.DiffBytes(stdin, got[0]); diff != "" {
				s.Failf(suite.WrongBytes, "the client was to send the %d bytes of its stdin as one datagram, and sent %d bytes: %s", len(stdin), len(got[0]), diff)
			}
		})
	})

	DescribeClause("echo-udp-client-2", func() {
		CheckClient("prints the answer's bytes exactly, and exits 0 within 2 s of it", func(ctx SpecContext, s *ClientSession) {
			answer := []byte("\xe4\xbd\xa0\xe5\xa5\xbd\x00 \xff no newline")
			sent := make(chan time.Time, 1)
			srv := s.ServeUDP(func(srv *suite.ScriptedUDPServer) error {
				_, from, err := srv.Receive(firstDatagramTimeout)
				if err != nil {
					return err
				}
				// The answer does not depend on what came (that is
				// echo-udp-client-1's business).
				stamp(sent)
				return srv.Send(answer, from)
			})
			run := s.Run(ctx, srv.Addr(), []byte("ping"))
			s.Expect(run).To(suite.Print(answer, "the server's datagram"))
			s.Expect(run).To(suite.ExitZero(2*time.Second, receivedOr(sent, run), "the answer"))
		})
	})

	DescribeClause("echo-udp-client-3", func() {
		CheckClient("ignores a datagram from another port, and prints the server's", func(ctx SpecContext, s *ClientSession) {
			srv := s.ServeUDP(func(srv *suite.ScriptedUDPServer) error {
				p, from, err := srv.Receive(firstDatagramTimeout)
				if err != nil {
					return err
				}
				if err := srv.SendFromStranger([]byte("not from the server"), from); err != nil {
					return err
				}
				// The stranger's datagram comes first; the answer after a pause.
				if err := srv.Pause(piecePause); err != nil {
					return err
				}
				return srv.Send(p, from)
			})
			run := s.Run(ctx, srv.Addr(), []byte("ping"))
			s.Expect(run).To(suite.Print([]byte("ping"), "the server's answer (a stranger's datagram came first, from another port)"))
		})
	})

	DescribeClause("echo-udp-client-4", func() {
		CheckClient("gives up within 5 s when the datagram is lost", func(ctx SpecContext, s *ClientSession) {
			sent := make(chan time.Time, 1)
			srv := s.ServeUDP(func(srv *suite.ScriptedUDPServer) error {
				for { // every datagram is lost
					if _, _, err := srv.Receive(firstDatagramTimeout); err != nil {
						return nil
					}
					stamp(sent)
				}
			})
			run := s.Run(ctx, srv.Addr(), []byte("ping"))
			s.Expect(run).To(suite.FailClearly(5*time.Second, connectedOr(sent, run), "it sent its datagram (no answer came)"))
			s.Expect(run).To(suite.Print(nil, "nothing: no answer came"))
		})
		CheckClient("gives up within 5 s when nothing listens", func(ctx SpecContext, s *ClientSession) {
			run := s.Run(ctx, s.ClosedUDPAddr(), []byte("ping"))
			s.expectFailedWhereNothingListens(run)
		})
	})
})
