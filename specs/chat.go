package specs

import (
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/socketspec/conformance/suite"
)

// The chat specs, one DescribeClause per clause of chat.md.
var _ = Protocol("chat", func() {
	DescribeClause("chat-1", func() {
		Check("sends nothing to anyone when clients join", func(s *Session) {
			r := chatRoom(s)
			members := []*member{r.listen("A"), r.listen("B"), r.listen("C")}
			errs := make([]error, len(members))
			var wg sync.WaitGroup
			for i, m := range members {
				wg.Go(func() { errs[i] = m.quiet(quietWindow, "after clients joined") })
			}
			wg.Wait()
			must(firstError(errs))
		})
		Check("sends no history to a client that joins after others talked", func(s *Session) {
			r := chatRoom(s)
			a, b := r.join("A"), r.join("B")
			must(a.WriteString("old news\n"))
			must(r.expectFrom(b, a, "old news"))
			must(r.listen("late").quiet(quietWindow, "on joining after others talked"))
		})
	})

	DescribeClause("chat-2", func() {
		Check("relays a line to every other client as [HOST:PORT]line", func(s *Session) {
			r := chatRoom(s)
			a, b, c := r.join("A"), r.join("B"), r.join("C")
			must(a.WriteString("hello from A\n"))
			must(r.expectFrom(b, a, "hello from A"))
			must(r.expectFrom(c, a, "hello from A"))
			must(b.WriteString("and from B\n"))
			must(r.expectFrom(a, b, "and from B"))
			must(r.expectFrom(c, b, "and from B"))
		})
	})

	DescribeClause("chat-3", func() {
		Check("does not send a line back to its sender", func(s *Session) {
			r := chatRoom(s)
			a, b := r.join("A"), r.join("B")
			must(a.WriteString("not for me\n"))
			must(r.expectFrom(b, a, "not for me"))
			must(a.quiet(quietWindow, "after sending a line (the sender must not get it back)"))
		})
	})

	DescribeClause("chat-4", func() {
		Check("delivers every line exactly once, in each sender's order", func(s *Session) {
			r := chatRoom(s)
			a, b, c := r.join("A"), r.join("B"), r.join("C")
			var wg sync.WaitGroup
			sendErrs := make([]error, 2)
			for i, sender := range []*member{a, b} {
				wg.Go(func() {
					for n := range 20 {
						if sendErrs[i] = sender.WriteString(fmt.Sprintf("%s-%02d\n", sender.Name(), n)); sendErrs[i] != nil {
							return
						}
					}
				})
			}
			wg.Wait()
			must(firstError(sendErrs))
			must(r.expectSequences(c, map[*member]int{a: 20, b: 20}))
			must(r.expectSequences(b, map[*member]int{a: 20}))
			must(r.expectSequences(a, map[*member]int{b: 20}))
			must(c.quiet(quietWindow, "after all 40 lines arrived (a duplicate?)"))
		})
	})

	DescribeClause("chat-5", func() {
		Check("relays long lines from four concurrent senders whole", func(s *Session) {
			r := chatRoom(s)
			senders := []*member{r.join("A"), r.join("B"), r.join("C"), r.join("D")}
			to := r.join("reader")
			var wg sync.WaitGroup
			errs := make([]error, len(senders))
			for i, m := range senders {
				wg.Go(func() {
					for n := range 25 {
						if errs[i] = m.WriteString(longLine(m.Name(), n) + "\n"); errs[i] != nil {
							return
						}
					}
				})
			}
			wg.Wait()
			must(firstError(errs))
			next := map[*member]int{}
			for range 4 * 25 {
				line, err := to.next("the next of 100 long lines (25 from each of 4 senders)", 5*time.Second)
				must(err)
				from := senderOf(senders, line)
				if from == nil {
					failf(suite.WrongBytes, "reader: received a line that is no sender's whole line: relayed lines interleaved? %s", suite.Quote(line[:min(len(line), 120)]))
				}
				must(r.checkRelayed(to, from, longLine(from.Name(), next[from]), line))
				next[from]++
			}
		})
	})

	DescribeClause("chat-6", func() {
		Check("relays a line written in three pieces once, whole", func(s *Session) {
			r := chatRoom(s)
			a, b := r.join("A"), r.join("B")
			for _, piece := range []string{"hel", "lo wor"} {
				must(a.WriteString(piece))
				must(b.quiet(100*time.Millisecond, "while A's line is incomplete (no \\n yet)"))
			}
			must(a.WriteString("ld\n"))
			must(r.expectFrom(b, a, "hello world"))
			must(b.quiet(quietWindow, "after the one line was relayed"))
		})
	})

	DescribeClause("chat-7", func() {
		Check("relays three lines sent in one write as three lines", func(s *Session) {
			r := chatRoom(s)
			a, b := r.join("A"), r.join("B")
			must(a.WriteString("one\ntwo\r\nthree\n"))
			for _, want := range []string{"one", "two", "three"} {
				must(r.expectFrom(b, a, want))
			}
		})
	})

	DescribeClause("chat-8", func() {
		Check("relays empty lines as [HOST:PORT] and a newline", func(s *Session) {
			r := chatRoom(s)
			a, b := r.join("A"), r.join("B")
			must(a.WriteString("\n"))
			must(r.expectFrom(b, a, ""))
			must(a.WriteString("\r\n"))
			must(r.expectFrom(b, a, ""))
		})
	})

	DescribeClause("chat-9", func() {
		Check("relays UTF-8, tabs, lone CRs, NUL and invalid UTF-8 unchanged", func(s *Session) {
			r := chatRoom(s)
			a, b := r.join("A"), r.join("B")
			for _, payload := range []string{"naïve café ☕ 你好", "tab\there", "  spaced out\t ", "lone\rcr", "nul\x00byte", "bad utf-8 \xff\xfe\xc3("} {
				must(a.WriteString(payload + "\r\n"))
				must(r.expectFrom(b, a, payload))
			}
		})
	})

	DescribeClause("chat-10", func() {
		Check("keeps relaying after one client closes and another resets", func(s *Session) {
			r := chatRoom(s)
			a, b := r.join("A"), r.join("B")
			leaver, crasher := r.join("leaves"), r.join("crashes")
			must(leaver.Close())
			must(crasher.WriteString("half a li")) // unfinished business
			must(crasher.Reset())
			for n := range 3 {
				must(a.WriteString(fmt.Sprintf("after the departures %d\n", n)))
				must(r.expectFrom(b, a, fmt.Sprintf("after the departures %d", n)))
				must(b.WriteString(fmt.Sprintf("reply %d\n", n)))
				must(r.expectFrom(a, b, fmt.Sprintf("reply %d", n)))
			}
		})
	})

	DescribeClause("chat-11", func() {
		Check("gives a late joiner only the lines sent after it joined", func(s *Session) {
			r := chatRoom(s)
			a, b := r.join("A"), r.join("B")
			must(a.WriteString("before you came\n"))
			must(r.expectFrom(b, a, "before you came"))
			late := r.join("late")
			must(a.WriteString("after you came\n"))
			must(r.expectFrom(late, a, "after you came"))
		})
	})

	DescribeClause("chat-12", func() {
		Check("relays a 4096-byte line whole", func(s *Session) {
			r := chatRoom(s)
			a, b := r.join("A"), r.join("B")
			line := strings.Repeat("0123456789abcdef", 256)
			must(a.WriteString(line + "\n"))
			must(r.expectFrom(b, a, line))
		})
		Check("keeps serving the others after a 64 KiB line", func(s *Session) {
			r := chatRoom(s)
			a, b, c := r.join("A"), r.join("B"), r.join("C")
			long := strings.Repeat("x", 64<<10)
			must(ignoreClosed(a.WriteString(long + "\n")))
			// Let the server deal with the long line first: C gets it
			// relayed, or A is disconnected, or a quiet window passes.
			// Only then is the room tested, so a server that crashes on
			// the long line cannot answer first.
			select {
			case line, ok := <-c.lines:
				if ok && !strings.Contains(string(line), long) {
					failf(suite.WrongBytes, "C: expected A's 64 KiB line relayed whole or not at all, got %d bytes: %s", len(line), suite.Quote(line[:min(len(line), 64)]))
				}
			case <-a.done:
			case <-time.After(quietWindow):
			}
			must(b.WriteString("still alive?\n"))
			must(r.expectFrom(c, b, "still alive?"))
		})
	})

	DescribeClause("chat-13", func() {
		Check("delivers 50 clients × 20 lines to everyone within 30 s", func(s *Session) {
			r := chatRoom(s)
			members := make([]*member, 50)
			for i := range members {
				members[i] = r.join(fmt.Sprintf("c%02d", i+1))
			}
			start := time.Now()
			errs := make([]error, 2*len(members))
			var wg sync.WaitGroup
			for i, m := range members {
				wg.Go(func() {
					for n := range 20 {
						if errs[i] = m.WriteString(fmt.Sprintf("%s-%02d\n", m.Name(), n)); errs[i] != nil {
							return
						}
					}
				})
				wg.Go(func() {
					want := map[*member]int{}
					for _, other := range members {
						if other != m {
							want[other] = 20
						}
					}
					errs[len(members)+i] = r.expectSequencesWithin(m, want, 30*time.Second-time.Since(start))
				})
			}
			wg.Wait()
			must(firstError(errs))
		})
	})

	DescribeClause("chat-14", func() {
		Check("keeps delivering to a reading client while another never reads", func(s *Session) {
			r := chatRoom(s)
			a, b := r.join("A"), r.join("B")
			stuck := r.joinNeverReading("never-reads")
			must(stuck.SetReadBuffer(4096))
			// 8 MiB: far more than the socket buffers between the server
			// and a client that never reads. All of it must reach B
			// within one overall deadline.
			payload := strings.Repeat("z", 4000)
			go func() {
				for n := range 2000 {
					if a.WriteString(fmt.Sprintf("%04d %s\n", n, payload)) != nil {
						return
					}
				}
			}()
			deadline := time.Now().Add(20 * time.Second)
			for n := range 2000 {
				if err := r.expectFromWithin(b, a, fmt.Sprintf("%04d %s", n, payload), time.Until(deadline)); err != nil {
					failf(suite.TimedOut, "B received %d of A's 2000 lines within 20 s while never-reads did not read: %v", n, err)
				}
			}
		})
	})
})

