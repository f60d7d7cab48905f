package specs

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/socketspec/conformance/suite"
)

// The echo specs, one DescribeClause per clause of echo.md.
var _ = Protocol("echo", func() {
	DescribeClause("echo-1", func() {
		Check("echoes all 256 byte values sent in one write", func(s *Session) {
			c := s.Connect("client")
			all := make([]byte, 256)
			for i := range all {
				all[i] = byte(i)
			}
			must(c.Write(all))
			must(c.Expect(all, "the echo of bytes 0x00..0xff", replyTimeout))
		})
		Check("echoes CR LF, NUL and invalid UTF-8 sent in small writes, unchanged", func(s *Session) {
			c := s.Connect("client")
			for _, piece := range []string{"hello\r\n", "\x00", "\r", "\xff\xfe", "caf\xc3\xa9 \xc3(", "\n"} {
				must(c.WriteString(piece))
				must(c.ExpectString(piece, "the echo of "+suite.Quote([]byte(piece)), replyTimeout))
			}
		})
	})

	DescribeClause("echo-2", func() {
		Check("sends nothing on connect, then echoes", func(s *Session) {
			c := s.Connect("client")
			must(c.ExpectQuiet(quietWindow, "before the client has sent anything"))
			// The connection must be alive: a silent dead server proves nothing.
			must(c.WriteString("ping"))
			must(c.ExpectString("ping", "the echo of \"ping\"", replyTimeout))
		})
	})

	DescribeClause("echo-3", func() {
		Check("echoes 1 MiB written in one go while the client reads", func(s *Session) {
			c := s.Connect("client")
			data := pseudoRandom(1<<20, 3)
			written := make(chan error, 1)
			go func() { written <- c.Write(data) }()
			must(c.Expect(data, "the echo of 1 MiB", 10*time.Second))
			must(<-written)
		})
	})

	DescribeClause("echo-4", func() {
		Check("returns everything pending after the client half-closes, then closes within 2 s", func(s *Session) {
			c := s.Connect("client")
			data := pseudoRandom(64<<10, 4)
			must(c.Write(data))
			must(c.CloseWrite())
			must(c.Expect(data, "the echo of 64 KiB sent just before the half-close", 5*time.Second))
			must(c.ExpectEOF("echoing everything after the client's half-close", 2*time.Second))
		})
	})

	DescribeClause("echo-5", func() {
		Check("serves 20 concurrent connections, each getting exactly its own bytes", func(s *Session) {
			conns := make([]*suite.Conn, 20)
			for i := range conns {
				conns[i] = s.Connect(fmt.Sprintf("conn%02d", i+1))
			}
			// Interleave: every connection writes its first half before
			// any reads, then its second half.
			for half := range 2 {
				for i, c := range conns {
					must(c.WriteString(fmt.Sprintf("conn%02d part %d|", i+1, half)))
				}
				for i, c := range conns {
					want := fmt.Sprintf("conn%02d part %d|", i+1, half)
					must(c.ExpectString(want, "its own echo "+suite.Quote([]byte(want)), replyTimeout))
				}
			}
		})
	})

	DescribeClause("echo-6", func() {
		Check("serves a new connection while an earlier one stays open and silent", func(s *Session) {
			s.Connect("idle") // connected first, never sends
			c := s.Connect("active")
			must(c.WriteString("still serving?\n"))
			must(c.ExpectString("still serving?\n", "the echo while another connection is idle", replyTimeout))
		})
	})

	DescribeClause("echo-7", func() {
		Check("keeps serving open and new connections after clients reset theirs", func(s *Session) {
			before := s.Connect("before")
			a := s.Connect("reset-after-echo")
			must(a.WriteString("bye"))
			must(a.ExpectString("bye", "the echo of \"bye\"", replyTimeout))
			must(a.Reset())
			b := s.Connect("reset-mid-echo")
			must(b.Write(pseudoRandom(256<<10, 7))) // never read: the server is still writing when the RST comes
			must(b.Reset())

			must(before.WriteString("still here"))
			must(before.ExpectString("still here", "the echo on a connection opened before the resets", replyTimeout))
			after := s.Connect("after")
			must(after.WriteString("new one"))
			must(after.ExpectString("new one", "the echo on a connection opened after the resets", replyTimeout))
		})
	})

	DescribeClause("echo-8", func() {
		Check("echoes a single byte within 200 ms", func(s *Session) {
			c := s.Connect("client")
			must(c.WriteString("a"))
			must(c.ExpectString("a", "the echo of one byte (no newline)", 200*time.Millisecond))
		})
	})

	DescribeClause("echo-9", func() {
		Check("serves 200 concurrent connections", func(s *Session) {
			conns := make([]*suite.Conn, 200)
			for i := range conns {
				conns[i] = s.Connect(fmt.Sprintf("conn%03d", i+1))
			}
			for i, c := range conns {
				must(c.WriteString(fmt.Sprintf("<%03d>", i+1)))
			}
			for i, c := range conns {
				must(c.ExpectString(fmt.Sprintf("<%03d>", i+1), "its own echo", replyTimeout))
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
