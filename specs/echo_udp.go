package specs

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/socketspec/conformance/suite"
)

// The echo-udp specs, one DescribeClause per clause of echo-udp.md.
var _ = Protocol("echo-udp", func() {
	DescribeClause("echo-udp-1", func() {
		Check("answers a datagram with exactly one identical datagram", func(ctx SpecContext, s *Session) {
			c := s.ConnectUDP("client")
			s.Expect(c.Send([]byte("hello"))).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveDatagram([]byte("hello"), `the echo of "hello"`))
			s.Consistently(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveNoDatagram("after the one echo"))
		})
	})

	DescribeClause("echo-udp-2", func() {
		Check("answers from the server's port to the sender's port, datagram after datagram", func(ctx SpecContext, s *Session) {
			c := s.ConnectUDP("client")
			for n := range 3 {
				p := []byte(fmt.Sprintf("datagram %d", n))
				s.Expect(c.Send(p)).To(Succeed())
				if !s.answerFromServer(ctx, c, p, "the echo of "+suite.Quote(p)) {
					return // out of step: the echoes so far came from the server
				}
			}
		})
	})

	DescribeClause("echo-udp-3", func() {
		for _, size := range []int{1, 256, 1024} {
			Check(fmt.Sprintf("echoes %d bytes of any values unchanged", size), func(ctx SpecContext, s *Session) {
				c := s.ConnectUDP("client")
				p := pseudoRandom(size, uint64(size))
				if size == 256 {
					for i := range p {
						p[i] = byte(i) // every byte value once
					}
				}
				s.Expect(c.Send(p)).To(Succeed())
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveDatagram(p, fmt.Sprintf("the echo of %d bytes", size)))
			})
		}
	})

	DescribeClause("echo-udp-4", func() {
		Check("echoes clients on different ports each their own datagrams", func(ctx SpecContext, s *Session) {
			udpClientsApart(ctx, s, func(client string, n int) ([]byte, []byte) {
				p := []byte(fmt.Sprintf("%s says %d", client, n))
				return p, p
			})
		})
	})

	DescribeClause("echo-udp-5", func() {
		for _, size := range []int{8192, 65507} {
			Check(fmt.Sprintf("echoes a %d-byte datagram", size), func(ctx SpecContext, s *Session) {
				c := s.ConnectUDP("client")
				p := pseudoRandom(size, 5)
				s.Expect(c.Send(p)).To(Succeed())
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveDatagram(p, fmt.Sprintf("the echo of %d bytes", size)))
			})
		}
	})

	DescribeClause("echo-udp-6", func() {
		Check("echoes an empty datagram", func(ctx SpecContext, s *Session) {
			c := s.ConnectUDP("client")
			s.Expect(c.Send(nil)).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveDatagram("", "the echo of an empty datagram"))
		})
	})
})
