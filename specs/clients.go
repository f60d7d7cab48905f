package specs

// Real clients against the server: our own wire client agreeing with our
// own servers proves little. Each check runs a program people use (curl,
// Python, Go's net/http, a browser, nc, ncat), is labelled client-NAME, and
// is skipped, saying why, when that program is not installed; .ci/run
// installs them all, so CI skips none.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"

	"github.com/socketspec/conformance/suite"
)

// clientTimeout bounds one run of a client program, and requestTimeout
// one request of a client that has its own timeout. A correct server on
// loopback answers in milliseconds; these bound a run against one that
// does not answer at all.
const (
	clientTimeout  = 10 * time.Second
	requestTimeout = 5 * time.Second
	// A browser starts slowly on a loaded machine: seen taking over 10 s
	// to exit with sixteen runs at once, the page long since rendered.
	browserTimeout = 30 * time.Second
)

// program returns the path of a client program, or skips the check.
func program(name, debianPackage string) string {
	path, err := exec.LookPath(name)
	if err != nil {
		Skip(fmt.Sprintf("%s is not installed (apt-get install %s)", name, debianPackage))
	}
	return path
}

// run runs a client program and notes it in the transcript. It fails the
// check when the program does not finish in time or exits with an error.
func (s *Session) run(ctx SpecContext, stdin []byte, name string, args ...string) []byte {
	within := clientTimeout
	if filepath.Base(name) == "chromium" {
		within = browserTimeout
	}
	s.Transcript().Note(filepath.Base(name), "runs %s %s", filepath.Base(name), strings.Join(args, " "))
	out, _, err := suite.RunProgram(ctx, within, stdin, name, args...)
	s.Transcript().Note(filepath.Base(name), "printed %d bytes: %s", len(out), suite.Quote(out[:min(len(out), 120)]))
	if err != nil {
		s.fail(err.Error(), 1)
	}
	return out
}

