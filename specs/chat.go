package specs

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/socketspec/conformance/suite"
)

// The chat specs, one DescribeClause per clause of chat.md. They run in
// the order of the document, except that a clause runs after the clauses
// it presumes (its "Presumes:" line).
var _ = Protocol("chat", func() {
	DescribeClause("chat-1", func() {
		Check("sends nothing to anyone when clients join, not even lines said before", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			// A and B join and talk; the server has taken A's line once B
			// has it, whatever its prefix (chat-2's business), and is done
			// with it once B has A's next line too (a join line, which the
			// checks ignore). A server that relays nothing still has to
			// send nothing on joining.
			err := s.Try(func(g Gomega) {
				a, b := r.joinWith(g, ctx, "A"), r.joinWith(g, ctx, "B")
				g.Expect(a.WriteString("old news\n")).To(Succeed())
				g.Eventually(b).WithContext(ctx).Within(replyTimeout).Should(carrying(a, "old news"))
				g.Eventually(a).WithContext(ctx).Within(joinTimeout).Should(r.heard("done"))
			})
			if err != nil && !suite.IsKind(err, suite.TimedOut) {
				s.fail(err.Error()) // B got something else first: sent on joining?
			}
			// Then C, D and E join at once, and nobody gets anything: no
			// announcement, no greeting, no history. Another copy of A's
			// line, to A or B, is chat-3's or chat-4's business.
			talked := map[*member]bool{}
			for _, m := range r.readers {
				talked[m] = true
			}
			everyone := append(slices.Clone(r.readers), r.listen("C"), r.listen("D"), r.listen("E"))
			copyOfOldNews := func(to *member, line []byte) bool {
				return talked[to] && bytes.HasSuffix(line, []byte("old news\n"))
			}
			s.InParallel(len(everyone), func(g Gomega, i int) {
				g.Consistently(everyone[i]).WithContext(ctx).Within(quietWindow).Should(nothingBut("when clients join (no announcement, no greeting, no history)", copyOfOldNews))
			})
		})
	})

	DescribeClause("chat-2", func() {
		Check("relays a line to every other client as [HOST:PORT]line", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			a, b, c := r.join(ctx, "A"), r.join(ctx, "B"), r.join(ctx, "C")
			// What the server sends on joining is chat-1's business.
			r.settle(ctx)
			s.Expect(a.WriteString("hello from A\n")).To(Succeed())
			s.Eventually(b).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, "hello from A"))
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, "hello from A"))
			// Another copy of A's line, to C or back to A, is for chat-3
			// and chat-4 to judge: the waits for B's line pass over it.
			fromA := relayed{a, "hello from A"}
			s.Expect(b.WriteString("and from B\n")).To(Succeed())
			s.Eventually(a).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(b, "and from B", fromA))
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(b, "and from B", fromA))
		})
	})

	DescribeClause("chat-3", func() {
		Check("does not send a line back to its sender", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			a, b := r.join(ctx, "A"), r.join(ctx, "B")
			s.Expect(a.WriteString("not for me\n")).To(Succeed())
			s.Eventually(b).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, "not for me"))
			s.Consistently(a).WithContext(ctx).Within(quietWindow).Should(noRelayedLine("after sending a line (the sender must not get it back)"))
		})
	})

	DescribeClause("chat-4", func() {
		Check("delivers every line exactly once, in each sender's order", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			a, b, c := r.join(ctx, "A"), r.join(ctx, "B"), r.join(ctx, "C")
			members := []*member{a, b, c}
			// A sends its 20 lines, then B: two senders at once are
			// chat-5's business. Each line is a write of its own, but
			// lines written back to back may reach the server in one
			// read, which chat-7 is about.
			progress := map[*member]map[*member]int{a: {}, b: {}, c: {}}
			want := map[*member]map[*member]int{a: {}, b: {}, c: {}}
			for _, from := range []*member{a, b} {
				for n := range 20 {
					s.Expect(from.WriteString(fmt.Sprintf("%s-%02d\n", from.Name(), n))).To(Succeed())
				}
				for _, to := range members {
					if to != from {
						want[to][from] = 20
						s.Eventually(to).WithContext(ctx).Within(replyTimeout).Should(r.relayedInSequence(progress[to], want[to]))
					}
				}
			}
			s.InParallel(len(members), func(g Gomega, i int) {
				g.Consistently(members[i]).WithContext(ctx).Within(quietWindow).Should(noRelayedLine("after all 40 lines arrived (a line delivered twice?)"))
			})
		})
	})

	DescribeClause("chat-5", func() {
		Check("relays long lines from four concurrent senders whole", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			senders := []*member{r.join(ctx, "A"), r.join(ctx, "B"), r.join(ctx, "C"), r.join(ctx, "D")}
			to := r.join(ctx, "reader")
			s.InParallel(len(senders), func(g Gomega, i int) {
				for n := range 25 {
					g.Expect(senders[i].WriteString(longLine(senders[i].Name(), n) + "\n")).To(Succeed())
				}
			})
			next := map[*member]int{}
			for range 4 * 25 {
				var line []byte
				s.Eventually(to).WithContext(ctx).Within(5 * time.Second).Should(relayedLine("the next of 100 long lines (25 from each of 4 senders)", &line))
				// After a prefix of the right form (chat-2's business)
				// comes one sender's whole line, or lines interleaved.
				from := r.senderOf(senders, line)
				if from == nil {
					s.Failf(suite.WrongBytes, "%s: received a line that is no sender's whole line: relayed lines interleaved? %s", to.Name(), suite.Quote(line[:min(len(line), 120)]))
				}
				s.Expect(r.checkRelayed(to, from, longLine(from.Name(), next[from]), line)).To(Succeed())
				next[from]++
			}
		})
	})

	DescribeClause("chat-6", func() {
		Check("relays a line written in three pieces once, whole", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			a, b := r.join(ctx, "A"), r.join(ctx, "B")
			for _, piece := range []string{"hel", "lo wor"} {
				s.Expect(a.WriteString(piece)).To(Succeed())
				s.Consistently(b).WithContext(ctx).Within(100 * time.Millisecond).Should(noRelayedLine("while A's line is incomplete (no \\n yet)"))
			}
			s.Expect(a.WriteString("ld\n")).To(Succeed())
			s.Eventually(b).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, "hello world"))
			// Pieces after the line would be relayed per piece still; a
			// second copy of the whole line is chat-4's business.
			s.Consistently(b).WithContext(ctx).Within(quietWindow).Should(r.nothingNew("after the one line was relayed", relayed{a, "hello world"}))
		})
	})

	DescribeClause("chat-7", func() {
		Check("relays three lines sent in one write as three lines", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			a, b := r.join(ctx, "A"), r.join(ctx, "B")
			s.Expect(a.WriteString("one\ntwo\nthree\n")).To(Succeed())
			// Another copy of a line is chat-4's business: the waits
			// pass over it.
			var before []relayed
			for _, want := range []string{"one", "two", "three"} {
				s.Eventually(b).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, want, before...))
				before = append(before, relayed{a, want})
			}
		})
	})

	DescribeClause("chat-8", func() {
		Check("relays empty lines as [HOST:PORT] and a newline", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			a, b := r.join(ctx, "A"), r.join(ctx, "B")
			s.Expect(a.WriteString("\n")).To(Succeed())
			s.Eventually(b).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, ""))
			s.Expect(a.WriteString("\r\n")).To(Succeed())
			s.Eventually(b).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, ""))
		})
	})

	DescribeClause("chat-9", func() {
		Check("relays UTF-8, tabs, lone CRs, NUL and invalid UTF-8 unchanged", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			a, b := r.join(ctx, "A"), r.join(ctx, "B")
			// Each line is written once the one before has arrived, and
			// another copy of a line is chat-4's business: the waits pass
			// over it.
			var before []relayed
			for _, payload := range []string{"naïve café ☕ 你好", "tab\there", "  spaced out\t ", "lone\rcr", "nul\x00byte", "bad utf-8 \xff\xfe\xc3("} {
				s.Expect(a.WriteString(payload + "\r\n")).To(Succeed())
				s.Eventually(b).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, payload, before...))
				before = append(before, relayed{a, payload})
			}
		})
	})

	DescribeClause("chat-10", func() {
		Check("keeps relaying after one client closes and another resets", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			a, b := r.join(ctx, "A"), r.join(ctx, "B")
			leaver, crasher := r.join(ctx, "leaves"), r.join(ctx, "crashes")
			s.Expect(leaver.Close()).To(Succeed())
			s.Expect(crasher.WriteString("half a li")).To(Succeed()) // unfinished business
			s.Expect(crasher.Reset()).To(Succeed())
			for n := range 3 {
				s.Expect(a.WriteString(fmt.Sprintf("after the departures %d\n", n))).To(Succeed())
				s.Eventually(b).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, fmt.Sprintf("after the departures %d", n)))
				s.Expect(b.WriteString(fmt.Sprintf("reply %d\n", n))).To(Succeed())
				s.Eventually(a).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(b, fmt.Sprintf("reply %d", n)))
			}
		})
	})

	DescribeClause("chat-11", func() {
		Check("gives a late joiner only the lines sent after it joined", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			a, b := r.join(ctx, "A"), r.join(ctx, "B")
			s.Expect(a.WriteString("before you came\n")).To(Succeed())
			s.Eventually(b).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, "before you came"))
			late := r.join(ctx, "late")
			s.Expect(a.WriteString("after you came\n")).To(Succeed())
			s.Eventually(late).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, "after you came"))
		})
	})

	DescribeClause("chat-12", func() {
		Check("relays a 4096-byte line whole", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			a, b := r.join(ctx, "A"), r.join(ctx, "B")
			line := strings.Repeat("0123456789abcdef", 256)
			s.Expect(a.WriteString(line + "\n")).To(Succeed())
			s.Eventually(b).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(a, line))
		})
		Check("keeps serving the others after a 64 KiB line", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			b, c := r.join(ctx, "B"), r.join(ctx, "C")
			// A is read only once its long line is written: the server
			// may reset A during the write, and the diagnosis of a reset
			// (made by the reader) reads how much A wrote, which a
			// *suite.Conn does not allow while it writes.
			a := r.joinUnread(ctx, "A")
			long := strings.Repeat("x", 64<<10)
			s.Expect(ignoreClosed(a.WriteString(long + "\n"))).To(Succeed())
			r.startReading(a)
			// Let the server deal with the long line first: C gets it
			// relayed, or A is disconnected, or a quiet window passes.
			// Only then is the room tested, so a server that crashes on
			// the long line cannot answer first.
			s.Consistently(c).WithContext(ctx).Within(quietWindow).Should(wholeOrNotAtAll(a, long))
			s.Expect(b.WriteString("still alive?\n")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(r.relayedFrom(b, "still alive?"))
		})
	})

	DescribeClause("chat-13", func() {
		Check("delivers 50 clients × 20 lines to everyone within 15 s", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			members := make([]*member, 50)
			for i := range members {
				members[i] = r.join(ctx, fmt.Sprintf("c%02d", i+1))
			}
			start := time.Now()
			// Goroutine i < 50 is members[i] sending its lines, goroutine
			// 50+i is members[i] receiving everyone else's.
			s.InParallel(2*len(members), func(g Gomega, i int) {
				if i < len(members) {
					m := members[i]
					for n := range 20 {
						g.Expect(m.WriteString(fmt.Sprintf("%s-%02d\n", m.Name(), n))).To(Succeed())
					}
					return
				}
				m := members[i-len(members)]
				want := map[*member]int{}
				for _, other := range members {
					if other != m {
						want[other] = 20
					}
				}
				g.Eventually(m).WithContext(ctx).Within(15*time.Second - time.Since(start)).Should(r.relayedInSequence(map[*member]int{}, want))
			})
		})
	})

	DescribeClause("chat-14", func() {
		Check("keeps delivering to a reading client while another never reads", func(ctx SpecContext, s *Session) {
			r := chatRoom(s)
			defer r.close(ctx)
			a, b := r.join(ctx, "A"), r.join(ctx, "B")
			stuck := r.joinUnread(ctx, "never-reads")
			s.Expect(stuck.SetReadBuffer(4096)).To(Succeed())
			// 8 MiB: far more than the socket buffers between the server
			// and a client that never reads. All of it must reach B
			// within one overall bound.
			const lines, within = 2000, 10 * time.Second
			zs := strings.Repeat("z", 4000)
			payload := func(n int) string { return fmt.Sprintf("%04d %s", n, zs) }
			go func() {
				for n := range lines {
					if a.WriteString(payload(n)+"\n") != nil {
						return // the failure shows on B's side
					}
				}
			}()
			s.Eventually(b).WithContext(ctx).Within(within).Should(r.relayedInOrder(a, lines, payload, fmt.Sprintf("within %v while %s did not read", within, stuck.Name())))
		})
	})
})

