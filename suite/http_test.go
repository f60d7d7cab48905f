package suite_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega/gexec"

	"github.com/socketspec/conformance/fixtures/faulty"
	"github.com/socketspec/conformance/suite"
)

// parse parses one whole response to GET, failing the test if it cannot.
func parse(t *testing.T, data string) *suite.Response {
	t.Helper()
	r, n, err := suite.ParseResponse([]byte(data), "GET", true, "the response to GET /")
	if err != nil || n != len(data) {
		t.Fatalf("%q: took %d of %d bytes, error %v", data, n, len(data), err)
	}
	return r
}

// TestParseResponseIsLenientAndRecordsFlaws: a response that breaks a
// rule for generating one, but that a recipient may still read, is read,
// and the broken rule is among its Flaws, with what the server sent.
func TestParseResponseIsLenientAndRecordsFlaws(t *testing.T) {
	const body = "\r\n\r\nhello"
	for _, tc := range []struct {
		name, data string
		rule       suite.Rule
		detail     string // in the flaw's detail
		check      func(r *suite.Response) bool
	}{
		{"no space before an empty reason", "HTTP/1.1 404\r\nContent-Length: 5" + body,
			suite.StatusLineRule, "no space after its status code", func(r *suite.Response) bool { return r.StatusCode == 404 }},
		{"a control byte in the reason", "HTTP/1.1 200 O\x01K\r\nContent-Length: 5" + body,
			suite.StatusLineRule, `control byte "\x01"`, nil},
		{"a version that is not DIGIT.DIGIT", "HTTP/1.10 200 OK\r\nContent-Length: 5" + body,
			suite.StatusLineRule, `the version "HTTP/1.10"`, nil},
		{"bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 5\n\nhello",
			suite.LineEndRule, "3 of the 3 lines", func(r *suite.Response) bool { return string(r.Body) == "hello" }},
		{"whitespace before a colon", "HTTP/1.1 200 OK\r\nContent-Type : text/html\r\nContent-Length: 5" + body,
			suite.FieldLineRule, "whitespace between the field name and the colon", func(r *suite.Response) bool { return r.Get("Content-Type") == "text/html" }},
		{"a field name that is not a token", "HTTP/1.1 200 OK\r\nX(y): 1\r\nContent-Length: 5" + body,
			suite.FieldLineRule, "not a token", nil},
		{"a NUL in a value", "HTTP/1.1 200 OK\r\nServer: tiny\x00\r\nContent-Length: 5" + body,
			suite.FieldLineRule, "NUL", nil},
		{"a CR in a value", "HTTP/1.1 200 OK\r\nServer: a\rb\r\nContent-Length: 5" + body,
			suite.FieldLineRule, "CR", nil},
		{"a folded field", "HTTP/1.1 200 OK\r\nContent-Type: text/html;\r\n charset=utf-8\r\nContent-Length: 5" + body,
			suite.FieldLineRule, "obs-fold", func(r *suite.Response) bool { return r.Get("Content-Type") == "text/html; charset=utf-8" }},
		{"a sign in Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: +5" + body,
			suite.FramingRule, `"+5" is not a decimal number`, func(r *suite.Response) bool { return r.ContentLength == 5 }},
		{"two different Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6" + body,
			suite.FramingRule, `"5" and "6"`, func(r *suite.Response) bool { return string(r.Body) == "hello" }},
		{"a list of different Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 5, 6" + body,
			suite.FramingRule, "values that differ", nil},
		{"Content-Length and Transfer-Encoding", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
			suite.FramingRule, "both Content-Length", func(r *suite.Response) bool { return r.Framing == "chunked" }},
	} {
		r := parse(t, tc.data)
		flaws := r.FlawsOf(tc.rule)
		if len(flaws) != 1 || !strings.Contains(flaws[0].Detail, tc.detail) || len(r.Flaws) != 1 {
			t.Errorf("%s: flaws %+v, want one of rule %q saying %q", tc.name, r.Flaws, tc.rule, tc.detail)
		}
		if tc.check != nil && !tc.check(r) {
			t.Errorf("%s: not read as a recipient may: %+v", tc.name, r)
		}
	}
}

