package specs

import (
	"fmt"

	"github.com/socketspec/conformance/suite"
)

// The echo-udp specs, one DescribeClause per clause of echo-udp.md.
var _ = Protocol("echo-udp", func() {
	DescribeClause("echo-udp-1", func() {
		Check("answers a datagram with exactly one identical datagram", func(s *Session) {
			c := s.datagrams("client")
			must(c.Send([]byte("hello")))
			must(c.Expect([]byte("hello"), `the echo of "hello"`, replyTimeout))
			must(c.ExpectQuiet(quietWindow, "after the one echo"))
		})
	})

	DescribeClause("echo-udp-2", func() {
		Check("answers from the server's port to the sender's port, datagram after datagram", func(s *Session) {
			c := s.datagrams("client")
			for n := range 3 {
				p := []byte(fmt.Sprintf("datagram %d", n))
				must(c.Send(p))
				must(c.Expect(p, "the echo of "+suite.Quote(p), replyTimeout))
			}
		})
	})

	DescribeClause("echo-udp-3", func() {
		for _, size := range []int{1, 256, 1024} {
			Check(fmt.Sprintf("echoes %d bytes of any values unchanged", size), func(s *Session) {
				c := s.datagrams("client")
				p := pseudoRandom(size, uint64(size))
				if size == 256 {
					for i := range p {
						p[i] = byte(i) // every byte value once
					}
				}
				must(c.Send(p))
				must(c.Expect(p, fmt.Sprintf("the echo of %d bytes", size), replyTimeout))
			})
		}
	})

	DescribeClause("echo-udp-4", func() {
		Check("echoes clients on different ports each their own datagrams", func(s *Session) {
			udpClientsApart(s, func(client string, n int) ([]byte, []byte) {
				p := []byte(fmt.Sprintf("%s says %d", client, n))
				return p, p
			})
		})
	})

	DescribeClause("echo-udp-5", func() {
		for _, size := range []int{8192, 65507} {
			Check(fmt.Sprintf("echoes a %d-byte datagram", size), func(s *Session) {
				c := s.datagrams("client")
				p := pseudoRandom(size, 5)
				must(c.Send(p))
				must(c.Expect(p, fmt.Sprintf("the echo of %d bytes", size), replyTimeout))
			})
		}
	})

	DescribeClause("echo-udp-6", func() {
		Check("echoes an empty datagram", func(s *Session) {
			c := s.datagrams("client")
			must(c.Send(nil))
			must(c.Expect(nil, "the echo of an empty datagram", replyTimeout))
		})
	})
})