var _ = Protocol("http-hello", func() {
	DescribeClause("http-hello-3", func() {
		Check("Go's net/http client gets the page", func(ctx SpecContext, s *Session) {
			req, err := http.NewRequestWithContext(ctx, "GET", "http://"+s.Addr()+"/", nil)
			s.Expect(err).NotTo(HaveOccurred())
			client := newHTTPClient()
			defer client.CloseIdleConnections() // a kept-alive connection would hold a one-at-a-time server
			resp, err := client.Do(req)
			if err != nil {
				s.Failf(suite.Violation, "Go's net/http client could not get the page: %v", err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if err != nil {
				s.Failf(suite.Violation, "Go's net/http client could not read the body: %v", err)
			}
			s.Transcript().Note("net/http", "got %q, Content-Type %q, %d bytes", resp.Status, resp.Header.Get("Content-Type"), len(body))
			expectClientPage(s, "net/http", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}, Label("client-nethttp"))

		Check("curl gets the page", func(ctx SpecContext, s *Session) {
			curl := program("curl", "curl")
			dir := GinkgoT().TempDir()
			out := s.run(ctx, nil, curl, "-sS", "--max-time", "5", "-o", filepath.Join(dir, "body"),
				"-w", "%{http_code}\n%{content_type}\n", "http://"+s.Addr()+"/")
			var code int
			var contentType string
			fmt.Sscanf(string(out), "%d\n", &code)
			if lines := strings.SplitN(string(out), "\n", 3); len(lines) > 1 {
				contentType = lines[1]
			}
			body, err := os.ReadFile(filepath.Join(dir, "body"))
			s.Expect(err).NotTo(HaveOccurred())
			expectClientPage(s, "curl", code, contentType, body)
		}, Label("client-curl"))

		Check("Python's http.client and urllib get the page", func(ctx SpecContext, s *Session) {
			python := program("python3", "python3")
			out := s.run(ctx, []byte(pythonFetch), python, "-", s.Addr())
			var got map[string]struct {
				Status      int    `json:"status"`
				ContentType string `json:"content_type"`
				Body        string `json:"body"` // latin-1: one rune per byte
			}
			if err := json.Unmarshal(out, &got); err != nil {
				s.Failf(suite.Violation, "python3 printed no result: %s", suite.Quote(out))
			}
			for _, client := range []string{"http.client", "urllib"} {
				r := got[client]
				body := make([]byte, 0, len(r.Body))
				for _, c := range r.Body {
					body = append(body, byte(c))
				}
				expectClientPage(s, "Python's "+client, r.Status, r.ContentType, body)
			}
		}, Label("client-python"))

		Check("headless Chromium shows the title and heading Hello, World!", func(ctx SpecContext, s *Session) {
			dom := s.run(ctx, nil, program("chromium", "chromium"), chromiumArgs(loadFor5s, "--dump-dom", "http://"+s.Addr()+"/")...)
			for _, tag := range []string{"title", "h1"} {
				m := regexp.MustCompile(`(?s)<` + tag + `>(.*?)</` + tag + `>`).FindSubmatch(dom)
				if m == nil || string(m[1]) != "Hello, World!" {
					s.Failf(suite.WrongBytes, "Chromium's document has no <%s>Hello, World!</%s>; its DOM: %s", tag, tag, suite.Quote(dom[:min(len(dom), 300)]))
				}
			}
		}, Label("client-chromium"))
	})

	DescribeClause("http-hello-6", func() {
		Check("headless Chromium's own request for /favicon.ico gets 404", func(ctx SpecContext, s *Session) {
			chromium := program("chromium", "chromium")
			proxy, err := s.Record("chromium")
			s.Expect(err).NotTo(HaveOccurred())
			// A screenshot makes the browser fetch the favicon, as a
			// window would; --dump-dom alone does not.
			shot := filepath.Join(GinkgoT().TempDir(), "page.png")
			s.run(ctx, nil, chromium, chromiumArgs("--screenshot="+shot, "--window-size=400,300", "http://"+proxy.Addr()+"/")...)
			proxy.Close()
			status, asked := proxy.StatusOf("GET", "/favicon.ico")
			switch {
			case !asked:
				s.Failf(suite.Violation, "Chromium never asked for /favicon.ico (see the transcript of its requests)")
			case status != 404:
				s.Failf(suite.Violation, "Chromium's GET /favicon.ico got status %d, not 404", status)
			}
		}, Label("client-chromium"))
	})

	DescribeClause("http-hello-15", func() {
		Check("Go's net/http client reuses the connection for a second request", func(ctx SpecContext, s *Session) {
			client := newHTTPClient()
			defer client.CloseIdleConnections()
			var reused []bool
			for range 2 {
				trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { reused = append(reused, info.Reused) }}
				req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), "GET", "http://"+s.Addr()+"/", nil)
				s.Expect(err).NotTo(HaveOccurred())
				resp, err := client.Do(req)
				if err != nil {
					s.Failf(suite.Violation, "Go's net/http client could not get the page: %v", err)
				}
				io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
				resp.Body.Close()
				if resp.Close {
					s.Transcript().Note("net/http", "the response said Connection: close; the connection cannot be reused")
					return // http-hello-15 allows that
				}
			}
			if len(reused) != 2 || !reused[1] {
				s.Failf(suite.Violation, "net/http opened a new connection for the second request: the server did not keep the first one open")
			}
		}, Label("client-nethttp"))
	})
})

// newHTTPClient is Go's net/http client as a program would use it, but with
// a bound on response headers: a flooding server must not make the harness
// buffer the default 10 MB.
func newHTTPClient() *http.Client {
	return &http.Client{Timeout: requestTimeout, Transport: &http.Transport{MaxResponseHeaderBytes: 64 << 10}}
}

// expectClientPage checks what a client got for GET /.
func expectClientPage(s *Session, client string, status int, contentType string, body []byte) {
	mediaType, params, _ := mime.ParseMediaType(contentType)
	switch {
	case status != 200:
		s.Failf(suite.Violation, "%s got status %d, not 200", client, status)
	case mediaType != "text/html" || !strings.EqualFold(params["charset"], "utf-8"):
		s.Failf(suite.Violation, "%s got Content-Type %q, not text/html with charset=utf-8", client, contentType)
	case !bytes.Equal(body, []byte(page)):
		s.Failf(suite.WrongBytes, "%s got a body that is not the page: %s", client, suite.DiffBytes([]byte(page), body))
	}
}

