package specs

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/socketspec/conformance/suite"
)

// page is the exact body of GET / (104 bytes, no trailing newline).
const page = `<!DOCTYPE html><html><head><title>Hello, World!</title></head><body><h1>Hello, World!</h1></body></html>`

// Requests the specs send. Each is complete: a request line, header fields
// and the empty line that ends the header block.
const (
	getRoot   = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
	closeRoot = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
)

// The http-hello specs, one DescribeClause per clause of http-hello.md.
var _ = Protocol("http-hello", func() {
	DescribeClause("http-hello-1", func() {
		Check("answers GET / with HTTP/1.1 200 OK", func(ctx SpecContext, s *Session) {
			r := request(ctx, s, "GET", getRoot)
			expectStatusLine(s, r, "HTTP/1.1 200 OK")
		})
	})

	DescribeClause("http-hello-2", func() {
		Check("labels the page text/html; charset=utf-8", func(ctx SpecContext, s *Session) {
			r := request(ctx, s, "GET", getRoot)
			expectStatus(s, r, 200)
			expectHTMLUTF8(s, r)
		})
	})

	DescribeClause("http-hello-3", func() {
		Check("sends exactly the page as the body", func(ctx SpecContext, s *Session) {
			r := request(ctx, s, "GET", getRoot)
			expectStatus(s, r, 200)
			expectPage(s, r)
		})
	})

	DescribeClause("http-hello-4", func() {
		Check("answers GET /?query like GET /", func(ctx SpecContext, s *Session) {
			r := request(ctx, s, "GET", "GET /?name=student&lang=en HTTP/1.1\r\nHost: localhost\r\n\r\n")
			expectStatusLine(s, r, "HTTP/1.1 200 OK")
			expectHTMLUTF8(s, r)
			expectPage(s, r)
		})
	})

	DescribeClause("http-hello-5", func() {
		Check("answers HEAD / with GET's status and fields, and no body", func(ctx SpecContext, s *Session) {
			get := request(ctx, s, "GET", closeRoot)
			c := s.Connect("head")
			s.Expect(c.WriteString("HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")).To(Succeed())
			var head *suite.Response
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponse("HEAD", &head))
			if head.StatusLine != get.StatusLine {
				s.Failf(suite.Violation, "HEAD / got status line %q, GET / got %q", head.StatusLine, get.StatusLine)
			}
			for _, name := range []string{"Content-Type", "Content-Length"} {
				if head.Get(name) != get.Get(name) {
					s.Failf(suite.Violation, "HEAD / got %s %q, GET / got %q", name, head.Get(name), get.Get(name))
				}
			}
			// The request said Connection: close, so anything before the
			// close would be a body. A server that keeps the connection
			// open is judged by http-hello-16; here it must stay silent.
			var rest []byte
			err := s.Try(func(g Gomega) {
				g.Eventually(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveUntilEOF(len(page)+64, "the end of the HEAD response", &rest))
			})
			if len(rest) > 0 {
				s.Failf(suite.UnexpectedBytes, "head: the response to HEAD / must have no body, but %d bytes followed its header block: %s", len(rest), suite.Quote(rest[:min(len(rest), 64)]))
			}
			if err != nil && !suite.IsKind(err, suite.NotClosed) {
				s.Expect(err).To(Succeed())
			}
		})
	})

	DescribeClause("http-hello-6", func() {
		for _, path := range []string{"/no-such-page", "/index.html", "/favicon.ico"} {
			Check("answers GET "+path+" with 404", func(ctx SpecContext, s *Session) {
				expectStatus(s, request(ctx, s, "GET", "GET "+path+" HTTP/1.1\r\nHost: localhost\r\n\r\n"), 404)
			})
		}
	})

	DescribeClause("http-hello-7", func() {
		for _, path := range []string{"/", "/no-such-page"} {
			Check("frames the response to GET "+path+" by Content-Length or by closing", func(ctx SpecContext, s *Session) {
				r := request(ctx, s, "GET", "GET "+path+" HTTP/1.1\r\nHost: localhost\r\n\r\n")
				if r.Has("Content-Length") && r.Has("Transfer-Encoding") {
					s.Failf(suite.Violation, "the response has both Content-Length (%q) and Transfer-Encoding (%q); RFC 9112 §6.3 forbids sending both", r.Get("Content-Length"), r.Get("Transfer-Encoding"))
				}
				if r.Framing != "content-length" && r.Framing != "close" {
					s.Failf(suite.Violation, "the response body is framed by %s (Transfer-Encoding: %q); this protocol frames it by Content-Length or by closing the connection", r.Framing, r.Get("Transfer-Encoding"))
				}
			})
		}
	})

	DescribeClause("http-hello-8", func() {
		for _, path := range []string{"/", "/no-such-page"} {
			Check("sends a valid Date with the response to GET "+path, func(ctx SpecContext, s *Session) {
				r := request(ctx, s, "GET", "GET "+path+" HTTP/1.1\r\nHost: localhost\r\n\r\n")
				dates := r.Values("Date")
				if len(dates) != 1 {
					s.Failf(suite.Violation, "the response has %d Date fields; RFC 9110 §6.6.1: an origin server with a clock MUST send one", len(dates))
				}
				if _, err := http.ParseTime(dates[0]); err != nil {
					s.Failf(suite.Violation, "Date %q is not an HTTP-date such as %q (RFC 9110 §5.6.7)", dates[0], time.Now().UTC().Format(http.TimeFormat))
				}
			})
		}
	})

	DescribeClause("http-hello-9", func() {
		Check("answers an HTTP/1.1 request without Host with 400", func(ctx SpecContext, s *Session) {
			expectStatus(s, request(ctx, s, "GET", "GET / HTTP/1.1\r\nUser-Agent: socketspec\r\n\r\n"), 400)
		})
		Check("answers an HTTP/1.1 request with two Host fields with 400", func(ctx SpecContext, s *Session) {
			expectStatus(s, request(ctx, s, "GET", "GET / HTTP/1.1\r\nHost: localhost\r\nHost: example.com\r\n\r\n"), 400)
		})
	})

	DescribeClause("http-hello-10", func() {
		Check("answers a field with whitespace before its colon with 400", func(ctx SpecContext, s *Session) {
			expectStatus(s, request(ctx, s, "GET", "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent : socketspec\r\n\r\n"), 400)
		})
	})

	DescribeClause("http-hello-11", func() {
		Check("answers a request written in pieces once, after its last piece", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			pieces := []string{"GET / HT", "TP/1.1\r\nHo", "st: localhost\r\n"}
			for _, p := range pieces {
				s.Expect(c.WriteString(p)).To(Succeed())
				s.Consistently(c).WithContext(ctx).Within(100 * time.Millisecond).Should(suite.ReceiveNothing("while the request's header block is incomplete"))
			}
			s.Expect(c.WriteString("\r\n")).To(Succeed())
			var r *suite.Response
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponse("GET", &r))
			expectStatus(s, r, 200)
			s.Consistently(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveNothingOrEOF("after the one response to the one request"))
		})
	})

	DescribeClause("http-hello-12", func() {
		Check("serves a request with an 8 KiB header block", func(ctx SpecContext, s *Session) {
			r := request(ctx, s, "GET", "GET / HTTP/1.1\r\nHost: localhost\r\n"+filler(8<<10)+"\r\n")
			expectStatus(s, r, 200)
			expectPage(s, r)
		})
	})

	DescribeClause("http-hello-13", func() {
		Check("refuses a 64 KiB header block, then serves others", func(ctx SpecContext, s *Session) {
			c := s.Connect("big-headers")
			// The server may close, or reset, before it has read all of
			// the header block: a write cut short that way is allowed.
			err := c.WriteString("GET / HTTP/1.1\r\nHost: localhost\r\n" + filler(64<<10) + "\r\n")
			if err != nil && !suite.IsKind(err, suite.ConnReset) && !suite.IsKind(err, suite.ClosedEarly) {
				s.Expect(err).To(Succeed())
			}
			var r *suite.Response
			err = s.Try(func(g Gomega) {
				g.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponse("GET", &r))
			})
			switch {
			case err == nil && r.StatusCode != 431 && r.StatusCode != 400:
				s.Failf(suite.Violation, "big-headers: a 64 KiB header block got %q; expected 431 or 400, or the connection closed", r.StatusLine)
			case err != nil && !suite.IsKind(err, suite.ClosedEarly) && !suite.IsKind(err, suite.ConnReset):
				s.Expect(err).To(Succeed())
			}
			expectStatus(s, request(ctx, s, "GET", getRoot), 200)
		})
	})

	DescribeClause("http-hello-14", func() {
		Check("answers HTTP/1.0 without Host with 200, then closes", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Expect(c.WriteString("GET / HTTP/1.0\r\n\r\n")).To(Succeed())
			var r *suite.Response
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponse("GET", &r))
			expectStatus(s, r, 200)
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveEOF("the response to an HTTP/1.0 request without keep-alive"))
		})
		Check("answers HTTP/1.0 with keep-alive with 200", func(ctx SpecContext, s *Session) {
			expectStatus(s, request(ctx, s, "GET", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 200)
		})
	})

	DescribeClause("http-hello-15", func() {
		Check("answers a second request on the same connection", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Expect(c.WriteString(getRoot)).To(Succeed())
			var first, second *suite.Response
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponse("GET", &first))
			expectStatus(s, first, 200)
			if first.HasToken("Connection", "close") {
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveEOF("a response that said Connection: close"))
				return
			}
			s.Expect(c.WriteString("GET /?second HTTP/1.1\r\nHost: localhost\r\n\r\n")).To(Succeed())
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponse("GET", &second))
			expectStatus(s, second, 200)
		})
	})

	DescribeClause("http-hello-16", func() {
		Check("closes the connection after answering Connection: close", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Expect(c.WriteString(closeRoot)).To(Succeed())
			var r *suite.Response
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponse("GET", &r))
			expectStatus(s, r, 200)
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveEOF("the response to a request with Connection: close"))
		})
	})

	DescribeClause("http-hello-17", func() {
		Check("answers two requests sent in one write, in order", func(ctx SpecContext, s *Session) {
			c := s.Connect("client")
			s.Expect(c.WriteString("GET /?first HTTP/1.1\r\nHost: localhost\r\n\r\nGET /no-such-page HTTP/1.1\r\nHost: localhost\r\n\r\n")).To(Succeed())
			var first, second *suite.Response
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponse("GET", &first))
			expectStatus(s, first, 200)
			if first.HasToken("Connection", "close") {
				return // the connection does not persist; http-hello-15 allows that
			}
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponse("GET", &second))
			expectStatus(s, second, 404)
		})
	})

	DescribeClause("http-hello-18", func() {
		Check("serves a client while another has sent half a request and stalled", func(ctx SpecContext, s *Session) {
			stalled := s.Connect("stalled")
			s.Expect(stalled.WriteString("GET / HTTP/1.1\r\nHost: loc")).To(Succeed())
			r := request(ctx, s, "GET", getRoot)
			expectStatus(s, r, 200)
		})
	})

	DescribeClause("http-hello-19", func() {
		Check("answers 50 concurrent requests with the page", func(ctx SpecContext, s *Session) {
			conns := make([]*suite.Conn, 50)
			for i := range conns {
				conns[i] = s.Connect(fmt.Sprintf("client%02d", i+1))
			}
			s.InParallel(len(conns), func(g Gomega, i int) {
				c := conns[i]
				g.Expect(c.WriteString(closeRoot)).To(Succeed())
				var r *suite.Response
				g.Eventually(c).WithContext(ctx).Within(5 * time.Second).Should(suite.ReceiveResponse("GET", &r))
				if r.StatusCode != 200 || string(r.Body) != page {
					g.Expect(suite.Errorf(suite.Violation, "%s got %q with a %d-byte body, not 200 and the page", c.Name(), r.StatusLine, len(r.Body))).To(Succeed())
				}
			})
		})
	})

	DescribeClause("http-hello-20", func() {
		Check("frames the page with Content-Length", func(ctx SpecContext, s *Session) {
			r := request(ctx, s, "GET", getRoot)
			expectStatus(s, r, 200)
			if r.Get("Content-Length") != fmt.Sprint(len(page)) {
				s.Failf(suite.Violation, "the 200 response has Content-Length %q; expected %q", r.Get("Content-Length"), fmt.Sprint(len(page)))
			}
		})
	})

	DescribeClause("http-hello-21", func() {
		for _, req := range []string{
			"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello",
			"DELETE / HTTP/1.1\r\nHost: localhost\r\n\r\n",
		} {
			method, _, _ := strings.Cut(req, " ")
			Check("answers "+method+" with 405 and Allow: GET, HEAD, or 501", func(ctx SpecContext, s *Session) {
				r := request(ctx, s, method, req)
				switch {
				case r.StatusCode == 501:
				case r.StatusCode != 405:
					s.Failf(suite.Violation, "%s / got %q; expected 405 (with Allow: GET, HEAD) or 501", method, r.StatusLine)
				case !r.HasToken("Allow", "GET") || !r.HasToken("Allow", "HEAD"):
					s.Failf(suite.Violation, "the 405 response has Allow %q; it should list GET and HEAD", r.Get("Allow"))
				}
			})
		}
	})

	DescribeClause("http-hello-22", func() {
		Check("answers a malformed request line with 400", func(ctx SpecContext, s *Session) {
			expectStatus(s, request(ctx, s, "GET", "this is not http\r\nHost: localhost\r\n\r\n"), 400)
		})
	})

	DescribeClause("http-hello-23", func() {
		Check("still answers after garbage bytes on other connections", func(ctx SpecContext, s *Session) {
			// Each garbage connection gets the server's answer (or close)
			// before the next step, so that a server that crashes on
			// garbage has surely read it before the final request.
			junk := s.Connect("binary-junk")
			s.Expect(junk.Write(pseudoRandom(4096, 23))).To(Succeed())
			s.Expect(junk.WriteString("\r\n\r\n")).To(Succeed())
			awaitVerdict(ctx, s, junk)
			nul := s.Connect("nul-bytes")
			s.Expect(nul.WriteString("GET /\x00\x00 HTTP/1.1\r\nHost: \x00\xff\r\n\r\n")).To(Succeed())
			awaitVerdict(ctx, s, nul)
			nul.Reset()
			r := request(ctx, s, "GET", getRoot)
			expectStatus(s, r, 200)
		})
	})
})