// chatRoom starts a room for the spec. The check defers r.close(ctx): the
// room must close, waiting for the server to see its members leave, before
// the check's session closes every connection it opened. Should a check
// not do so, the room still closes when the spec ends.
func chatRoom(s *Session) *room {
	r := newRoom(s)
	DeferCleanup(func(ctx SpecContext) { r.close(ctx) })
	return r
}

// longLine is line n of a sender in chat-5: about 1 KB, different per
// sender and per line, so a torn or interleaved line cannot pass. It is
// longer than most writes of a server that writes a line in pieces, and
// shorter than 1024 bytes, so that what chat-12 says of long lines does
// not come into it.
func longLine(sender string, n int) string {
	return fmt.Sprintf("%s-%02d:%s", sender, n, strings.Repeat(sender+fmt.Sprint(n%10), 480))
}

// senderOf finds which sender's long line a relayed line carries.
func (r *room) senderOf(senders []*member, line []byte) *member {
	payload := string(r.withoutPrefix(line))
	for _, m := range senders {
		if strings.HasPrefix(payload, m.Name()+"-") {
			return m
		}
	}
	return nil
}

// ignoreClosed treats the server closing or resetting the connection as
// no error: for writes the server is allowed to refuse.
func ignoreClosed(err error) error {
	if suite.IsKind(err, suite.ConnReset) || suite.IsKind(err, suite.ClosedEarly) {
		return nil
	}
	return err
}
