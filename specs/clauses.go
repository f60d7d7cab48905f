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
// wording: the Ginkgo specs, --list and the reports all read them from here.
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
}

// clauseLine matches "- **echo-4** The server MUST ...".
var clauseLine = regexp.MustCompile(`^- \*\*([a-z-]+)-(\d+)\*\* (.+)$`)

// markdownLink matches "[text](url)" and inline code backquotes.
var markdownLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)

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
	for _, line := range strings.Split(string(md), "\n") {
		m := clauseLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if m[1] != protocol {
			return nil, fmt.Errorf("%s.md: clause %s-%s belongs to another protocol", protocol, m[1], m[2])
		}
		n, _ := strconv.Atoi(m[2])
		text := strings.ReplaceAll(markdownLink.ReplaceAllString(m[3], "$1"), "`", "")
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
	return out, nil
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

// Protocols lists the protocols that have a spec document, in teaching order.
func Protocols() []string {
	entries, _ := documents.ReadDir(".")
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".md"))
	}
	rank := func(p string) int {
		if i := slices.Index(teachingOrder, p); i >= 0 {
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
	if strings.HasSuffix(protocol, "-udp") {
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
