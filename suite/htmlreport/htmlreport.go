// Package htmlreport writes a conformance result as one self-contained HTML
// page: its CSS, its few lines of JavaScript and its diagrams (SVG) are
// inline, and it loads nothing from anywhere. It shows the matrix of
// implementations and protocols with coloured cells, then for each row and
// protocol its clauses, root failures first with their consequences folded
// under them, and for each failed or warned check its diagnosis and its
// transcript drawn as a sequence diagram.
//
// The matrix and the verdicts read with JavaScript off: sections fold with
// <details>, and the diagrams are drawn here, not in the browser. Every
// byte from the wire is escaped (html/template).
package htmlreport

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/socketspec/conformance/suite"
)

// Options are what a page says besides the result.
type Options struct {
	// Title heads the page; "socketspec conformance" when empty.
	Title string
	// Generated is when the result was made, shown under the title; not
	// shown when zero.
	Generated time.Time
}

// WriteMatrix writes the page of a matrix: a row per implementation.
func WriteMatrix(w io.Writer, m suite.Matrix, o Options) error {
	return page.Execute(w, buildPage(m, o))
}

// WriteResult writes the page of one run: a matrix of one row, named
// after its target when every protocol had the same one.
func WriteResult(w io.Writer, r suite.Result, o Options) error {
	name := "this run"
	var protocols []string
	for i, p := range r.Protocols {
		protocols = append(protocols, p.Protocol)
		if i == 0 {
			name = p.Target
		} else if p.Target != name {
			name = "this run"
		}
	}
	return WriteMatrix(w, suite.Matrix{Protocols: protocols, Rows: []suite.MatrixRow{{Implementation: name, Result: &r}}}, o)
}

//go:embed report.html.tmpl
var pageText string

//go:embed report.css
var css string

//go:embed report.js
var js string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"css": func() template.CSS { return template.CSS(css) },
	"js":  func() template.JS { return template.JS(js) },
}).Parse(pageText))

// The page's data: everything computed here, so that the template only
// lays it out.
type pageView struct {
	Title     string
	Generated string
	Protocols []string
	// Columns head the matrix: the protocols, a client's by its server's
	// name under a "clients" group, when the matrix has both kinds.
	Groups   []groupView
	Columns  []columnView
	Compact  bool // many columns: a cell shows its symbol, its word in its title
	Rows     []rowView
	Notes    []string // why a row could not run or be checked
	Sections []sectionView
	Strict   bool
	Counts   []countView // cells by verdict, for the headline
}

type groupView struct {
	Name string
	Span int
}

type columnView struct {
	Name       string
	FirstGroup bool // the first column of a group after the first: a gap before it
}

type countView struct {
	Status, Symbol string
	N              int
}

type rowView struct {
	Name  string
	Cells []cellView
}

type cellView struct {
	Status string // passed, failed, warned, error, skipped, not run
	Symbol string
	Href   string // the section's anchor, when there is one
	Title  string // a tooltip: what the cell means
}

type sectionView struct {
	ID, Row, Protocol, Target string
	Verdict, Symbol           string
	Summary                   string // "12 passed, 1 failed, ..."
	Roots                     []rootView
	Others                    []clauseView // passed, not run, ...: folded away
	OthersSummary             string
	// OthersOpen unfolds the other clauses: on a page of one section
	// without failures, they are all there is to see.
	OthersOpen bool
	ShowRow    bool // the row's name is not the target's
}

type rootView struct {
	Clause       clauseView
	Consequences []clauseView
}

type clauseView struct {
	ID, Level, Text string
	Status, Symbol  string
	StatusWord      string
	FollowsFrom     string
	Checks          []checkView
	Skips           []string // checks that could not run here, and why
}

type checkView struct {
	ID           string
	Name         string
	Status       string
	Symbol       string
	Duration     string
	Diagnosis    string
	More         string // the rest of a diagnosis whose first line says it
	Kind         string // the diagnosis's kind: "wrong bytes", ...
	ServerOutput string
	Diagram      *diagram
	Mismatch     *mismatchView
	Events       []eventRow
	Omitted      int
	OmittedAfter int
	Dropped      int
}

var symbols = map[string]string{
	"passed": "✓", "failed": "✗", "warned": "!", "error": "⊘", "skipped": "–",
	"not run": "·", "unchecked": "↳",
	suite.NoCell: "", // not the row's protocol
}

func symbol(status string) string {
	if s, ok := symbols[status]; ok {
		return s
	}
	return "·"
}

// compactAbove is how many columns a matrix may have before its cells
// show only their symbols, to fit the page.
const compactAbove = 10

