package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/socketspec/conformance/specs"
)

// explainWidth is the width explain wraps its prose to.
const explainWidth = 78

const explainUsage = "usage: conformance explain CLAUSE-ID|PROTOCOL, e.g. conformance explain echo-4, conformance explain echo"

// explain runs `conformance explain NAME`: for a learner, what a clause or
// a protocol asks of a server and why, from the spec documents and the
// failures recorded from the faulty servers, all embedded in the command.
func explain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprintln(stdout, explainUsage)
		return exitPass
	}
	if len(args) != 1 {
		fmt.Fprintf(stderr, "conformance: explain takes one clause ID or protocol, got %d arguments\n%s\n", len(args), explainUsage)
		return exitUsage
	}
	name := args[0]
	if slices.Contains(allProtocols(), name) {
		return explainProtocol(name, stdout, stderr)
	}
	if c, err := specs.Lookup(name); err == nil {
		explainClause(c, stdout)
		return exitPass
	}
	fmt.Fprintf(stderr, "conformance: %s\n", unknownName(name))
	return exitUsage
}

// explainClause prints a clause: its words, why, the classic mistake, a
// real failure and the fix.
func explainClause(c specs.Clause, w io.Writer) {
	fmt.Fprintf(w, "%s  %s  (specs/%s.md)\n", c.ID, c.Level, c.Protocol)
	fmt.Fprint(w, wrap(c.Text, "  "))
	if len(c.Presumes) > 0 {
		premises := fmt.Sprintf("(It is checked only when %s passes: it presumes it.)", c.Presumes[0])
		if len(c.Presumes) > 1 {
			premises = fmt.Sprintf("(It is checked only when %s pass: it presumes them.)", andList(c.Presumes))
		}
		fmt.Fprint(w, wrap(premises, "  "))
	}
	section(w, "Why", c.Why)
	section(w, "The classic mistake", c.Mistake)
	fmt.Fprintln(w, "\nWhat the failure looks like")
	if e, ok := specs.FailureExcerpt(c.ID); ok {
		kind := "server"
		if specs.IsClient(c.Protocol) {
			kind = "client"
		}
		fmt.Fprint(w, wrap(fmt.Sprintf("Against the faulty %s %s, which %s, this check failed: %s", kind, e.Fault, e.Defect, e.Check), "  "))
		fmt.Fprintln(w)
		for _, line := range strings.Split(e.Message, "\n") {
			fmt.Fprintln(w, strings.TrimRight("    "+line, " "))
		}
	} else {
		fmt.Fprintln(w, "  (no failure recorded for this clause yet)")
	}
	section(w, "The fix", c.Fix)
	if specs.IsClient(c.Protocol) {
		args := "{host} {port}"
		if c.Protocol == specs.ClientOf("http-hello") {
			args = "{url}"
		}
		fmt.Fprintf(w, "\nCheck your client against it: conformance --client --protocol %s --cmd 'YOUR CLIENT %s' --focus '%s\\b'\n", strings.TrimSuffix(c.Protocol, "-client"), args, regexp.QuoteMeta(c.ID))
		return
	}
	fmt.Fprintf(w, "\nCheck your server against it: conformance --protocol %s --cmd 'YOUR SERVER {port}' --focus '%s\\b'\n", c.Protocol, regexp.QuoteMeta(c.ID))
}

// explainProtocol prints a protocol's overview and its clauses, a line of
// words and a line of why each.
func explainProtocol(protocol string, w, stderr io.Writer) int {
	o, err1 := specs.ProtocolOverview(protocol)
	clauses, err2 := specs.Clauses(protocol)
	if err := errors.Join(err1, err2); err != nil {
		fmt.Fprintf(stderr, "conformance: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(w, "%s  (specs/%s.md)\n", o.Title, protocol)
	for _, p := range o.Paragraphs {
		fmt.Fprintln(w)
		if strings.HasPrefix(p, " ") { // a code block, as it is
			fmt.Fprintln(w, p)
		} else {
			fmt.Fprint(w, wrap(p, "  "))
		}
	}
	fmt.Fprintf(w, "\nIts %d clauses (a failed MUST: the server does not conform; a failed SHOULD: a warning,\na failure under --strict):\n\n", len(clauses))
	width := 0
	for _, c := range clauses {
		width = max(width, len(c.ID))
	}
	for _, c := range clauses {
		fmt.Fprintf(w, "  %-*s  %-6s  %s\n", width, c.ID, c.Level, c.Text)
		if c.Why != "" {
			fmt.Fprintf(w, "  %-*s  %-6s  Why: %s\n", width, "", "", c.Why)
		}
	}
	fmt.Fprintf(w, "\nExplain one (the classic mistake, a real failure, the fix): conformance explain %s\n", clauses[0].ID)
	return exitPass
}

// section prints a titled paragraph.
func section(w io.Writer, title, text string) {
	fmt.Fprintf(w, "\n%s\n", title)
	if text == "" {
		text = "(not written yet)"
	}
	fmt.Fprint(w, wrap(text, "  "))
}

// clauseNumber matches the number at the end of a clause ID.
var clauseNumber = regexp.MustCompile(`^\d+$`)

// unknownName says that name is neither a protocol nor a clause, and
// suggests the nearest names.
func unknownName(name string) string {
	// A protocol's name with a clause number it does not have.
	for _, p := range allProtocols() {
		num, ok := strings.CutPrefix(name, p+"-")
		if !ok || !clauseNumber.MatchString(num) {
			continue
		}
		if clauses, err := specs.Clauses(p); err == nil {
			return fmt.Sprintf("no clause %s: %s has %s to %s (conformance explain %s lists them)",
				name, p, clauses[0].ID, clauses[len(clauses)-1].ID, p)
		}
	}
	var names []string
	for _, p := range allProtocols() {
		names = append(names, p)
		if clauses, err := specs.Clauses(p); err == nil {
			for _, c := range clauses {
				names = append(names, c.ID)
			}
		}
	}
	if near := nearest(name, names); len(near) > 0 {
		return fmt.Sprintf("no clause or protocol %q; did you mean %s?", name, orList(near))
	}
	return fmt.Sprintf("no clause or protocol %q (protocols: %s; clause IDs such as echo-4: conformance --list)",
		name, strings.Join(allProtocols(), ", "))
}

// nearest returns the names closest to name in edit distance, at most
// three, and none that differs in more than a third of its letters.
func nearest(name string, names []string) []string {
	best := len(name)/3 + 1
	var out []string
	for _, n := range names {
		switch d := editDistance(strings.ToLower(name), n); {
		case d < best:
			best, out = d, []string{n}
		case d == best && len(out) < 3:
			out = append(out, n)
		}
	}
	return out
}

// editDistance is the Levenshtein distance between a and b: the fewest
// single-byte insertions, deletions and substitutions that turn a into b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// wrap breaks text into lines of at most explainWidth characters, each
// starting with indent (a word longer than a line gets a line of its own).
func wrap(text, indent string) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > explainWidth {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	if len(line) > len(indent) {
		b.WriteString(line + "\n")
	}
	return b.String()
}

// allProtocols are the protocols of every spec document: the servers',
// then the clients'.
func allProtocols() []string { return append(specs.Protocols(), specs.ClientProtocols()...) }
