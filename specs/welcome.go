package specs

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/socketspec/conformance/suite"
)

// banner is the text every welcome client must receive: the 29 bytes
// "Hello, welcome to the server!", or the banner of the run's --profile.
func banner() string { return config.Profile.banner() }

// The welcome specs, one DescribeClause per clause of welcome.md.
var _ = Protocol("welcome", func() {
	DescribeClause("welcome-1", func() {
		Check("sends the banner to a client that sends nothing", func(s *Session) {
			c := s.Connect("client")
			must(c.ExpectString(banner(), "the banner (the client has sent nothing)", replyTimeout))
			must(expectBannerEnd(c))
		})
	})

	DescribeClause("welcome-2", func() {
		Check("closes the connection within 2 s of the banner", func(s *Session) {
			c := s.Connect("client")
			must(c.ExpectString(banner(), "the banner", replyTimeout))
			rest, err := c.ReadUntilEOF(64, "the banner", 2*time.Second)
			if err != nil && !suite.IsKind(err, suite.NotClosed) {
				must(err)
			}
			if err != nil {
				failf(suite.NotClosed, "client: the server sent the banner (and %s after it) but did not close the connection within 2 s", suite.Quote(rest))
			}
		})
	})

	DescribeClause("welcome-3", func() {
		Check("sends the banner even when the client writes first", func(s *Session) {
			c := s.Connect("client")
			must(c.WriteString("hello server, here is some data\r\n"))
			must(c.ExpectString(banner(), "the banner after the client wrote first", replyTimeout))
			must(expectBannerEnd(c))
		})
	})

	DescribeClause("welcome-4", func() {
		Check("serves 10 concurrent clients while one never reads and one never closes", func(s *Session) {
			s.Connect("never-reads") // connected first, never reads nor closes
			stubborn := s.Connect("never-closes")
			must(stubborn.ExpectString(banner(), "the banner", replyTimeout))
			errs := make([]error, 10)
			var wg sync.WaitGroup
			for i := range errs {
				c := s.Connect(fmt.Sprintf("client%02d", i+1))
				wg.Go(func() {
					if errs[i] = c.ExpectString(banner(), "the banner", replyTimeout); errs[i] == nil {
						errs[i] = expectBannerEnd(c)
					}
				})
			}
			wg.Wait()
			must(firstError(errs))
		})
	})

	DescribeClause("welcome-5", func() {
		Check("ends with FIN, not RST, even when the client wrote first", func(s *Session) {
			c := s.Connect("client")
			must(c.WriteString(strings.Repeat("unsolicited data\n", 64)))
			must(c.ExpectString(banner(), "the banner", replyTimeout))
			_, err := c.ReadUntilEOF(64, "the banner", 2*time.Second)
			if err == nil {
				// The RST of a server that closed without reading may
				// come just after its FIN.
				err = c.ExpectNoReset(100*time.Millisecond, "just after closing with a FIN")
			}
			if suite.IsKind(err, suite.ConnReset) {
				failf(suite.ConnReset, "client: the server ended the connection with a reset (RST), not an orderly close (FIN): it closed its socket without reading what the client had sent; shut down writing, read until EOF, then close")
			}
			must(err)
		})
	})

	DescribeClause("welcome-6", func() {
		Check("serves 200 connections in a row", func(s *Session) {
			// Each client takes its banner and hangs up: how the server
			// closes is welcome-2's business, not this clause's.
			for i := range 200 {
				c := s.Connect(fmt.Sprintf("client%03d", i+1))
				must(c.ExpectString(banner(), "the banner", replyTimeout))
				c.Close()
			}
		})
	})
})

// expectBannerEnd checks what follows the banner: nothing, "\n" or "\r\n",
// then the close. It waits for the close only as long as welcome-2 allows.
func expectBannerEnd(c *suite.Conn) error {
	rest, err := c.ReadUntilEOF(64, "the banner", 2*time.Second)
	switch string(rest) {
	case "", "\n", "\r\n":
	default:
		return suite.Errorf(suite.WrongBytes, "%s: the banner must be followed by nothing, \"\\n\" or \"\\r\\n\", but was followed by %s", c.Name(), suite.Quote(rest))
	}
	if suite.IsKind(err, suite.NotClosed) || suite.IsKind(err, suite.ConnReset) {
		return nil // welcome-2 and welcome-5 judge how the connection ends
	}
	return err
}
