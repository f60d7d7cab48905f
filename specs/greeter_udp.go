package specs

import (
	"fmt"
	"sync"

	"github.com/socketspec/conformance/suite"
)

// The greeter-udp specs, one DescribeClause per clause of greeter-udp.md.
var _ = Protocol("greeter-udp", func() {
	DescribeClause("greeter-udp-1", func() {
		Check("answers a name with exactly one datagram Hello, NAME!", func(s *Session) {
			c := s.datagrams("client")
			must(c.Send([]byte("Ada")))
			must(c.Expect([]byte("Hello, Ada!"), `the answer to "Ada"`, replyTimeout))
			must(c.ExpectQuiet(quietWindow, "after the one answer"))
		})
	})

	DescribeClause("greeter-udp-2", func() {
		Check("answers from the server's port to the sender's port, name after name", func(s *Session) {
			c := s.datagrams("client")
			for _, name := range []string{"Grace", "Linus", "Barbara"} {
				must(c.Send([]byte(name)))
				must(c.Expect([]byte("Hello, "+name+"!"), "the answer to "+suite.Quote([]byte(name)), replyTimeout))
			}
		})
	})

	DescribeClause("greeter-udp-3", func() {
		Check("passes UTF-8 and any other bytes through unchanged", func(s *Session) {
			c := s.datagrams("client")
			for _, name := range []string{"José 你好", "nul\x00and\xff\xfe", "line\r\n"} {
				must(c.Send([]byte(name)))
				must(c.Expect([]byte("Hello, "+name+"!"), "the answer to "+suite.Quote([]byte(name)), replyTimeout))
			}
		})
	})

	DescribeClause("greeter-udp-4", func() {
		Check("answers clients on different ports each with their own greetings", func(s *Session) {
			udpClientsApart(s, func(client string, n int) ([]byte, []byte) {
				name := fmt.Sprintf("%s-%d", client, n)
				return []byte(name), []byte("Hello, " + name + "!")
			})
		})
	})

	DescribeClause("greeter-udp-5", func() {
		Check("answers an empty datagram with Hello, !", func(s *Session) {
			c := s.datagrams("client")
			must(c.Send(nil))
			must(c.Expect([]byte("Hello, !"), "the answer to an empty datagram", replyTimeout))
		})
	})
})

// datagrams opens a UDP client.
func (s *Session) datagrams(name string) *suite.Datagrams {
	d, err := s.DialUDP(name)
	must(err)
	return d
}

// udpClientsApart has three clients on their own ports send five datagrams
// each, all at once, and checks that each gets exactly its own answers.
func udpClientsApart(s *Session, exchange func(client string, n int) (send, answer []byte)) {
	clients := []*suite.Datagrams{s.datagrams("A"), s.datagrams("B"), s.datagrams("C")}
	errs := make([]error, len(clients))
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for n := range 5 {
				send, answer := exchange(c.Name(), n)
				if errs[i] = c.Send(send); errs[i] == nil {
					errs[i] = c.Expect(answer, "the answer to its own datagram "+suite.Quote(send), replyTimeout)
				}
				if errs[i] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	must(firstError(errs))
}