// chatRoom starts a room for the spec and closes it when the spec ends.
func chatRoom(s *Session) *room {
	r := newRoom(s)
	DeferCleanup(r.close)
	return r
}

// longLine is line n of a sender in chat-5: about 3 KiB, different per
// sender and per line, so a torn or interleaved line cannot pass.
func longLine(sender string, n int) string {
	return fmt.Sprintf("%s-%02d:%s", sender, n, strings.Repeat(sender+fmt.Sprint(n%10), 1500))
}

// senderOf finds which sender's long line a relayed line carries.
func senderOf(senders []*member, line []byte) *member {
	payload := string(withoutPrefix(line))
	for _, m := range senders {
		if strings.HasPrefix(payload, m.Name()+"-") {
			return m
		}
	}
	return nil
}

// expectSequences receives, at to, lines "NAME-NN" numbered 00 up from
// every sender, want[sender] of each, in each sender's order, interleaved
// in any way.
func (r *room) expectSequences(to *member, want map[*member]int) error {
	return r.expectSequencesWithin(to, want, 5*time.Second)
}

func (r *room) expectSequencesWithin(to *member, want map[*member]int, within time.Duration) error {
	deadline := time.Now().Add(within)
	next := map[*member]int{}
	total := 0
	for _, n := range want {
		total += n
	}
	for got := 0; got < total; got++ {
		line, err := to.next(fmt.Sprintf("line %d of %d", got+1, total), time.Until(deadline))
		if err != nil {
			return err
		}
		var from *member
		for m := range want {
			if string(withoutPrefix(line)) == fmt.Sprintf("%s-%02d\n", m.Name(), next[m]) {
				from = m
			}
		}
		if from == nil {
			var expected []string
			for m, n := range want {
				if next[m] < n {
					expected = append(expected, fmt.Sprintf("%s-%02d", m.Name(), next[m]))
				}
			}
			return suite.Errorf(suite.WrongBytes, "%s: received %s, but the next line from each sender should be one of %v (lines arrive once each, in each sender's order)", to.Name(), suite.Quote(line), expected)
		}
		if err := r.checkRelayed(to, from, fmt.Sprintf("%s-%02d", from.Name(), next[from]), line); err != nil {
			return err
		}
		next[from]++
	}
	return nil
}

// expectFromWithin is expectFrom with a longer wait.
func (r *room) expectFromWithin(to, from *member, payload string, within time.Duration) error {
	line, err := to.next(fmt.Sprintf("%s's line %s", from.Name(), suite.Quote([]byte(payload[:min(len(payload), 40)]))), within)
	if err != nil {
		return err
	}
	return r.checkRelayed(to, from, payload, line)
}

// ignoreClosed treats the server closing or resetting the connection as
// no error: for writes the server is allowed to refuse.
func ignoreClosed(err error) error {
	if suite.IsKind(err, suite.ConnReset) || suite.IsKind(err, suite.ClosedEarly) {
		return nil
	}
	return err
}
