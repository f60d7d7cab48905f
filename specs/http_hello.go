package specs

import (
	"fmt"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/socketspec/conformance/suite"
)

// page is the exact body of GET / (104 bytes, no trailing newline).
const page = `<!DOCTYPE html><html><head><title>Hello, World!</title></head><body><h1>Hello, World!</h1></body></html>`

// An exchange is one write the specs send on a connection of its own:
// one request, or several in one write, each named as failures name it.
type exchange struct {
	conn   string   // the connection's name in transcripts
	method string   // of every request in it: a response to HEAD has no body
	names  []string // each request, e.g. "GET / without Host"
	bytes  string   // complete requests: request line, fields, empty line (and body)
}

func one(conn, method, name, bytes string) exchange {
	return exchange{conn: conn, method: method, names: []string{name}, bytes: bytes}
}

// The requests the specs send.
var (
	getRoot    = one("client", "GET", "GET /", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	closeRoot  = one("close", "GET", "GET / with Connection: close", "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	getQuery   = one("query", "GET", "GET /?name=student&lang=en", "GET /?name=student&lang=en HTTP/1.1\r\nHost: localhost\r\n\r\n")
	headRoot   = one("head", "HEAD", "HEAD / with Connection: close", "HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	noHost     = one("no-host", "GET", "GET / without Host", "GET / HTTP/1.1\r\nUser-Agent: socketspec\r\n\r\n")
	twoHosts   = one("two-hosts", "GET", "GET / with two Host fields", "GET / HTTP/1.1\r\nHost: localhost\r\nHost: example.com\r\n\r\n")
	spaceColon = one("space-colon", "GET", `GET / with the field line "User-Agent : socketspec"`, "GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent : socketspec\r\n\r\n")
	http10     = one("http10", "GET", "GET / HTTP/1.0", "GET / HTTP/1.0\r\n\r\n")
	http10Keep = one("http10-keep-alive", "GET", "GET / HTTP/1.0 with Connection: keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	post       = one("post", "POST", "POST / with a 5-byte body", "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello")
	deleteRoot = one("delete", "DELETE", "DELETE /", "DELETE / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	badLine    = one("bad-request-line", "GET", `the malformed request line "this is not http"`, "this is not http\r\nHost: localhost\r\n\r\n")
	pipelined  = exchange{conn: "pipelined", method: "GET",
		names: []string{"GET / (the first of two requests in one write)", "GET /no-such-page (the second of two requests in one write)"},
		bytes: "GET / HTTP/1.1\r\nHost: localhost\r\n\r\nGET /no-such-page HTTP/1.1\r\nHost: localhost\r\n\r\n"}
)

// notFound is GET of a path that is not "/".
func notFound(path string) exchange {
	return one("not-found", "GET", "GET "+path, "GET "+path+" HTTP/1.1\r\nHost: localhost\r\n\r\n")
}

// The header blocks of http-hello-12 and -13 come in two shapes, because a
// server may limit the number of fields, or the size of one, and yet not
// the block as a whole: many short fields, and a few large ones.
const (
	shortFields = 80   // bytes of value in each field: about 90 fields per 8 KiB
	largeFields = 4000 // about 2 fields per 8 KiB, each line under 4 KiB
)

// headerBlock is GET / with a header block of about size bytes, of fields
// with value bytes of value each.
func headerBlock(conn string, size, value int) exchange {
	shape := "many short fields"
	if value == largeFields {
		shape = "a few large fields"
	}
	article := "a"
	if size>>10 == 8 {
		article = "an"
	}
	name := fmt.Sprintf("GET / with %s %d KiB header block of %s", article, size>>10, shape)
	return one(conn, "GET", name, "GET / HTTP/1.1\r\nHost: localhost\r\n"+filler(size, value)+"\r\n")
}

// exchanges are every request the specs send whose answer they read as a
// response (all but the garbage of http-hello-23): the clauses about every
// response (http-hello-7, -8, -24, -25 and -26) judge the answers to them all.
var exchanges = []exchange{
	getRoot, closeRoot, getQuery, headRoot, notFound("/no-such-page"),
	noHost, twoHosts, spaceColon,
	headerBlock("8k-short", 8<<10, shortFields), headerBlock("8k-large", 8<<10, largeFields),
	headerBlock("64k-short", 64<<10, shortFields), headerBlock("64k-large", 64<<10, largeFields),
	http10, http10Keep, pipelined, post, deleteRoot, badLine,
}

// The http-hello specs, one DescribeClause per clause of http-hello.md.
var _ = Protocol("http-hello", func() {
	DescribeClause("http-hello-1", func() {
		Check("answers GET / with HTTP/1.1 200 OK", func(ctx SpecContext, s *Session) {
			r := request(ctx, s, getRoot)
			expectStatusLine(s, r, "HTTP/1.1 200 OK")
		})
	})

	DescribeClause("http-hello-2", func() {
		Check("labels the page text/html; charset=utf-8", func(ctx SpecContext, s *Session) {
			r := request(ctx, s, getRoot)
			expectStatus(s, r, 200)
			expectHTMLUTF8(s, r)
		})
	})

	DescribeClause("http-hello-3", func() {
		Check("sends exactly the page as the body", func(ctx SpecContext, s *Session) {
			r := request(ctx, s, getRoot)
			expectStatus(s, r, 200)
			expectPage(s, r)
		})
	})

	DescribeClause("http-hello-4", func() {
		Check("answers GET /?query like GET /", func(ctx SpecContext, s *Session) {
			r := request(ctx, s, getQuery)
			expectStatusLine(s, r, "HTTP/1.1 200 OK")
			expectHTMLUTF8(s, r)
			expectPage(s, r)
		})
	})

	DescribeClause("http-hello-5", func() {
		Check("answers HEAD / with GET's status and fields, and no body", func(ctx SpecContext, s *Session) {
			get := request(ctx, s, closeRoot)
			c, head := send(ctx, s, headRoot)
			if head.StatusLine != get.StatusLine {
				s.Failf(suite.Violation, "HEAD / got the status line %s, GET / got %s", suite.Quote([]byte(head.StatusLine)), suite.Quote([]byte(get.StatusLine)))
			}
			if !sameMediaType(head.Get("Content-Type"), get.Get("Content-Type")) {
				s.Failf(suite.Violation, "HEAD / got Content-Type %q, GET / got %q", head.Get("Content-Type"), get.Get("Content-Type"))
			}
			// Compared as numbers: "0104" is 104 (RFC 9110 §8.6).
			if head.Has("Content-Length") != get.Has("Content-Length") || head.ContentLength != get.ContentLength {
				s.Failf(suite.Violation, "HEAD / got Content-Length %s, GET / got %s", lengthOf(head), lengthOf(get))
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
				expectStatus(s, request(ctx, s, notFound(path)), 404)
			})
		}
	})

	DescribeClause("http-hello-7", func() {
		Check("frames every response by Content-Length or by closing, with one valid Content-Length", func(ctx SpecContext, s *Session) {
			judgeEveryResponse(ctx, s, suite.FramingRule, func(r *suite.Response) []string {
				problems := flawDetails(r, suite.FramingRule)
				if r.Framing == "chunked" {
					problems = append(problems, fmt.Sprintf("frames its body with Transfer-Encoding %q; this protocol frames a body by Content-Length or by closing the connection", r.Get("Transfer-Encoding")))
				}
				return problems
			})
		})
	})

	DescribeClause("http-hello-8", func() {
		Check("sends one valid Date with every 2xx, 3xx and 4xx response", func(ctx SpecContext, s *Session) {
			judgeEveryResponse(ctx, s, "Date", func(r *suite.Response) []string {
				dates := r.Values("Date")
				switch {
				case len(dates) == 0 && r.StatusCode >= 200 && r.StatusCode < 500:
					return []string{fmt.Sprintf("has no Date field (its fields: %s); RFC 9110 §6.6.1: an origin server with a clock MUST send one with every 2xx, 3xx and 4xx response", r.Names())}
				case len(dates) > 1:
					return []string{fmt.Sprintf("has %d Date fields (%s); a response has one date", len(dates), quoteAll(dates))}
				case len(dates) == 1 && !isIMFFixdate(dates[0]):
					return []string{fmt.Sprintf("has Date %q, which is not an HTTP-date in the IMF-fixdate form a sender MUST use, such as %q (RFC 9110 §5.6.7)", dates[0], time.Now().UTC().Format(http.TimeFormat))}
				}
				return nil
			})
		})
	})

	DescribeClause("http-hello-9", func() {
		Check("answers an HTTP/1.1 request without Host with 400", func(ctx SpecContext, s *Session) {
			expectStatus(s, request(ctx, s, noHost), 400)
		})
		Check("answers an HTTP/1.1 request with two Host fields with 400", func(ctx SpecContext, s *Session) {
			expectStatus(s, request(ctx, s, twoHosts), 400)
		})
	})

	DescribeClause("http-hello-10", func() {
		Check("answers a field with whitespace before its colon with 400", func(ctx SpecContext, s *Session) {
			expectStatus(s, request(ctx, s, spaceColon), 400)
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
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponseTo("GET", "GET / (written in pieces)", &r))
			expectStatus(s, r, 200)
			s.Consistently(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveNothingOrEOF("after the one response to the one request"))
		})
	})

	DescribeClause("http-hello-12", func() {
		for _, value := range []int{shortFields, largeFields} {
			ex := headerBlock("client", 8<<10, value)
			Check("serves "+strings.TrimPrefix(ex.names[0], "GET / with "), func(ctx SpecContext, s *Session) {
				r := request(ctx, s, ex)
				expectStatus(s, r, 200)
				expectPage(s, r)
			})
		}
	})

	DescribeClause("http-hello-13", func() {
		for _, value := range []int{shortFields, largeFields} {
			ex := headerBlock("big-headers", 64<<10, value)
			Check("refuses "+strings.TrimPrefix(ex.names[0], "GET / with ")+", then serves others", func(ctx SpecContext, s *Session) {
				c := s.Connect(ex.conn)
				// The server may close, or reset, before it has read all of
				// the header block: a write cut short that way is allowed.
				err := c.WriteString(ex.bytes)
				if err != nil && !suite.IsKind(err, suite.ConnReset) && !suite.IsKind(err, suite.ClosedEarly) {
					s.Expect(err).To(Succeed())
				}
				var r *suite.Response
				err = s.Try(func(g Gomega) {
					g.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponseTo(ex.method, ex.names[0], &r))
				})
				switch {
				case err == nil && r.StatusCode != 431 && r.StatusCode != 400:
					s.Failf(suite.Violation, "%s: %s got %s; expected 431 or 400, or the connection closed", ex.conn, ex.names[0], suite.Quote([]byte(r.StatusLine)))
				case err != nil && !suite.IsKind(err, suite.ClosedEarly) && !suite.IsKind(err, suite.ConnReset):
					s.Expect(err).To(Succeed())
				}
				expectStatus(s, request(ctx, s, getRoot), 200)
			})
		}
	})

	DescribeClause("http-hello-14", func() {
		Check("answers HTTP/1.0 without Host with 200, then closes", func(ctx SpecContext, s *Session) {
			c, r := send(ctx, s, http10)
			expectStatus(s, r, 200)
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveEOF("the response to an HTTP/1.0 request without keep-alive"))
		})
		Check("answers HTTP/1.0 with keep-alive with 200", func(ctx SpecContext, s *Session) {
			expectStatus(s, request(ctx, s, http10Keep), 200)
		})
	})

	DescribeClause("http-hello-15", func() {
		Check("answers a second request on the same connection", func(ctx SpecContext, s *Session) {
			c, first := send(ctx, s, getRoot)
			expectStatus(s, first, 200)
			if first.HasToken("Connection", "close") {
				s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveEOF("a response that said Connection: close"))
				return
			}
			s.Expect(c.WriteString(getRoot.bytes)).To(Succeed())
			var second *suite.Response
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponseTo("GET", "GET / (the second request on the connection)", &second))
			expectStatus(s, second, 200)
		})
	})

	DescribeClause("http-hello-16", func() {
		Check("closes the connection after answering Connection: close", func(ctx SpecContext, s *Session) {
			c, r := send(ctx, s, closeRoot)
			expectStatus(s, r, 200)
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveEOF("the response to a request with Connection: close"))
		})
	})

	DescribeClause("http-hello-17", func() {
		Check("answers two requests sent in one write, in order", func(ctx SpecContext, s *Session) {
			c := s.Connect(pipelined.conn)
			s.Expect(c.WriteString(pipelined.bytes)).To(Succeed())
			var first, second *suite.Response
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponseTo("GET", pipelined.names[0], &first))
			expectStatus(s, first, 200)
			if first.HasToken("Connection", "close") {
				return // the connection does not persist; http-hello-15 allows that
			}
			s.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponseTo("GET", pipelined.names[1], &second))
			expectStatus(s, second, 404)
		})
	})

	DescribeClause("http-hello-18", func() {
		Check("serves a client while another has sent half a request and stalled", func(ctx SpecContext, s *Session) {
			stalled := s.Connect("stalled")
			s.Expect(stalled.WriteString("GET / HTTP/1.1\r\nHost: loc")).To(Succeed())
			r := request(ctx, s, getRoot)
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
				g.Expect(c.WriteString(closeRoot.bytes)).To(Succeed())
				var r *suite.Response
				g.Eventually(c).WithContext(ctx).Within(5 * time.Second).Should(suite.ReceiveResponseTo("GET", closeRoot.names[0], &r))
				if r.StatusCode != 200 || string(r.Body) != page {
					g.Expect(suite.Errorf(suite.Violation, "%s got %s with a %d-byte body, not 200 and the page", c.Name(), suite.Quote([]byte(r.StatusLine)), len(r.Body))).To(Succeed())
				}
			})
		})
	})

	DescribeClause("http-hello-20", func() {
		Check("frames the page with a Content-Length that is its length", func(ctx SpecContext, s *Session) {
			c, r := send(ctx, s, getRoot)
			expectStatus(s, r, 200)
			switch {
			case !r.Has("Content-Length"):
				s.Failf(suite.Violation, "the 200 response to GET / has no Content-Length (its fields: %s); its body is framed by %s", r.Names(), framingOf(r))
			case r.ContentLength != int64(len(r.Body)):
				s.Failf(suite.Violation, "the 200 response to GET / has Content-Length %s, but its body, framed by %s, is %d bytes", lengthOf(r), framingOf(r), len(r.Body))
			}
			// The number is what the client reads: "0104" is 104 (RFC 9110
			// §8.6). A number too large leaves the client waiting for the
			// rest (ReceiveResponse fails above); one too small leaves the
			// rest of the body to be read as the start of what comes next.
			var rest []byte
			_ = s.Try(func(g Gomega) {
				g.Eventually(c).WithContext(ctx).Within(quietWindow).Should(suite.ReceiveUntilEOF(len(page)+64, "anything after the body", &rest))
			})
			if len(rest) > 0 {
				s.Failf(suite.Violation, "the 200 response to GET / has Content-Length %s, but the body went on: %d bytes followed those %d (%s) before the server fell silent; Content-Length must count every byte of the body", lengthOf(r), len(rest), r.ContentLength, suite.Quote(rest[:min(len(rest), 64)]))
			}
		})
	})

	DescribeClause("http-hello-21", func() {
		for _, ex := range []exchange{post, deleteRoot} {
			Check("answers "+ex.method+" with 405 and Allow: GET, HEAD, or 501", func(ctx SpecContext, s *Session) {
				r := request(ctx, s, ex)
				switch {
				case r.StatusCode == 501:
				case r.StatusCode != 405:
					s.Failf(suite.Violation, "%s got %s; expected 405 (with Allow: GET, HEAD) or 501", ex.names[0], suite.Quote([]byte(r.StatusLine)))
				case !r.Has("Allow"):
					s.Failf(suite.Violation, "the 405 response to %s has no Allow field (its fields: %s); it should list GET and HEAD", ex.names[0], r.Names())
				case !r.HasToken("Allow", "GET") || !r.HasToken("Allow", "HEAD"):
					s.Failf(suite.Violation, "the 405 response to %s has Allow %q; it should list GET and HEAD", ex.names[0], strings.Join(r.Values("Allow"), ", "))
				}
			})
		}
	})

	DescribeClause("http-hello-22", func() {
		Check("answers a malformed request line with 400", func(ctx SpecContext, s *Session) {
			expectStatus(s, request(ctx, s, badLine), 400)
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
			r := request(ctx, s, getRoot)
			expectStatus(s, r, 200)
		})
	})

	DescribeClause("http-hello-24", func() {
		Check("starts every response with HTTP-version SP 3DIGIT SP [reason-phrase]", func(ctx SpecContext, s *Session) {
			judgeEveryResponse(ctx, s, suite.StatusLineRule, func(r *suite.Response) []string { return flawDetails(r, suite.StatusLineRule) })
		})
	})

	DescribeClause("http-hello-25", func() {
		Check("ends every line of every header section with CRLF", func(ctx SpecContext, s *Session) {
			judgeEveryResponse(ctx, s, suite.LineEndRule, func(r *suite.Response) []string { return flawDetails(r, suite.LineEndRule) })
		})
	})

	DescribeClause("http-hello-26", func() {
		Check("sends every field line as a token, a colon and a clean value, never folded", func(ctx SpecContext, s *Session) {
			judgeEveryResponse(ctx, s, suite.FieldLineRule, func(r *suite.Response) []string { return flawDetails(r, suite.FieldLineRule) })
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

// request sends the request of ex on a new connection and reads the response.
func request(ctx SpecContext, s *Session, ex exchange) *suite.Response {
	_, r := send(ctx, s, ex)
	return r
}

// send is request, and returns the connection too.
func send(ctx SpecContext, s *Session, ex exchange) (*suite.Conn, *suite.Response) {
	c := s.Connect(ex.conn)
	s.ExpectWithOffset(1, c.WriteString(ex.bytes)).To(Succeed())
	var r *suite.Response
	s.EventuallyWithOffset(1, c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponseTo(ex.method, ex.names[0], &r))
	return c, r
}

// An answer is what one request of an exchange got: a response, or the
// diagnosis of why none could be read.
type answer struct {
	request string
	conn    string
	first   bool // the first response on its connection
	resp    *suite.Response
	err     error
}

// everyResponse sends every exchange, each on a connection of its own and
// all at once, and returns what each request got.
func everyResponse(ctx SpecContext, s *Session) []answer {
	answers := make([][]answer, len(exchanges))
	var wg sync.WaitGroup
	for i, ex := range exchanges {
		wg.Go(func() {
			c, err := s.Dial(ex.conn)
			if err != nil {
				answers[i] = []answer{{request: ex.names[0], conn: ex.conn, first: true, err: err}}
				return
			}
			// A server may refuse a request (a 64 KiB header block) by
			// answering and closing before it has read all of it: the
			// answer is read all the same.
			_ = c.WriteString(ex.bytes)
			for j, name := range ex.names {
				var r *suite.Response
				err := s.Try(func(g Gomega) {
					g.Eventually(c).WithContext(ctx).Within(replyTimeout).Should(suite.ReceiveResponseTo(ex.method, name, &r))
				})
				answers[i] = append(answers[i], answer{request: name, conn: ex.conn, first: j == 0, resp: r, err: err})
				if err != nil || r.HasToken("Connection", "close") {
					break
				}
			}
		})
	}
	wg.Wait()
	return slices.Concat(answers...)
}

// judgeEveryResponse checks a rule for generating a response on every
// response to the requests the specs send (exchanges): judge returns what
// breaks it in one response, and the check fails with every problem found,
// each naming its response. A first response on its connection that breaks
// rule so badly that it cannot be read at all is a problem too. A request
// that gets no response (the server closes, resets, is silent, or is not
// listening), or whose response cannot be read for another reason, is left
// to the clauses about that request; when no request got a response, the
// check is skipped, saying so.
func judgeEveryResponse(ctx SpecContext, s *Session, rule suite.Rule, judge func(r *suite.Response) []string) {
	answers := everyResponse(ctx, s)
	var problems []string
	judged := 0
	for _, a := range answers {
		broken, unreadable := suite.UnreadableBy(a.err)
		switch {
		case a.err == nil:
			judged++
			for _, p := range judge(a.resp) {
				problems = append(problems, fmt.Sprintf("the response to %s (%s) %s", a.request, suite.Quote([]byte(a.resp.StatusLine)), p))
			}
		case unreadable && broken == rule && a.first:
			judged++
			problems = append(problems, fmt.Sprintf("the response to %s breaks the rule for its %s so badly that it cannot be read (%v)", a.request, rule, a.err))
		default:
			s.Transcript().Note(a.conn, "nothing to judge for %s in the answer to %s (%v); the clauses about that request judge it", rule, a.request, a.err)
		}
	}
	switch {
	case len(problems) == 1:
		s.Failf(suite.Violation, "%s", problems[0])
	case len(problems) > 1:
		s.Failf(suite.Violation, "%s\n%d more responses break this clause too:\n  - %s", problems[0], len(problems)-1, strings.Join(problems[1:], "\n  - "))
	case judged == 0:
		// Nothing to judge: the server is down (an earlier check may have
		// crashed it) or answers nothing, which other clauses judge.
		Skip(fmt.Sprintf("nothing to judge: none of the %d requests got a response; the first, %s, got none (%v)", len(answers), answers[0].request, answers[0].err))
	}
}

// flawDetails are the details of the response's flaws that break rule.
func flawDetails(r *suite.Response, rule suite.Rule) []string {
	var out []string
	for _, f := range r.FlawsOf(rule) {
		out = append(out, "breaks the rule for its "+string(rule)+": "+f.Detail)
	}
	return out
}

func quoteAll(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, " and ")
}

// isIMFFixdate reports whether v is an HTTP-date in the form a sender
// MUST generate, such as "Sun, 06 Nov 1994 08:49:37 GMT" (its weekday
// right for its date).
func isIMFFixdate(v string) bool {
	t, err := time.Parse(http.TimeFormat, v)
	return err == nil && t.Format(http.TimeFormat) == v
}

func expectStatusLine(s *Session, r *suite.Response, want string) {
	if r.StatusLine != want {
		s.Failf(suite.Violation, "%s has the status line %s; expected %q", r.What, suite.Quote([]byte(r.StatusLine)), want)
	}
}

func expectStatus(s *Session, r *suite.Response, want int) {
	if r.StatusCode != want {
		s.Failf(suite.Violation, "%s has the status line %s; expected status %d", r.What, suite.Quote([]byte(r.StatusLine)), want)
	}
}

// expectHTMLUTF8 checks for exactly one Content-Type naming text/html with
// charset=utf-8, type and parameter compared case-insensitively.
func expectHTMLUTF8(s *Session, r *suite.Response) {
	types := r.Values("Content-Type")
	if len(types) != 1 {
		s.Failf(suite.Violation, "%s has %d Content-Type fields (its fields: %s); expected one, text/html; charset=utf-8", r.What, len(types), r.Names())
	}
	mediaType, params, err := mime.ParseMediaType(types[0])
	if err != nil || mediaType != "text/html" || !strings.EqualFold(params["charset"], "utf-8") {
		s.Failf(suite.Violation, "%s has Content-Type %q; expected text/html with charset=utf-8", r.What, types[0])
	}
}

func expectPage(s *Session, r *suite.Response) {
	if d := suite.DiffBytes([]byte(page), r.Body); d != "" {
		s.Failf(suite.WrongBytes, "the body of %s is not the page: %s", r.What, d)
	}
}

// sameMediaType reports whether two Content-Type values name the same
// media type with the same parameters, as a client reads them: type and
// parameter names case-insensitively, and the charset's value too.
func sameMediaType(a, b string) bool {
	ta, pa, errA := mime.ParseMediaType(a)
	tb, pb, errB := mime.ParseMediaType(b)
	if errA != nil || errB != nil {
		return a == b
	}
	pa["charset"], pb["charset"] = strings.ToLower(pa["charset"]), strings.ToLower(pb["charset"])
	return ta == tb && maps.Equal(pa, pb)
}

// lengthOf shows a response's Content-Length for a diagnosis.
func lengthOf(r *suite.Response) string {
	values := r.Values("Content-Length")
	switch {
	case len(values) == 0:
		return "(none)"
	case r.ContentLength < 0:
		return fmt.Sprintf("%q, which is not a number", strings.Join(values, ", "))
	case len(values) == 1 && values[0] == fmt.Sprint(r.ContentLength):
		return values[0]
	}
	return fmt.Sprintf("%q (%d)", strings.Join(values, ", "), r.ContentLength)
}

// framingOf says how a response's body ends, for a diagnosis.
func framingOf(r *suite.Response) string {
	switch r.Framing {
	case "chunked":
		return "chunked transfer coding"
	case "close":
		return "closing the connection"
	}
	return r.Framing
}

// filler returns header fields of about n bytes in all, each with value
// bytes of value.
func filler(n, value int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "X-Filler-%04d: %s\r\n", i, strings.Repeat("x", value))
	}
	return b.String()
}
