package specs

import (
	"bytes"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/socketspec/conformance/suite"
)

// The UDP greeter client specs, one DescribeClause per clause of
// greeter-udp-client.md. The check's server plays a UDP greeter.
var _ = Protocol("greeter-udp-client", func() {
	DescribeClause("greeter-udp-client-1", func() {
		CheckClient("sends each line of stdin as a datagram, without its line end", func(ctx SpecContext, s *ClientSession) {
			var got [][]byte
			srv := s.ServeUDP(func(srv *suite.ScriptedUDPServer) error {
				for { // every datagram of the run, each greeted
					p, from, err := srv.Receive(firstDatagramTimeout)
					if err != nil {
						return nil
					}
					got = append(got, p)
					srv.Send(udpGreeting(p), from)
				}
			})
			s.Run(ctx, srv.Addr(), []byte("Ada\n\xc3\xa9lodie\r\nLast"))
			srv.Close() // the script is done with got
			want := [][]byte{[]byte("Ada"), []byte("\xc3\xa9lodie"), []byte("Last")}
			if !slices.EqualFunc(got, want, bytes.Equal) {
				s.Failf(suite.WrongBytes, "the client was to send the names %s as %d datagrams, and sent %s", quoteDatagrams(want), len(want), quoteDatagrams(got))
			}
		})
	})

	DescribeClause("greeter-udp-client-2", func() {
		CheckClient("prints each answer and a newline, in order, and exits 0 within 2 s of the last", func(ctx SpecContext, s *ClientSession) {
			last := make(chan time.Time, 1)
			srv := s.ServeUDP(func(srv *suite.ScriptedUDPServer) error {
				// Answers that are not UTF-8, whatever the names were
				// (sending those is greeter-udp-client-1's business).
				for i, answer := range [][]byte{[]byte("Hello, \xff!"), []byte("Hello, \xc3\xa9!")} {
					within := firstDatagramTimeout
					if i > 0 {
						within = replyTimeout // the next name, once the answer has come
					}
					_, from, err := srv.Receive(within)
					if err != nil {
						return err
					}
					if i == 1 {
						stamp(last)
					}
					if err := srv.Send(answer, from); err != nil {
						return err
					}
				}
				return nil
			})
			run := s.Run(ctx, srv.Addr(), []byte("one\ntwo\n"))
			s.Expect(run).To(suite.Print([]byte("Hello, \xff!\nHello, \xc3\xa9!\n"), "the two answers, each followed by \\n"))
			s.Expect(run).To(suite.ExitZero(2*time.Second, receivedOr(last, run), "the last answer"))
		})
	})

	DescribeClause("greeter-udp-client-3", func() {
		CheckClient("ignores a datagram from another port, and prints the server's answer", func(ctx SpecContext, s *ClientSession) {
			srv := s.ServeUDP(func(srv *suite.ScriptedUDPServer) error {
				_, from, err := srv.Receive(firstDatagramTimeout)
				if err != nil {
					return err
				}
				if err := srv.SendFromStranger([]byte("Hello, stranger!"), from); err != nil {
					return err
				}
				if err := srv.Pause(piecePause); err != nil { // the stranger's datagram comes first
					return err
				}
				// The answer, whatever the name was (sending it is
				// greeter-udp-client-1's business).
				return srv.Send([]byte("Hello, Ada!"), from)
			})
			run := s.Run(ctx, srv.Addr(), []byte("Ada\n"))
			s.Expect(run).To(suite.Print([]byte("Hello, Ada!\n"), "the server's answer (a stranger's datagram came first, from another port)"))
		})
	})

	DescribeClause("greeter-udp-client-4", func() {
		CheckClient("gives up within 5 s when an answer is lost", func(ctx SpecContext, s *ClientSession) {
			sent := make(chan time.Time, 1)
			srv := s.ServeUDP(func(srv *suite.ScriptedUDPServer) error {
				p, from, err := srv.Receive(firstDatagramTimeout)
				if err != nil {
					return err
				}
				srv.Send(udpGreeting(p), from)
				for first := true; ; first = false { // every later datagram is lost
					if _, _, err := srv.Receive(clientRunTimeout); err != nil {
						return nil
					}
					if first {
						stamp(sent)
					}
				}
			})
			run := s.Run(ctx, srv.Addr(), []byte("Ada\nGrace\n"))
			s.Expect(run).To(suite.FailClearly(5*time.Second, receivedOr(sent, run), "it sent the name whose answer was lost"))
		})
	})
})

// udpGreeting is the UDP greeter's answer to a name.
func udpGreeting(name []byte) []byte {
	return append(append([]byte("Hello, "), name...), '!')
}

func quoteDatagrams(ps [][]byte) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, suite.Quote(p))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