// chromiumArgs are the flags headless Chromium needs on a machine with no
// network, display or sandbox, with a fresh profile each time.
func chromiumArgs(args ...string) []string {
	profile, _ := os.MkdirTemp("", "socketspec-chromium-")
	DeferCleanup(os.RemoveAll, profile)
	return append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile}, args...)
}

// loadFor5s stops Chromium loading a page after 5 s, and it then shows
// what has come: a response that never ends (a Content-Length the browser
// cannot use) would otherwise keep it waiting 10 s. Not for the favicon
// check: Chromium asks for the icon only once the page has loaded.
const loadFor5s = "--timeout=5000"

// pythonFetch gets / with http.client and with urllib and prints both.
const pythonFetch = `
import http.client, json, sys, urllib.request
host, port = sys.argv[1].rsplit(":", 1)
c = http.client.HTTPConnection(host, int(port), timeout=5)
c.request("GET", "/")
r = c.getresponse()
hc = {"status": r.status, "content_type": r.getheader("Content-Type") or "", "body": r.read().decode("latin-1")}
u = urllib.request.urlopen("http://%s/" % sys.argv[1], timeout=5)
ul = {"status": u.status, "content_type": u.headers.get("Content-Type") or "", "body": u.read().decode("latin-1")}
print(json.dumps({"http.client": hc, "urllib": ul}))
`

// The nc checks are filed under the clause that ends them: nc -N
// half-closes after its input and exits once the server closes (echo-4),
// and nc -d exits once the welcome server closes (welcome-2). What they
// print is echo-1's and welcome-1's business too, which those clauses
// presume.

var _ = Protocol("echo", func() {
	DescribeClause("echo-4", func() {
		Check("nc -N sends a file, half-closes, and gets the same bytes back before the server closes", func(ctx SpecContext, s *Session) {
			nc := openbsdNetcat(ctx)
			data := pseudoRandom(64<<10, 61)
			host, port := splitAddr(s.Addr())
			out := s.runNetcat(ctx, data, nc, "-N", host, port)
			if d := suite.DiffBytes(data, out); d != "" || len(out) != len(data) {
				s.Failf(suite.WrongBytes, "nc got back %d of the %d bytes it sent: %s", len(out), len(data), d)
			}
		}, Label("client-nc"))
	})
})

var _ = Protocol("welcome", func() {
	DescribeClause("welcome-2", func() {
		Check("nc prints the banner and exits when the server closes", func(ctx SpecContext, s *Session) {
			nc := openbsdNetcat(ctx)
			host, port := splitAddr(s.Addr())
			out := s.runNetcat(ctx, nil, nc, "-d", host, port)
			switch string(out) {
			case s.Profile.banner(), s.Profile.banner() + "\n", s.Profile.banner() + "\r\n":
			default:
				s.Failf(suite.WrongBytes, "nc printed %s, not the banner", suite.Quote(out))
			}
		}, Label("client-nc"))
	})
})

// runNetcat is run for nc, given no idle timeout (-w): nc exits 0 when its
// -w timeout ends it, just as when the server closes, so the two could not
// be told apart. Without one, nc exits only once the server closes, and a
// nc still running when its time is up was waiting for a close that never
// came.
func (s *Session) runNetcat(ctx SpecContext, stdin []byte, nc string, args ...string) []byte {
	s.Transcript().Note("nc", "runs nc %s", strings.Join(args, " "))
	out, _, err := suite.RunProgram(ctx, clientTimeout, stdin, nc, args...)
	s.Transcript().Note("nc", "printed %d bytes: %s", len(out), suite.Quote(out[:min(len(out), 120)]))
	if suite.IsKind(err, suite.TimedOut) {
		s.Failf(suite.NotClosed, "nc was still running after %v, having printed %d bytes: it exits once the server closes the connection, and the server had not closed it", clientTimeout, len(out))
	}
	if err != nil {
		s.fail(err.Error(), 1)
	}
	return out
}

