package specs

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/socketspec/conformance/suite"
)

// The greeter specs, one DescribeClause per clause of greeter.md.
var _ = Protocol("greeter", func() {
	DescribeClause("greeter-1", func() {
		Check("sends Welcome! to a client that sends nothing", func(ctx SpecContext, s *Session) {
			s.welcomed(ctx, "client")
		})
	})

	DescribeClause("greeter-2", func() {
		Check("answers each name with Hello, NAME!", func(ctx SpecContext, s *Session) {
			// Lines end in a bare "\n" here: removing the "\r" of a
			// "\r\n" is greeter-5's business, and most clauses presume
			// this one.
			c := s.welcomed(ctx, "client")
			for _, name := range []string{"Ada", "Grace Hopper"} {
				s.Expect(c.WriteString(name + "\n")).To(Succeed())
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("Hello, "+name+"!\n", "the greeting for "+name))
			}
		})
	})

	DescribeClause("greeter-3", func() {
		Check("answers three names sent in one write, in order", func(ctx SpecContext, s *Session) {
			c := s.welcomed(ctx, "client")
			s.Expect(c.WriteString("Grace\nLinus\nBarbara\n")).To(Succeed()) // "\r\n" is greeter-5's
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("Hello, Grace!\nHello, Linus!\nHello, Barbara!\n", "three greetings in order"))
		})
	})

	DescribeClause("greeter-4", func() {
		Check("answers a name written in three pieces once, after its end", func(ctx SpecContext, s *Session) {
			c := s.welcomed(ctx, "client")
			for _, piece := range []string{"Al", "an Tu"} {
				s.Expect(c.WriteString(piece)).To(Succeed())
				s.Consistently(c).WithContext(ctx).Within(100 * time.Millisecond).Should(suite.ReceiveNothing("while the name is incomplete (no \\n yet)"))
			}
			s.Expect(c.WriteString("ring\n")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("Hello, Alan Turing!\n", "the one greeting for the whole name"))
			s.Consistently(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveNothing("after the one greeting"))
		})
	})

	DescribeClause("greeter-5", func() {
		Check("passes UTF-8 and other bytes through, and greets an empty name", func(ctx SpecContext, s *Session) {
			c := s.welcomed(ctx, "client")
			for _, name := range []string{"José 你好", "tab\there", "\xff\xfe\x00", ""} {
				s.Expect(c.WriteString(name + "\n")).To(Succeed())
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("Hello, "+name+"!\n", "the greeting for "+suite.Quote([]byte(name))))
			}
		})
		Check("removes the \\r before the \\n of a line, and only that one", func(ctx SpecContext, s *Session) {
			c := s.welcomed(ctx, "client")
			for _, line := range []string{"Ada\r\n", "Grace Hopper\r\n", "car\rriage\r\n"} {
				name := line[:len(line)-2]
				s.Expect(c.WriteString(line)).To(Succeed())
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("Hello, "+name+"!\n", "the greeting for the line "+suite.Quote([]byte(line))))
			}
		})
	})

	DescribeClause("greeter-6", func() {
		for _, exit := range []string{"exit\n", "exit\r\n"} {
			Check("closes without a reply on "+suite.Quote([]byte(exit)), func(ctx SpecContext, s *Session) {
				c := s.welcomed(ctx, "client")
				s.Expect(c.WriteString(exit)).To(Succeed())
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveEOF("the client sent exit (no reply is due)"))
			})
		}
	})

	DescribeClause("greeter-7", func() {
		Check("closes within 2 s when the client closes its side", func(ctx SpecContext, s *Session) {
			c := s.welcomed(ctx, "client")
			s.Expect(c.CloseWrite()).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(2 * time.Second).Should(suite.ReceiveEOF("the client's EOF"))
		})
	})

	DescribeClause("greeter-8", func() {
		Check("answers a client while another stays silent", func(ctx SpecContext, s *Session) {
			s.Connect("silent") // connected first, never reads or writes
			c := s.welcomed(ctx, "active")
			s.Expect(c.WriteString("Ada\n")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("Hello, Ada!\n", "the greeting while another client is silent"))
		})
		Check("answers 10 concurrent clients, each its own names", func(ctx SpecContext, s *Session) {
			clients := make([]*suite.Conn, 10)
			for i := range clients {
				clients[i] = s.welcomed(ctx, fmt.Sprintf("c%d", i))
			}
			s.InParallel(len(clients), func(g Gomega, i int) {
				c := clients[i]
				for n := range 5 {
					name := fmt.Sprintf("%s-%d", c.Name(), n)
					g.Expect(c.WriteString(name + "\n")).To(Succeed())
					g.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("Hello, "+name+"!\n", "its own greeting"))
				}
			})
		})
	})

	DescribeClause("greeter-10", func() {
		Check("answers each of three names within 200 ms", func(ctx SpecContext, s *Session) {
			c := s.welcomed(ctx, "client")
			for _, name := range []string{"Ada", "Grace", "Linus"} {
				s.Expect(c.WriteString(name + "\n")).To(Succeed())
				s.Eventually(c).WithContext(ctx).Within(200 * time.Millisecond).Should(suite.Receive("Hello, "+name+"!\n", "the greeting for "+name+" (within 200 ms)"))
			}
		})
	})

	DescribeClause("greeter-9", func() {
		Check("answers a 4096-byte name", func(ctx SpecContext, s *Session) {
			c := s.welcomed(ctx, "client")
			name := strings.Repeat("Ada-", 1024)
			s.Expect(c.WriteString(name + "\n")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("Hello, "+name+"!\n", "the greeting for a 4096-byte name"))
		})
	})
})

// welcomed connects and reads the welcome line.
func (s *Session) welcomed(ctx SpecContext, name string) *suite.Conn {
	c := s.Connect(name)
	s.EventuallyWithOffset(1, c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("Welcome!\n", "the welcome line (the client has sent nothing)"))
	return c
}
