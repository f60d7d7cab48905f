package specs

import (
	"embed"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/socketspec/conformance/suite"
)

// The spec documents are the single source of every clause's ID, level and
// wording: the Ginkgo specs, --list, explain and the reports all read them
// from here. Every file specs/NAME.md is the document of protocol NAME.
//
// # The format of a clause
//
// A clause is a Markdown list item at the start of a line, its ID in bold,
// then its sentence, which says MUST or SHOULD (the first one sets its level):
//
//	## Clauses
//
//	- **echo-4** After the client half-closes its side ..., the server MUST ...
//	  - Presumes: echo-1
//	    (an optional note in parentheses, on lines indented further).
//	  - Why: why a correct server must do this, citing the RFC where there is one.
//	  - Mistake: the classic way tutorial code breaks it, concretely.
//	  - Fix: what to change, concretely.
//
// Clauses are numbered 1, 2, 3... in document order. The detail lines are
// indented list items under the clause, each "Key: text", in this order:
// Presumes (optional: the clauses its checks cannot be judged without),
// then Why, Mistake and Fix (every clause has them: a test says so; they
// are what `conformance explain` prints). A detail's text may go on over
// lines indented further. Any other key is an error.
//
//go:embed *.md
var documents embed.FS

// Level is how binding a clause is, in the sense of RFC 2119.
type Level string

const (
	Must   Level = "MUST"
	Should Level = "SHOULD"
)

// A Clause is one numbered requirement of a spec document.
type Clause struct {
	ID       string // e.g. "echo-4"
	Protocol string // e.g. "echo"
	Level    Level
	Text     string // the sentence, with Markdown links reduced to their text
	Number   int
	// Presumes lists the clauses this one's checks cannot be judged
	// without: when one of them fails, this clause is not checked, and is
	// reported as following from it (its "Presumes:" line).
	Presumes []string
	// Why the clause exists, the classic mistake that breaks it and the
	// fix, for a learner (its "Why:", "Mistake:" and "Fix:" lines), with
	// Markdown reduced to text as in Text.
	Why, Mistake, Fix string
}

// detailKeys are the keys of a clause's detail lines, in the order they
// must come in.
var detailKeys = []string{"Presumes", "Why", "Mistake", "Fix"}

// clauseLine matches "- **echo-4** The server MUST ...".
var clauseLine = regexp.MustCompile(`^- \*\*([a-z-]+)-(\d+)\*\* (.+)$`)

// clauseDetail matches an indented line under a clause, such as
// "  - Presumes: echo-1, echo-3".
var clauseDetail = regexp.MustCompile(`^\s+- ([A-Z][a-z]+( [a-z]+)*): (.+)$`)

// markdownLink matches "[text](url)".
var markdownLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

// plainText reduces a clause's Markdown to text: links to their text,
// inline code to its content.
func plainText(md string) string {
	return strings.ReplaceAll(markdownLink.ReplaceAllString(md, "$1"), "`", "")
}

// Clauses returns every clause of the protocol's document, in order, or an
// error when the document is missing or malformed.
func Clauses(protocol string) ([]Clause, error) {
	md, err := documents.ReadFile(protocol + ".md")
	if err != nil {
		return nil, fmt.Errorf("no spec document for protocol %q", protocol)
	}
	return parseClauses(protocol, md)
}

