package specs

import (
	"fmt"
	"math/rand/v2"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/socketspec/conformance/suite"
)

// The echo specs, one DescribeClause per clause of echo.md. echo-2 comes
// first: echo-1 presumes it (a banner would garble every echo).
var _ = Protocol("echo", func() {
	DescribeClause("echo-2", func() {
		Check("sends nothing on connect, then answers", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Consistently(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveNothing("before the client has sent anything"))
			// The connection must be alive: a silent dead server proves
			// nothing. Any line will do: whether it is the echo is
			// echo-1's business, which presumes this clause.
			s.Expect(c.WriteString("ping\n")).To(Succeed())
			var answer []byte
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveLine(4096, "any answer to \"ping\\n\" (its bytes are echo-1's business)", &answer))
		})
	})

	DescribeClause("echo-1", func() {
		Check("echoes all 256 byte values sent in one write", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			all := make([]byte, 256)
			for i := range all {
				all[i] = byte(i)
			}
			s.Expect(c.Write(all)).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive(all, "the echo of bytes 0x00..0xff"))
		})
		Check("echoes CR LF, NUL and invalid UTF-8 sent in small writes, unchanged", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			for _, piece := range []string{"hello\r\n", "\x00", "\r", "\xff\xfe", "caf\xc3\xa9 \xc3(", "\n"} {
				s.Expect(c.WriteString(piece)).To(Succeed())
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive(piece, "the echo of "+suite.Quote([]byte(piece))))
			}
		})
	})

	DescribeClause("echo-3", func() {
		Check("echoes 1 MiB written in one go while the client reads", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			data := pseudoRandom(1<<20, 3)
			written := make(chan error, 1)
			go func() { written <- c.Write(data) }()
			s.Eventually(c).WithContext(ctx).Within(10 * time.Second).Should(suite.Receive(data, "the echo of 1 MiB"))
			s.Expect(<-written).To(Succeed())
		})
	})

	DescribeClause("echo-4", func() {
		Check("returns everything pending after the client half-closes, then closes within 2 s", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			data := pseudoRandom(64<<10, 4)
			s.Expect(c.Write(data)).To(Succeed())
			s.Expect(c.CloseWrite()).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(5 * time.Second).Should(suite.Receive(data, "the echo of 64 KiB sent just before the half-close"))
			s.Eventually(c).WithContext(ctx).Within(2 * time.Second).Should(suite.ReceiveEOF("echoing everything after the client's half-close"))
		})
	})

	DescribeClause("echo-5", func() {
		Check("serves 20 concurrent connections, each getting exactly its own bytes", func(ctx SpecContext, s *Session) {
			conns := make([]*suite.Conn, 20)
			for i := range conns {
				conns[i] = s.Connect(fmt.Sprintf("conn%02d", i+1))
			}
			// Interleave: every connection writes its first half before
			// any reads, then its second half.
			for half := range 2 {
				for i, c := range conns {
					s.Expect(c.WriteString(fmt.Sprintf("conn%02d part %d|", i+1, half))).To(Succeed())
				}
				for i, c := range conns {
					want := fmt.Sprintf("conn%02d part %d|", i+1, half)
					s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive(want, "its own echo "+suite.Quote([]byte(want))))
				}
			}
		})
	})

	DescribeClause("echo-6", func() {
		Check("serves a new connection while an earlier one stays open and silent", func(ctx SpecContext, s *Session) {
			s.Connect("idle") // connected first, never sends
			c := s.Connect("active")
			s.Expect(c.WriteString("still serving?\n")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("still serving?\n", "the echo while another connection is idle"))
		})
	})

	DescribeClause("echo-7", func() {
		Check("keeps serving open and new connections after clients reset theirs", func(ctx SpecContext, s *Session) {
			before := s.Connect("before")
			a := s.Connect("reset-after-echo")
			s.Expect(a.WriteString("bye")).To(Succeed())
			s.Eventually(a).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("bye", "the echo of \"bye\""))
			s.Expect(a.Reset()).To(Succeed())
			b := s.Connect("reset-mid-echo")
			s.Expect(b.Write(pseudoRandom(256<<10, 7))).To(Succeed()) // never read: the server is still writing when the RST comes
			s.Expect(b.Reset()).To(Succeed())

			s.Expect(before.WriteString("still here")).To(Succeed())
			s.Eventually(before).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("still here", "the echo on a connection opened before the resets"))
			after := s.Connect("after")
			s.Expect(after.WriteString("new one")).To(Succeed())
			s.Eventually(after).WithContext(ctx).Within(replyTimeout).Should(suite.Receive("new one", "the echo on a connection opened after the resets"))
		})
	})

	DescribeClause("echo-8", func() {
		Check("echoes a single byte within 200 ms", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Expect(c.WriteString("a")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(200 * time.Millisecond).Should(suite.Receive("a", "the echo of one byte (no newline)"))
		})
	})

	DescribeClause("echo-9", func() {
		Check("serves 200 concurrent connections", func(ctx SpecContext, s *Session) {
			conns := make([]*suite.Conn, 200)
			for i := range conns {
				conns[i] = s.Connect(fmt.Sprintf("conn%03d", i+1))
			}
			for i, c := range conns {
				s.Expect(c.WriteString(fmt.Sprintf("<%03d>", i+1))).To(Succeed())
			}
			for i, c := range conns {
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.Receive(fmt.Sprintf("<%03d>", i+1), "its own echo"))
			}
		})
	})
})

// pseudoRandom returns n reproducible bytes that differ from seed to seed,
// so a lost or reordered chunk shows up as a difference at a precise offset.
func pseudoRandom(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}
