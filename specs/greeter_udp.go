package specs

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/socketspec/conformance/suite"
)

// The greeter-udp specs, one DescribeClause per clause of greeter-udp.md.
var _ = Protocol("greeter-udp", func() {
	DescribeClause("greeter-udp-1", func() {
		Check("answers a name with exactly one datagram Hello, NAME!", func(ctx SpecContext, s *Session) {
			c := s.ConnectUDP("client")
			s.Expect(c.Send([]byte("Ada"))).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveDatagram([]byte("Hello, Ada!"), `the answer to "Ada"`))
			s.Consistently(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveNoDatagram("after the one answer"))
		})
	})

	DescribeClause("greeter-udp-2", func() {
		Check("answers from the server's port to the sender's port, name after name", func(ctx SpecContext, s *Session) {
			c := s.ConnectUDP("client")
			for _, name := range []string{"Grace", "Linus", "Barbara"} {
				s.Expect(c.Send([]byte(name))).To(Succeed())
				if !s.answerFromServer(ctx, c, []byte("Hello, "+name+"!"), "the answer to "+suite.Quote([]byte(name))) {
					return // out of step: the answers so far came from the server
				}
			}
		})
	})

	DescribeClause("greeter-udp-3", func() {
		Check("passes UTF-8 and any other bytes through unchanged", func(ctx SpecContext, s *Session) {
			c := s.ConnectUDP("client")
			for _, name := range []string{"José 你好", "nul\x00and\xff\xfe", "line\r\n"} {
				s.Expect(c.Send([]byte(name))).To(Succeed())
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveDatagram([]byte("Hello, "+name+"!"), "the answer to "+suite.Quote([]byte(name))))
			}
		})
	})

	DescribeClause("greeter-udp-4", func() {
		Check("answers clients on different ports each with their own greetings", func(ctx SpecContext, s *Session) {
			udpClientsApart(ctx, s, func(client string, n int) ([]byte, []byte) {
				name := fmt.Sprintf("%s-%d", client, n)
				return []byte(name), []byte("Hello, " + name + "!")
			})
		})
	})

	DescribeClause("greeter-udp-5", func() {
		Check("answers an empty datagram with Hello, !", func(ctx SpecContext, s *Session) {
			c := s.ConnectUDP("client")
			s.Expect(c.Send(nil)).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveDatagram([]byte("Hello, !"), "the answer to an empty datagram"))
		})
	})
})

// udpClientsApart has three clients on their own ports send five datagrams
// each, all at once, and checks that each gets exactly its own answers.
func udpClientsApart(ctx SpecContext, s *Session, exchange func(client string, n int) (send, answer []byte)) {
	clients := []*suite.UDPConn{s.ConnectUDP("A"), s.ConnectUDP("B"), s.ConnectUDP("C")}
	s.InParallel(len(clients), func(g Gomega, i int) {
		c := clients[i]
		for n := range 5 {
			send, answer := exchange(c.Name(), n)
			g.Expect(c.Send(send)).To(Succeed())
			g.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveDatagram(answer, "the answer to its own datagram "+suite.Quote(send)))
		}
	})
}

// answerFromServer waits for the answer to a datagram the client has just
// sent and checks where it came from: the server's address and port, to
// the client's (a datagram sent elsewhere never arrives). Its payload is
// another clause's business, so a wrong payload does not fail this check:
// suite.ReceiveDatagram looks at a datagram's source before its payload,
// so "wrong bytes" means that the datagram came from the server. It
// reports whether the answer was the one expected: if not, the answers
// are out of step with the datagrams (a duplicate, a stray), and it has
// waited until no more come, so that none reaches the next check.
func (s *Session) answerFromServer(ctx SpecContext, c *suite.UDPConn, want []byte, what string) (inStep bool) {
	err := s.Try(func(g Gomega) {
		g.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveDatagram(want, what))
	})
	switch {
	case err == nil:
		return true
	case !suite.IsKind(err, suite.WrongBytes):
		s.fail(err.Error(), 1)
	}
	for range 64 {
		if s.Try(func(g Gomega) {
			g.Consistently(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveNoDatagram("after the answers"))
		}) == nil {
			break
		}
	}
	return false
}