// parseClauses reads the clauses of a protocol's document, md.
func parseClauses(protocol string, md []byte) ([]Clause, error) {
	var out []Clause
	underClause := false // the lines since the last clause line are its details
	lastKey := ""        // the key of the clause's last detail line so far
	for _, line := range strings.Split(string(md), "\n") {
		if d := clauseDetail.FindStringSubmatch(line); d != nil && underClause {
			if err := addDetail(&out[len(out)-1], lastKey, d[1], d[3]); err != nil {
				return nil, fmt.Errorf("%s.md: %v", protocol, err)
			}
			lastKey = d[1]
			continue
		}
		m := clauseLine.FindStringSubmatch(line)
		if m == nil {
			// An indented line continues the clause: the text of its
			// last detail goes on (a note under Presumes is not kept).
			// Anything else ends it.
			underClause = underClause && strings.HasPrefix(line, " ")
			if underClause {
				continueDetail(&out[len(out)-1], lastKey, strings.TrimSpace(line))
			}
			continue
		}
		underClause, lastKey = true, ""
		if m[1] != protocol {
			return nil, fmt.Errorf("%s.md: clause %s-%s belongs to another protocol", protocol, m[1], m[2])
		}
		n, _ := strconv.Atoi(m[2])
		text := plainText(m[3])
		c := Clause{ID: m[1] + "-" + m[2], Protocol: protocol, Number: n, Text: text, Level: levelOf(text)}
		if c.Level == "" {
			return nil, fmt.Errorf("%s.md: clause %s says neither MUST nor SHOULD", protocol, c.ID)
		}
		if len(out) > 0 && out[len(out)-1].Number != n-1 || len(out) == 0 && n != 1 {
			return nil, fmt.Errorf("%s.md: clause %s is out of sequence", protocol, c.ID)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s.md has no clauses", protocol)
	}
	for i := range out {
		for _, p := range []*string{&out[i].Why, &out[i].Mistake, &out[i].Fix} {
			*p = plainText(*p)
		}
	}
	if err := checkPresumptions(out); err != nil {
		return nil, fmt.Errorf("%s.md: %v", protocol, err)
	}
	return out, nil
}

// addDetail adds a detail line ("Presumes: echo-1", "Why: ...") to its
// clause, whose last detail line so far had the key after.
func addDetail(c *Clause, after, key, value string) error {
	rank := slices.Index(detailKeys, key)
	switch {
	case rank < 0:
		return fmt.Errorf("clause %s: unknown detail %q (known: %s)", c.ID, key, strings.Join(detailKeys, ", "))
	case rank <= slices.Index(detailKeys, after):
		return fmt.Errorf("clause %s: detail %q after %q (the order is %s, each at most once)", c.ID, key, after, strings.Join(detailKeys, ", "))
	}
	if key == "Presumes" {
		for _, id := range strings.Split(value, ",") {
			c.Presumes = append(c.Presumes, strings.TrimSpace(id))
		}
		return nil
	}
	*proseDetail(c, key) = value // reduced to text once whole, see parseClauses
	return nil
}

// continueDetail adds a line that continues the clause's detail line of
// the given key (an empty key: the clause has no detail yet).
func continueDetail(c *Clause, key, line string) {
	if p := proseDetail(c, key); p != nil && line != "" {
		*p += " " + line
	}
}

// proseDetail is the field of the clause that holds the detail of the
// given key, or nil for a key that holds no prose.
func proseDetail(c *Clause, key string) *string {
	switch key {
	case "Why":
		return &c.Why
	case "Mistake":
		return &c.Mistake
	case "Fix":
		return &c.Fix
	}
	return nil
}

// checkPresumptions checks that every clause presumes clauses of its own
// document, none at a lower level (a MUST clause left unchecked because a
// SHOULD clause failed would let a run pass without it), and no cycle.
func checkPresumptions(clauses []Clause) error {
	byID := map[string]Clause{}
	for _, c := range clauses {
		byID[c.ID] = c
	}
	for _, c := range clauses {
		for _, id := range c.Presumes {
			p, ok := byID[id]
			switch {
			case !ok:
				return fmt.Errorf("clause %s presumes %s, which is not a clause of this document", c.ID, id)
			case id == c.ID:
				return fmt.Errorf("clause %s presumes itself", c.ID)
			case c.Level == Must && p.Level == Should:
				return fmt.Errorf("clause %s (MUST) presumes %s (SHOULD): a failed SHOULD clause must not leave a MUST clause unchecked", c.ID, id)
			}
		}
	}
	if _, err := presumptionOrder(clauses); err != nil {
		return err
	}
	return nil
}

// presumptionOrder orders clauses so that each comes after every clause it
// presumes, and otherwise in document order: the order the checks run in,
// so that a clause's premises are judged before it.
func presumptionOrder(clauses []Clause) ([]Clause, error) {
	var out []Clause
	done := map[string]bool{}
	for len(out) < len(clauses) {
		progress := false
		for _, c := range clauses {
			if done[c.ID] {
				continue
			}
			ready := true
			for _, id := range c.Presumes {
				ready = ready && done[id]
			}
			if ready {
				out, done[c.ID], progress = append(out, c), true, true
				break // the earliest ready clause first, then look again
			}
		}
		if !progress {
			var stuck []string
			for _, c := range clauses {
				if !done[c.ID] {
					stuck = append(stuck, c.ID)
				}
			}
			return nil, fmt.Errorf("the presumptions of %s form a cycle", strings.Join(stuck, ", "))
		}
	}
	return out, nil
}

// Consequences says, for each clause, from which failed clauses its own
// result follows: the failed (or warned) clauses it presumes, directly or
// through clauses that were themselves not checked. failed reports whether
// a clause failed or warned; unchecked whether it was not checked.
func Consequences(clauses []Clause, failed, unchecked func(id string) bool) map[string][]string {
	byID := map[string]Clause{}
	for _, c := range clauses {
		byID[c.ID] = c
	}
	var roots func(id string, seen map[string]bool) []string
	roots = func(id string, seen map[string]bool) []string {
		var out []string
		for _, p := range byID[id].Presumes {
			switch {
			case seen[p]:
			case failed(p):
				seen[p] = true
				out = append(out, p)
			case unchecked(p):
				seen[p] = true
				out = append(out, roots(p, seen)...)
			}
		}
		return out
	}
	follows := map[string][]string{}
	for _, c := range clauses {
		if r := roots(c.ID, map[string]bool{}); len(r) > 0 {
			slices.SortFunc(r, func(a, b string) int { return byID[a].Number - byID[b].Number })
			follows[c.ID] = slices.Compact(r)
		}
	}
	return follows
}

// levelOf is the level of the first RFC 2119 keyword in the sentence:
// "MUST be relayed whole; a longer line MAY ..." is a MUST clause.
func levelOf(text string) Level {
	must, should := strings.Index(text, "MUST"), strings.Index(text, "SHOULD")
	switch {
	case must >= 0 && (should < 0 || must < should):
		return Must
	case should >= 0:
		return Should
	}
	return ""
}

// teachingOrder is the order the tutorials teach the protocols in, and the
// order of reports and of the matrix's columns.
var teachingOrder = []string{"echo", "welcome", "http-hello", "chat", "greeter", "greeter-udp", "echo-udp", "timestamp-echo"}

// Protocols lists the protocols that have a spec document for their
// servers, in teaching order.
func Protocols() []string { return documented(func(name string) bool { return !IsClient(name) }) }

// ClientProtocols lists the protocols whose clients have a spec document
// (specs/<protocol>-client.md), by their client names ("echo-client"), in
// teaching order.
func ClientProtocols() []string { return documented(IsClient) }

// IsClient reports whether protocol names the client side of a protocol,
// such as "echo-client".
func IsClient(protocol string) bool { return strings.HasSuffix(protocol, clientSuffix) }

// ClientOf names the client side of a server protocol: "echo" gives
// "echo-client".
func ClientOf(protocol string) string { return protocol + clientSuffix }

const clientSuffix = "-client"

// documented lists the spec documents whose names keep says, in teaching
// order: the order of their servers, each client after its server.
func documented(keep func(name string) bool) []string {
	entries, _ := documents.ReadDir(".")
	var out []string
	for _, e := range entries {
		if name := strings.TrimSuffix(e.Name(), ".md"); keep(name) {
			out = append(out, name)
		}
	}
	rank := func(p string) int {
		if i := slices.Index(teachingOrder, strings.TrimSuffix(p, clientSuffix)); i >= 0 {
			return i
		}
		return len(teachingOrder) // a new protocol goes last until it is ranked
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}

// Network is the transport a protocol runs over, suite.UDP for the
// protocols whose name ends in "-udp", suite.TCP for the others.
func Network(protocol string) string {
	if strings.HasSuffix(strings.TrimSuffix(protocol, clientSuffix), "-udp") {
		return suite.UDP
	}
	return suite.TCP
}

// Lookup finds a clause by its ID in the documents.
func Lookup(id string) (Clause, error) {
	i := strings.LastIndex(id, "-")
	if i < 0 {
		return Clause{}, fmt.Errorf("%q is not a clause ID such as echo-4", id)
	}
	clauses, err := Clauses(id[:i])
	if err != nil {
		return Clause{}, err
	}
	for _, c := range clauses {
		if c.ID == id {
			return c, nil
		}
	}
	return Clause{}, fmt.Errorf("no clause %s in specs/%s.md", id, id[:i])
}

// clauseByID is Lookup for the spec tree. It panics on an unknown ID: that
// is a bug in a spec file, found when the tree is built.
func clauseByID(id string) Clause {
	c, err := Lookup(id)
	if err != nil {
		panic(err)
	}
	return c
}