// columns heads a matrix of protocols: the servers', then the clients'
// ("echo-client") by their servers' names, each kind a group when there
// are both.
func columns(protocols []string) ([]groupView, []columnView) {
	var groups []groupView
	var cols []columnView
	for _, p := range protocols {
		group, name := "servers", p
		if c, ok := strings.CutSuffix(p, "-client"); ok {
			group, name = "clients", c
		}
		if len(groups) == 0 || groups[len(groups)-1].Name != group {
			groups = append(groups, groupView{Name: group})
		}
		groups[len(groups)-1].Span++
		cols = append(cols, columnView{Name: name, FirstGroup: len(groups) > 1 && groups[len(groups)-1].Span == 1})
	}
	if len(groups) < 2 {
		groups = nil // one kind: no group row
		for i := range cols {
			cols[i].Name = protocols[i]
		}
	}
	return groups, cols
}

func buildPage(m suite.Matrix, o Options) pageView {
	v := pageView{Title: o.Title, Protocols: m.Protocols, Compact: len(m.Protocols) > compactAbove}
	v.Groups, v.Columns = columns(m.Protocols)
	if v.Title == "" {
		v.Title = "socketspec conformance"
	}
	if !o.Generated.IsZero() {
		v.Generated = o.Generated.Format("2006-01-02 15:04:05 MST")
	}
	counts := map[string]int{}
	ids := map[string]bool{}
	for _, r := range m.Rows {
		row := rowView{Name: r.Implementation}
		if r.Result != nil && r.Result.Strict {
			v.Strict = true
		}
		for _, p := range m.Protocols {
			status := r.Cell(p)
			counts[status]++
			cell := cellView{Status: status, Symbol: symbol(status), Title: r.Implementation + ", " + p + ": " + status}
			if r.Result != nil {
				for _, pr := range r.Result.Protocols {
					if pr.Protocol == p {
						name := r.Implementation + "--" + p
						if len(m.Rows) == 1 {
							name = p // the page of one run
						}
						cell.Href = "#" + anchor(ids, name)
						v.Sections = append(v.Sections, buildSection(strings.TrimPrefix(cell.Href, "#"), r.Implementation, pr))
					}
				}
			}
			switch {
			case r.Skipped != "":
				cell.Title += ": " + r.Skipped
			case r.Error != "":
				cell.Title += ": " + r.Error
			case r.Errors[p] != "":
				cell.Title += ": " + r.Errors[p]
			}
			row.Cells = append(row.Cells, cell)
		}
		v.Rows = append(v.Rows, row)
		switch {
		case r.Skipped != "":
			v.Notes = append(v.Notes, fmt.Sprintf("%s: skipped: %s", r.Implementation, r.Skipped))
		case r.Error != "":
			note := fmt.Sprintf("%s: could not be checked: %s", r.Implementation, r.Error)
			if r.Log != "" {
				note += " (log: " + r.Log + ")"
			}
			v.Notes = append(v.Notes, note)
		case r.Result != nil:
			for _, p := range m.Protocols {
				if why := r.Errors[p]; why != "" {
					v.Notes = append(v.Notes, fmt.Sprintf("%s: %s could not be checked: %s (log: %s)", r.Implementation, p, why, r.Log))
				}
			}
			for _, problem := range r.Result.Problems {
				v.Notes = append(v.Notes, fmt.Sprintf("%s: problem: %s", r.Implementation, problem))
			}
			for _, why := range r.Result.Incomplete {
				v.Notes = append(v.Notes, fmt.Sprintf("%s: no verdict, the run did not complete: %s", r.Implementation, why))
			}
		}
	}
	for i := range v.Sections {
		s := &v.Sections[i]
		s.OthersOpen = len(s.Roots) == 0 && len(v.Sections) == 1
		s.ShowRow = len(m.Rows) > 1 || s.Row != s.Target
	}
	for _, s := range []string{"passed", "warned", "failed", "error", "skipped", "not run"} {
		if counts[s] > 0 {
			v.Counts = append(v.Counts, countView{Status: s, Symbol: symbol(s), N: counts[s]})
		}
	}
	return v
}

var notAnchor = regexp.MustCompile(`[^a-z0-9-]+`)

// anchor makes a unique element ID of s.
func anchor(seen map[string]bool, s string) string {
	base := strings.Trim(notAnchor.ReplaceAllString(strings.ToLower(s), "-"), "-")
	id := base
	for n := 2; seen[id]; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	seen[id] = true
	return id
}