// TestParseResponseFindsNoFlawInWhatIsAllowed: what the grammar allows is
// no flaw, however unusual.
func TestParseResponseFindsNoFlawInWhatIsAllowed(t *testing.T) {
	for _, data := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 0104\r\n\r\n" + strings.Repeat("x", 104),
		"HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n",                                         // an empty reason phrase
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",             // identical
		"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello",                               // identical
		"HTTP/1.1 200 OK\r\nX-A:no-space\r\nX-B: \ttabs\t \r\nX-C: caf\xc3\xa9 \xff\r\n\r\n", // obs-text, OWS
		"HTTP/1.0 200 Fine, thanks\r\n\r\nclose-delimited",
	} {
		r := parse(t, data)
		if len(r.Flaws) > 0 {
			t.Errorf("%q: flaws %+v, want none", data, r.Flaws)
		}
	}
	if r := parse(t, "HTTP/1.1 200 OK\r\nContent-Length: 0104\r\n\r\n"+strings.Repeat("x", 104)); r.ContentLength != 104 || len(r.Body) != 104 {
		t.Errorf("Content-Length: 0104 read as %d, with a %d-byte body; want 104", r.ContentLength, len(r.Body))
	}
}

// TestUnreadableBy: a response ParseResponse cannot read at all is
// diagnosed with the rule it broke.
func TestUnreadableBy(t *testing.T) {
	for data, want := range map[string]suite.Rule{
		"SSH-2.0-OpenSSH\r\n":                                         suite.StatusLineRule,
		"HTTP/1.1 200 OK\r\nBad Field: x\r\n\r\n":                     suite.FieldLineRule,
		"HTTP/1.1 200 OK\r\nContent-Length: 1.5\r\n\r\n":              suite.FramingRule,
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n": suite.FramingRule,
	} {
		_, _, err := suite.ParseResponse([]byte(data), "GET", true, "the response")
		if got, ok := suite.UnreadableBy(err); !ok || got != want {
			t.Errorf("%q: UnreadableBy(%v) = %q, %v; want %q", data, err, got, ok, want)
		}
	}
	if _, ok := suite.UnreadableBy(suite.Errorf(suite.TimedOut, "c: timed out waiting for the status line of the response")); ok {
		t.Errorf("a response that did not come is not unreadable")
	}
}

// TestHTTPLookalikes runs the conformance command, strict, against servers
// that look faulty but are correct (faulty.HTTPLookalikes), which must pass
// every clause, and against one that gets Content-Length wrong, which must
// fail http-hello-20, the clause that compares it with the page. The real
// client programs are left out (an empty PATH); Go's net/http client stays.
func TestHTTPLookalikes(t *testing.T) {
	bin, err := gexec.Build("github.com/socketspec/conformance/cmd/conformance")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gexec.CleanupBuildArtifacts)
	wrong, _ := faulty.Find("http-content-length-off-by-one")
	for _, f := range append(slices.Clone(faulty.HTTPLookalikes), wrong) {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			code, res := conformance(t, bin, f)
			var failed []string
			for _, p := range res.Protocols {
				for _, c := range p.Clauses {
					if c.Status != suite.Passed {
						failed = append(failed, c.ID)
					}
				}
			}
			switch {
			case f.Name == wrong.Name && (code != 1 || !slices.Contains(failed, "http-hello-20")):
				t.Errorf("%s (%s): exit %d, clauses not passed %v; want http-hello-20 among them", f.Name, f.Why, code, failed)
			case f.Name != wrong.Name && (code != 0 || len(failed) > 0 || len(res.Protocols) != 1):
				t.Errorf("%s (%s) is correct, but: exit %d, clauses not passed %v", f.Name, f.Why, code, failed)
			}
		})
	}
}

// conformance runs the command, strict, against the server f in this
// process, and returns its exit status and its JSON report.
func conformance(t *testing.T, bin string, f faulty.Fault) (int, suite.Result) {
	target := suite.InProcess(f.Name, f.Serve)
	if err := target.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer target.Stop()
	report := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--protocol", f.Protocol, "--addr", target.Addr(), "--strict", "--json", report)
	cmd.Env = append(os.Environ(), "PATH=")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("conformance: %v\n%s", err, out)
	}
	var res suite.Result
	data, err := os.ReadFile(report)
	if err == nil {
		err = json.Unmarshal(data, &res)
	}
	if err != nil {
		t.Fatalf("the report of conformance: %v\n%s", err, out)
	}
	return cmd.ProcessState.ExitCode(), res
}