// awaitVerdict gives the server up to replyTimeout to answer or close a
// connection that sent garbage. Whatever it does is fine here: the check is
// whether it still serves afterwards.
func awaitVerdict(ctx SpecContext, s *Session, c *suite.Conn) {
	var answer []byte
	_ = s.Try(func(g Gomega) {
		g.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveUntilEOF(64<<10, "the server's answer to garbage", &answer))
	})
}

// request sends one request on a new connection and reads the response.
func request(ctx SpecContext, s *Session, method, req string) *suite.Response {
	c := s.Connect("client")
	s.ExpectWithOffset(1, c.WriteString(req)).To(Succeed())
	var r *suite.Response
	s.EventuallyWithOffset(1, c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponse(method, &r))
	return r
}

func expectStatusLine(s *Session, r *suite.Response, want string) {
	if r.StatusLine != want {
		s.Failf(suite.Violation, "the status line is %s; expected %q", suite.Quote([]byte(r.StatusLine)), want)
	}
}

func expectStatus(s *Session, r *suite.Response, want int) {
	if r.StatusCode != want {
		s.Failf(suite.Violation, "got %q; expected status %d", r.StatusLine, want)
	}
}

// expectHTMLUTF8 checks for exactly one Content-Type naming text/html with
// charset=utf-8, type and parameter compared case-insensitively.
func expectHTMLUTF8(s *Session, r *suite.Response) {
	types := r.Values("Content-Type")
	if len(types) != 1 {
		s.Failf(suite.Violation, "the response has %d Content-Type fields; expected one: text/html; charset=utf-8", len(types))
	}
	mediaType, params, err := mime.ParseMediaType(types[0])
	if err != nil || mediaType != "text/html" || !strings.EqualFold(params["charset"], "utf-8") {
		s.Failf(suite.Violation, "Content-Type is %q; expected text/html with charset=utf-8", types[0])
	}
}

func expectPage(s *Session, r *suite.Response) {
	if d := suite.DiffBytes([]byte(page), r.Body); d != "" || len(r.Body) != len(page) {
		s.Failf(suite.WrongBytes, "the body is not the page: %s", d)
	}
}

// filler returns header fields of about n bytes in all.
func filler(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "X-Filler-%04d: %s\r\n", i, strings.Repeat("x", 80))
	}
	return b.String()
}