func buildSection(id, row string, p suite.ProtocolResult) sectionView {
	s := sectionView{ID: id, Row: row, Protocol: p.Protocol, Target: p.Target, Verdict: string(p.Verdict()), Symbol: symbol(string(p.Verdict()))}
	parts := []string{fmt.Sprintf("%d passed", p.Count(suite.Passed)), fmt.Sprintf("%d failed", p.Count(suite.Failed)), fmt.Sprintf("%d SHOULD warnings", p.Count(suite.Warned))}
	if n := p.Count(suite.Unchecked); n > 0 {
		parts = append(parts, fmt.Sprintf("%d not checked (they presume a failed clause)", n))
	}
	if n := p.Count(suite.NotRun); n > 0 {
		parts = append(parts, fmt.Sprintf("%d not run", n))
	}
	if n := p.SkippedChecks(); n > 0 {
		parts = append(parts, fmt.Sprintf("%d checks skipped", n))
	}
	s.Summary = strings.Join(parts, ", ")
	// As the text summary: each root failure with the clauses that follow
	// from it folded under it (a consequence of several roots under the
	// first), then the others.
	written := map[string]bool{}
	for _, root := range p.Clauses {
		if (root.Status != suite.Failed && root.Status != suite.Warned) || len(root.FollowsFrom) > 0 {
			continue
		}
		rv := rootView{Clause: buildClause(id, root)}
		written[root.ID] = true
		for _, c := range p.Clauses {
			if len(c.FollowsFrom) > 0 && c.FollowsFrom[0] == root.ID {
				rv.Consequences = append(rv.Consequences, buildClause(id, c))
				written[c.ID] = true
			}
		}
		s.Roots = append(s.Roots, rv)
	}
	counts := map[suite.Status]int{}
	for _, c := range p.Clauses {
		if !written[c.ID] {
			s.Others = append(s.Others, buildClause(id, c))
			counts[c.Status]++
		}
	}
	var words []string
	for _, st := range []suite.Status{suite.Passed, suite.Failed, suite.Warned, suite.Unchecked, suite.NotRun} {
		if counts[st] > 0 {
			words = append(words, fmt.Sprintf("%d %s", counts[st], statusWord(st)))
		}
	}
	s.OthersSummary = strings.Join(words, ", ")
	return s
}

func statusWord(s suite.Status) string {
	switch s {
	case suite.Unchecked:
		return "not checked"
	case suite.Warned:
		return "warned (SHOULD)"
	}
	return string(s)
}

func buildClause(section string, c suite.ClauseResult) clauseView {
	v := clauseView{ID: c.ID, Level: c.Level, Text: c.Text, Status: string(c.Status), Symbol: symbol(string(c.Status)), StatusWord: statusWord(c.Status)}
	if len(c.FollowsFrom) > 0 {
		v.FollowsFrom = strings.Join(c.FollowsFrom, ", ")
	}
	for i, ch := range c.Checks {
		switch ch.Status {
		case suite.Skipped:
			v.Skips = append(v.Skips, ch.Name+": "+ch.Diagnosis())
			continue
		case suite.Failed, suite.Warned:
		default:
			if ch.Transcript == nil {
				continue // passed, not checked, not run: the clause says so
			}
		}
		v.Checks = append(v.Checks, buildCheck(fmt.Sprintf("%s--%s--%d", section, c.ID, i+1), ch))
	}
	return v
}

func buildCheck(id string, ch suite.CheckResult) checkView {
	v := checkView{
		ID: id, Name: ch.Name, Status: string(ch.Status), Symbol: symbol(string(ch.Status)),
		Duration: fmt.Sprintf("%.3f s", ch.Duration.Seconds()), Diagnosis: ch.Diagnosis(), ServerOutput: ch.ServerOutput,
	}
	if err, ok := suite.ParseDiagnosis(v.Diagnosis).(*suite.Error); ok && strings.HasPrefix(v.Diagnosis, string(err.Kind)+": ") {
		v.Kind, v.Diagnosis = string(err.Kind), err.Detail
	}
	if rec := ch.Transcript; rec != nil {
		d := layout(id, rec)
		v.Diagram = &d
		v.Mismatch = buildMismatch(rec)
		if first, rest, ok := strings.Cut(v.Diagnosis, "\n"); ok && v.Mismatch != nil {
			// The byte grid shows the rest (DiffBytes' window).
			v.Diagnosis, v.More = first, rest
		}
		v.Events = eventRows(id, rec, d.wrong)
		v.Omitted, v.OmittedAfter, v.Dropped = rec.Omitted, rec.OmittedAfter, rec.Dropped
	}
	return v
}
