package specs

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseClauses(t *testing.T) {
	good := `# echo

Some prose, a list that is no clause:

- **not a clause** at all
- **echo-x** neither: no number

## Clauses

- **echo-1** The server MUST accept [TCP](https://example.org) connections.
- **echo-2** It SHOULD send ` + "`hello`" + ` back; a longer line MUST be kept whole.
- **echo-3** It MUST NOT reset it; it SHOULD close with a FIN.
`
	clauses, err := parseClauses("echo", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := []Clause{
		{ID: "echo-1", Protocol: "echo", Level: Must, Number: 1, Text: "The server MUST accept TCP connections."},
		{ID: "echo-2", Protocol: "echo", Level: Should, Number: 2, Text: "It SHOULD send hello back; a longer line MUST be kept whole."},
		{ID: "echo-3", Protocol: "echo", Level: Must, Number: 3, Text: "It MUST NOT reset it; it SHOULD close with a FIN."},
	}
	if len(clauses) != len(want) {
		t.Fatalf("got %d clauses, want %d: %+v", len(clauses), len(want), clauses)
	}
	for i := range want {
		if !reflect.DeepEqual(clauses[i], want[i]) {
			t.Errorf("clause %d:\n got %+v\nwant %+v", i+1, clauses[i], want[i])
		}
	}

	// A protocol whose name has a dash: the number is what follows the last.
	clauses, err = parseClauses("echo-udp", []byte("- **echo-udp-1** It MUST answer.\n"))
	if err != nil || len(clauses) != 1 || clauses[0].ID != "echo-udp-1" || clauses[0].Number != 1 {
		t.Errorf("echo-udp: %+v, %v", clauses, err)
	}
}

func TestParseClausesErrors(t *testing.T) {
	for _, c := range []struct {
		name, md, want string
	}{
		{"clause of another protocol", "- **echo-1** It MUST echo.\n- **welcome-2** It MUST greet.\n",
			"echo.md: clause welcome-2 belongs to another protocol"},
		{"neither MUST nor SHOULD", "- **echo-1** It MUST echo.\n- **echo-2** It MAY close, or must not.\n",
			"echo.md: clause echo-2 says neither MUST nor SHOULD"},
		{"out of sequence", "- **echo-1** It MUST echo.\n- **echo-3** It MUST close.\n",
			"echo.md: clause echo-3 is out of sequence"},
		{"a number repeated", "- **echo-1** It MUST echo.\n- **echo-1** It MUST close.\n",
			"echo.md: clause echo-1 is out of sequence"},
		{"not starting at 1", "- **echo-2** It MUST echo.\n- **echo-3** It MUST close.\n",
			"echo.md: clause echo-2 is out of sequence"},
		{"starting at 0", "- **echo-0** It MUST echo.\n",
			"echo.md: clause echo-0 is out of sequence"},
		{"no clauses", "# echo\n\nProse, and - **echo-1** not at the start of a line.\n",
			"echo.md has no clauses"},
		{"empty", "", "echo.md has no clauses"},
	} {
		t.Run(c.name, func(t *testing.T) {
			clauses, err := parseClauses("echo", []byte(c.md))
			if err == nil || err.Error() != c.want {
				t.Errorf("got %v, %+v; want the error %q", err, clauses, c.want)
			}
		})
	}
}

// A clause's Why, Mistake and Fix lines, which may go on over lines
// indented further, are read as text; they come in order, once each.
func TestParseExplanations(t *testing.T) {
	doc := `- **echo-1** It MUST echo.
  - Why: [RFC 862](https://www.rfc-editor.org/rfc/rfc862) says
    so, in ` + "`one`" + ` sentence.
  - Mistake: one recv() taken as the whole line.
  - Fix: loop.
- **echo-2** It MUST close.
  - Presumes: echo-1
    (a note that is no part of the why).
  - Why: a client waits for EOF.

Prose after the list.
`
	clauses, err := parseClauses("echo", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := Clause{ID: "echo-1", Protocol: "echo", Level: Must, Number: 1, Text: "It MUST echo.",
		Why: "RFC 862 says so, in one sentence.", Mistake: "one recv() taken as the whole line.", Fix: "loop."}
	if !reflect.DeepEqual(clauses[0], want) {
		t.Errorf("echo-1:\n got %+v\nwant %+v", clauses[0], want)
	}
	if c := clauses[1]; c.Why != "a client waits for EOF." || c.Mistake != "" || !reflect.DeepEqual(c.Presumes, []string{"echo-1"}) {
		t.Errorf("echo-2: %+v", c)
	}

	for _, tc := range []struct{ doc, want string }{
		{"- **echo-1** It MUST echo.\n  - Mistake: m\n  - Why: w\n", `echo.md: clause echo-1: detail "Why" after "Mistake" (the order is Presumes, Why, Mistake, Fix, each at most once)`},
		{"- **echo-1** It MUST echo.\n  - Why: w\n  - Why: again\n", `echo.md: clause echo-1: detail "Why" after "Why" (the order is Presumes, Why, Mistake, Fix, each at most once)`},
		{"- **echo-1** It MUST echo.\n  - Why: w\n  - Presumes: echo-2\n- **echo-2** It MUST.\n", `echo.md: clause echo-1: detail "Presumes" after "Why" (the order is Presumes, Why, Mistake, Fix, each at most once)`},
		{"- **echo-1** It MUST echo.\n  - Fixes: f\n", `echo.md: clause echo-1: unknown detail "Fixes" (known: Presumes, Why, Mistake, Fix)`},
	} {
		if _, err := parseClauses("echo", []byte(tc.doc)); err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.doc, err, tc.want)
		}
	}
}

