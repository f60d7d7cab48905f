package specs

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/socketspec/conformance/suite"
)

// The welcome specs, one DescribeClause per clause of welcome.md. The
// banner is "Hello, welcome to the server!", or the --profile's.
var _ = Protocol("welcome", func() {
	DescribeClause("welcome-1", func() {
		Check("sends the banner to a client that sends nothing", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive(s.Profile.banner(), "the banner (the client has sent nothing)"))
			expectBannerEnd(ctx, s, c)
		})
	})

	DescribeClause("welcome-2", func() {
		Check("closes the connection within 2 s of the banner", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive(s.Profile.banner(), "the banner"))
			var rest []byte
			s.Eventually(c).WithContext(ctx).Within(2 * time.Second).Should(suite.ReceiveUntilEOF(64, "the banner", &rest))
		})
	})

	DescribeClause("welcome-3", func() {
		Check("sends the banner even when the client writes first", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Expect(c.WriteString("hello server, here is some data\r\n")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive(s.Profile.banner(), "the banner after the client wrote first"))
			expectBannerEnd(ctx, s, c)
		})
	})

	DescribeClause("welcome-4", func() {
		Check("serves 10 concurrent clients while one never reads and one never closes", func(ctx SpecContext, s *Session) {
			s.Connect("never-reads") // connected first, never reads nor closes
			stubborn := s.Connect("never-closes")
			s.Eventually(stubborn).WithContext(ctx).Within(replyTimeout).Should(suite.Receive(s.Profile.banner(), "the banner"))
			clients := make([]*suite.Conn, 10)
			for i := range clients {
				clients[i] = s.Connect(fmt.Sprintf("client%02d", i+1))
			}
			s.InParallel(len(clients), func(g Gomega, i int) {
				g.Eventually(clients[i]).WithContext(ctx).Within(replyTimeout).Should(suite.Receive(s.Profile.banner(), "the banner"))
				expectBannerEnd(ctx, g, clients[i])
			})
		})
	})

	DescribeClause("welcome-5", func() {
		Check("ends with FIN, not RST, even when the client wrote first", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Expect(c.WriteString(strings.Repeat("unsolicited data\n", 64))).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive(s.Profile.banner(), "the banner"))
			var rest []byte
			s.Eventually(c).WithContext(ctx).Within(2 * time.Second).Should(suite.ReceiveUntilEOF(64, "the banner", &rest))
			// The RST of a server that closed without reading may come
			// just after its FIN.
			s.Consistently(c).WithContext(ctx).Within(100 * time.Millisecond).ShouldNot(suite.BeReset("just after closing with a FIN"))
		})
	})

	DescribeClause("welcome-6", func() {
		Check("serves 200 connections in a row", func(ctx SpecContext, s *Session) {
			// Each client takes its banner and hangs up: how the server
			// closes is welcome-2's business, not this clause's.
			for i := range 200 {
				c := s.Connect(fmt.Sprintf("client%03d", i+1))
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive(s.Profile.banner(), "the banner"))
				c.Close()
			}
		})
	})
})

// expectBannerEnd checks what follows the banner: nothing, "\n" or "\r\n",
// then the close. It waits for the close only as long as welcome-2 allows,
// and leaves how the connection ends (a FIN in time, not an RST) to
// welcome-2 and welcome-5.
func expectBannerEnd(ctx SpecContext, g Gomega, c *suite.Conn) {
	g.ConsistentlyWithOffset(1, c).WithContext(ctx).Within(2 * time.Second).Should(suite.ReceiveOnly("after the banner", "", "\n", "\r\n"))
}