// openbsdNetcat returns nc if it is OpenBSD's (the one with -N and -d).
func openbsdNetcat(ctx SpecContext) string {
	nc := program("nc", "netcat-openbsd")
	if _, help, _ := suite.RunProgram(ctx, 5*time.Second, nil, nc, "-h"); !bytes.Contains(help, []byte("OpenBSD")) {
		Skip("nc is not OpenBSD's netcat (apt-get install netcat-openbsd)")
	}
	return nc
}

var _ = Protocol("chat", func() {
	DescribeClause("chat-2", func() {
		Check("two ncat clients see each other's lines as [HOST:PORT]line", func(ctx SpecContext, s *Session) {
			ncat := program("ncat", "ncat")
			a, b := startNcat(ctx, s, ncat, "ncat-A"), startNcat(ctx, s, ncat, "ncat-B")
			// Both are connected before ncat-A says anything: lines said
			// before would go out in one write, and several lines in one
			// read are chat-7's business.
			for _, c := range []*ncatClient{a, b} {
				s.Eventually(c.Err()).WithContext(ctx).Within(5*time.Second).Should(gbytes.Say(`Connected to`),
					"timed out: %s did not connect within 5 s", c.name)
			}
			// A repeats its line until B shows it: then both have surely
			// joined (see chat.md on joining), and B's one line must
			// reach A.
			s.Eventually(func() *gbytes.Buffer {
				a.say("hello from ncat-A")
				return b.Out()
			}).WithContext(ctx).Within(5*time.Second).ProbeEvery(250*time.Millisecond).Should(gbytes.Say(`hello from ncat-A\n`),
				"timed out: ncat-B did not print ncat-A's line within 5 s")
			b.say("hello from ncat-B")
			s.Eventually(a.Out()).WithContext(ctx).Within(replyTimeout).Should(gbytes.Say(`hello from ncat-B\n`),
				"timed out: ncat-A did not print ncat-B's line within %v", replyTimeout)
			relayed := regexp.MustCompile(`^\[(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}\]hello from ncat-[AB]$`)
			if s.Profile.prefix != nil {
				relayed = regexp.MustCompile(s.Profile.prefix.String() + `hello from ncat-[AB]$`)
			}
			// The lines that carry what the clients said are judged; what
			// the server says of its own on joining is chat-1's business.
			for _, c := range []*ncatClient{a, b} {
				for _, line := range strings.Split(strings.TrimSuffix(string(c.Out().Contents()), "\n"), "\n") {
					if strings.Contains(line, "hello from ncat-") && !relayed.MatchString(line) {
						s.Failf(suite.WrongBytes, "%s printed %s, not a relayed line of the form %s", c.name, suite.Quote([]byte(line)), relayed)
					}
				}
			}
		}, Label("client-ncat"))
	})
})

// An ncatClient is a running `ncat -v HOST PORT`, fed through a pipe; what
// it prints is in Out, and it says "Connected to" in Err.
type ncatClient struct {
	*suite.Process
	name string
}

func startNcat(ctx SpecContext, s *Session, ncat, name string) *ncatClient {
	host, port := splitAddr(s.Addr())
	p, err := suite.StartProcess(ctx, exec.Command(ncat, "-v", host, port), suite.WithStdinPipe(), suite.WithBufferLimit(1<<20))
	s.Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		// It ends as a user ends it, at the end of its input: it closes
		// its connection in order and exits. It is killed only if not.
		p.Stdin().Close()
		select {
		case <-p.Exited():
		case <-time.After(2 * time.Second):
		}
		p.Stop()
	})
	return &ncatClient{Process: p, name: name}
}

func (c *ncatClient) say(line string) { io.WriteString(c.Stdin(), line+"\n") }

func splitAddr(addr string) (host, port string) {
	i := strings.LastIndex(addr, ":")
	return strings.Trim(addr[:i], "[]"), addr[i+1:]
}