// Every embedded document parses, and Clauses reads them.
func TestClauses(t *testing.T) {
	protocols := Protocols()
	if len(protocols) == 0 {
		t.Fatal("no documents")
	}
	for _, p := range protocols {
		clauses, err := Clauses(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		for i, c := range clauses {
			if c.Protocol != p || c.Number != i+1 || c.Text == "" || strings.Contains(c.Text, "](") {
				t.Errorf("%s: clause %d is %+v", p, i+1, c)
			}
		}
	}
	if _, err := Clauses("nope"); err == nil || err.Error() != `no spec document for protocol "nope"` {
		t.Errorf("an unknown document: %v", err)
	}
	if _, err := Clauses("../go"); err == nil {
		t.Error("a path outside the documents: no error")
	}
}

func TestLookup(t *testing.T) {
	c, err := Lookup("echo-1")
	if err != nil || c.ID != "echo-1" || c.Protocol != "echo" || c.Number != 1 {
		t.Errorf("Lookup(echo-1) = %+v, %v", c, err)
	}
	c, err = Lookup("echo-udp-1")
	if err != nil || c.ID != "echo-udp-1" || c.Protocol != "echo-udp" {
		t.Errorf("Lookup(echo-udp-1) = %+v, %v", c, err)
	}
	for id, want := range map[string]string{
		"echo":      `"echo" is not a clause ID such as echo-4`,
		"":          `"" is not a clause ID such as echo-4`,
		"nope-1":    `no spec document for protocol "nope"`,
		"echo-999":  "no clause echo-999 in specs/echo.md",
		"echo-x":    "no clause echo-x in specs/echo.md",
		"echo-udp-": "no clause echo-udp- in specs/echo-udp.md",
	} {
		if c, err := Lookup(id); err == nil || err.Error() != want {
			t.Errorf("Lookup(%q) = %+v, %v; want the error %q", id, c, err, want)
		}
	}
}

func TestPresumptions(t *testing.T) {
	doc := `- **echo-1** It MUST echo.
- **echo-2** It MUST echo twice.
  - Presumes: echo-1
- **echo-3** It MUST echo at once.
  - Presumes: echo-2, echo-1
- **echo-4** It MUST close.
`
	clauses, err := parseClauses("echo", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := clauses[2].Presumes; !reflect.DeepEqual(got, []string{"echo-2", "echo-1"}) {
		t.Errorf("echo-3 presumes %v", got)
	}
	statuses := func(m map[string]string) (failed, unchecked func(string) bool) {
		return func(id string) bool { return m[id] == "failed" }, func(id string) bool { return m[id] == "unchecked" }
	}
	// echo-1 failed: echo-2 was not checked, and echo-3, presuming both,
	// follows from echo-1 alone.
	failed, unchecked := statuses(map[string]string{"echo-1": "failed", "echo-2": "unchecked", "echo-3": "unchecked", "echo-4": "failed"})
	follows := Consequences(clauses, failed, unchecked)
	if !reflect.DeepEqual(follows, map[string][]string{"echo-2": {"echo-1"}, "echo-3": {"echo-1"}}) {
		t.Errorf("follows = %v", follows)
	}
	// Two roots: echo-2 failed on its own as well.
	failed, unchecked = statuses(map[string]string{"echo-1": "failed", "echo-2": "failed", "echo-3": "unchecked"})
	if got := Consequences(clauses, failed, unchecked)["echo-3"]; !reflect.DeepEqual(got, []string{"echo-1", "echo-2"}) {
		t.Errorf("echo-3 follows from %v, want both roots", got)
	}

	for _, tc := range []struct{ doc, want string }{
		{"- **echo-1** It MUST echo.\n  - Presumes: echo-9\n", "not a clause of this document"},
		{"- **echo-1** It MUST echo.\n  - Presumes: echo-1\n", "presumes itself"},
		{"- **echo-1** It SHOULD echo.\n- **echo-2** It MUST echo.\n  - Presumes: echo-1\n", "a failed SHOULD clause must not leave a MUST clause unchecked"},
		{"- **echo-1** It MUST echo.\n  - Presumes: echo-2\n- **echo-2** It MUST echo.\n  - Presumes: echo-1\n", "cycle"},
		{"- **echo-1** It MUST echo.\n  - Requires: echo-2\n", `clause echo-1: unknown detail "Requires" (known: Presumes, Why, Mistake, Fix)`},
	} {
		if _, err := parseClauses("echo", []byte(tc.doc)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error about %s", tc.doc, err, tc.want)
		}
	}

	// The checks run premises first.
	order, err := presumptionOrder([]Clause{{ID: "a-1", Presumes: []string{"a-2"}}, {ID: "a-2"}, {ID: "a-3"}})
	if err != nil || order[0].ID != "a-2" || order[1].ID != "a-1" || order[2].ID != "a-3" {
		t.Errorf("order %v, %v", order, err)
	}
}

// Every clause of every document, those added later included, is
// explained for a learner: why it exists, the classic mistake and the
// fix, each a sentence or more, and a real failure recorded from a faulty
// server that breaks it (what `conformance explain ID` prints).
func TestEveryClauseIsExplained(t *testing.T) {
	for _, p := range append(Protocols(), ClientProtocols()...) {
		clauses, err := Clauses(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		for _, c := range clauses {
			seen := map[string]string{}
			for _, d := range []struct{ key, text string }{{"Why", c.Why}, {"Mistake", c.Mistake}, {"Fix", c.Fix}} {
				switch {
				case d.text == "":
					t.Errorf("%s (specs/%s.md) has no %q line", c.ID, p, "  - "+d.key+": ...")
				case len(strings.Fields(d.text)) < 4 || !strings.HasSuffix(d.text, "."):
					t.Errorf("%s: its %s is not a sentence of a few words: %q", c.ID, d.key, d.text)
				case seen[d.text] != "":
					t.Errorf("%s: its %s says what its %s says", c.ID, d.key, seen[d.text])
				case d.text == c.Text:
					t.Errorf("%s: its %s repeats the clause", c.ID, d.key)
				}
				seen[d.text] = d.key
			}
			if e, ok := FailureExcerpt(c.ID); !ok || e.Fault == "" || e.Check == "" || strings.TrimSpace(e.Message) == "" {
				t.Errorf("%s has no recorded failure (%+v): go test ./fixtures/faulty -run TestFailureExcerpts -update", c.ID, e)
			}
		}
	}
}

// The excerpts file parses, and names each clause once.
func TestExcerpts(t *testing.T) {
	if _, err := excerpts(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ data, want string }{
		{`[{"clause": "echo-1"}, {"clause": "echo-1"}]`, "excerpts.json: two excerpts for echo-1"},
		{`{"clause": "echo-1"}`, "excerpts.json: json: cannot unmarshal object into Go value of type []specs.Excerpt"},
	} {
		if _, err := ParseExcerpts([]byte(tc.data)); err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %s", tc.data, err, tc.want)
		}
	}
}

func TestProtocolOverview(t *testing.T) {
	o := parseOverview("# echo: the [TCP](x) echo\n\nOne *line*\nand `two`.\n\n```python\nwhile True:\n    pass\n```\n\nAfter.\n\n## The bytes\n\nNot this.\n")
	want := Overview{Title: "echo: the TCP echo", Paragraphs: []string{"One line and two.", "    while True:\n        pass", "After."}}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("got %+v\nwant %+v", o, want)
	}
	for _, p := range Protocols() {
		if o, err := ProtocolOverview(p); err != nil || o.Title == "" || len(o.Paragraphs) == 0 {
			t.Errorf("%s: %+v, %v", p, o, err)
		}
	}
	if _, err := ProtocolOverview("nope"); err == nil {
		t.Error("no error for an unknown protocol")
	}
}
