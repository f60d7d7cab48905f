package specs

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/socketspec/conformance/suite"
)

// The greeter specs, one DescribeClause per clause of greeter.md.
var _ = Protocol("greeter", func() {
	DescribeClause("greeter-1", func() {
		Check("sends Welcome! to a client that sends nothing", func(s *Session) {
			s.welcomed("client")
		})
	})

	DescribeClause("greeter-2", func() {
		Check("answers each name with Hello, NAME!", func(s *Session) {
			c := s.welcomed("client")
			for _, name := range []string{"Ada", "Grace Hopper"} {
				must(c.WriteString(name + "\r\n"))
				must(c.ExpectString("Hello, "+name+"!\n", "the greeting for "+name, replyTimeout))
			}
		})
	})

	DescribeClause("greeter-3", func() {
		Check("answers three names sent in one write, in order", func(s *Session) {
			c := s.welcomed("client")
			must(c.WriteString("Grace\nLinus\r\nBarbara\n"))
			must(c.ExpectString("Hello, Grace!\nHello, Linus!\nHello, Barbara!\n", "three greetings in order", replyTimeout))
		})
	})

	DescribeClause("greeter-4", func() {
		Check("answers a name written in three pieces once, after its end", func(s *Session) {
			c := s.welcomed("client")
			for _, piece := range []string{"Al", "an Tu"} {
				must(c.WriteString(piece))
				must(c.ExpectQuiet(100*time.Millisecond, "while the name is incomplete (no \\n yet)"))
			}
			must(c.WriteString("ring\n"))
			must(c.ExpectString("Hello, Alan Turing!\n", "the one greeting for the whole name", replyTimeout))
			must(c.ExpectQuiet(quietWindow, "after the one greeting"))
		})
	})

	DescribeClause("greeter-5", func() {
		Check("passes UTF-8 and other bytes through, and greets an empty name", func(s *Session) {
			c := s.welcomed("client")
			for _, name := range []string{"José 你好", "tab\there", "\xff\xfe\x00", ""} {
				must(c.WriteString(name + "\n"))
				must(c.ExpectString("Hello, "+name+"!\n", "the greeting for "+suite.Quote([]byte(name)), replyTimeout))
			}
		})
	})

	DescribeClause("greeter-6", func() {
		for _, exit := range []string{"exit\n", "exit\r\n"} {
			Check("closes without a reply on "+suite.Quote([]byte(exit)), func(s *Session) {
				c := s.welcomed("client")
				must(c.WriteString(exit))
				must(c.ExpectEOF("the client sent exit (no reply is due)", replyTimeout))
			})
		}
	})

	DescribeClause("greeter-7", func() {
		Check("closes within 2 s when the client closes its side", func(s *Session) {
			c := s.welcomed("client")
			must(c.CloseWrite())
			must(c.ExpectEOF("the client's EOF", 2*time.Second))
		})
	})

	DescribeClause("greeter-8", func() {
		Check("answers a client while another stays silent", func(s *Session) {
			s.Connect("silent") // connected first, never reads or writes
			c := s.welcomed("active")
			must(c.WriteString("Ada\n"))
			must(c.ExpectString("Hello, Ada!\n", "the greeting while another client is silent", replyTimeout))
		})
		Check("answers 10 concurrent clients, each its own names", func(s *Session) {
			errs := make([]error, 10)
			var wg sync.WaitGroup
			for i := range errs {
				c := s.welcomed(fmt.Sprintf("c%d", i))
				wg.Go(func() {
					for n := range 5 {
						name := fmt.Sprintf("%s-%d", c.Name(), n)
						if errs[i] = c.WriteString(name + "\n"); errs[i] == nil {
							errs[i] = c.ExpectString("Hello, "+name+"!\n", "its own greeting", replyTimeout)
						}
						if errs[i] != nil {
							return
						}
					}
				})
			}
			wg.Wait()
			must(firstError(errs))
		})
	})

	DescribeClause("greeter-10", func() {
		Check("answers each of three names within 200 ms", func(s *Session) {
			c := s.welcomed("client")
			for _, name := range []string{"Ada", "Grace", "Linus"} {
				must(c.WriteString(name + "\n"))
				must(c.ExpectString("Hello, "+name+"!\n", "the greeting for "+name+" (within 200 ms)", 200*time.Millisecond))
			}
		})
	})

	DescribeClause("greeter-9", func() {
		Check("answers a 4096-byte name", func(s *Session) {
			c := s.welcomed("client")
			name := strings.Repeat("Ada-", 1024)
			must(c.WriteString(name + "\n"))
			must(c.ExpectString("Hello, "+name+"!\n", "the greeting for a 4096-byte name", replyTimeout))
		})
	})
})

// welcomed connects and reads the welcome line.
func (s *Session) welcomed(name string) *suite.Conn {
	c := s.Connect(name)
	must(c.ExpectString("Welcome!\n", "the welcome line (the client has sent nothing)", replyTimeout))
	return c
}
