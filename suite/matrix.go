package suite

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// A Matrix is the outcome of checking several implementations: a row per
// implementation, a column per protocol.
type Matrix struct {
	Protocols []string    `json:"protocols"`
	Rows      []MatrixRow `json:"rows"`
	// Shard, as "K/N", says the matrix holds the K-th of N shares of the
	// cells of a run (see --shard), to be merged with the others.
	Shard string `json:"shard,omitempty"`
}

// A MatrixRow is one implementation's outcome: its result, or why there is
// none (Skipped: it could not run here; Error: it could not be checked).
type MatrixRow struct {
	Implementation string `json:"implementation"`
	Language       string `json:"language,omitempty"`
	// Cells are the protocols the row checks; nil means every protocol of
	// the matrix. The others are not the row's: their cell is NoCell.
	Cells   []string `json:"cells,omitempty"`
	Skipped string   `json:"skipped,omitempty"`
	Error   string   `json:"error,omitempty"`
	// Errors says, by protocol, why a cell could not be checked (its
	// server did not start) while the row's other cells were.
	Errors map[string]string `json:"errors,omitempty"`
	Log    string            `json:"log,omitempty"` // the row's full output
	Result *Result           `json:"result,omitempty"`
}

// NoCell is the cell of a protocol that is not the row's to check.
const NoCell = "-"

// Cell is the row's verdict for a protocol: passed, failed, warned (a
// SHOULD clause not met), error, skipped, not run, or NoCell.
func (r MatrixRow) Cell(protocol string) string {
	switch {
	case r.Cells != nil && !slices.Contains(r.Cells, protocol):
		return NoCell
	case r.Skipped != "":
		return "skipped"
	case r.Error != "" || r.Errors[protocol] != "" || r.Result == nil:
		return "error"
	}
	for _, p := range r.Result.Protocols {
		if p.Protocol == protocol {
			return string(p.Verdict())
		}
	}
	return string(NotRun)
}

// Failed reports whether any row failed or could not be checked. Skipped
// rows do not fail the matrix.
func (m Matrix) Failed() bool {
	for _, r := range m.Rows {
		if r.Skipped != "" {
			continue
		}
		// A problem outside the clauses (a failed setup) fails the row's
		// own run: it fails the matrix too.
		if r.Result != nil && len(r.Result.Problems) > 0 {
			return true
		}
		for _, p := range m.Protocols {
			if c := r.Cell(p); c == "failed" || c == "error" || c == string(NotRun) {
				return true
			}
		}
	}
	return false
}

// WriteText writes the matrix as aligned text, then what went wrong in
// each row that did not pass.
func (m Matrix) WriteText(w io.Writer) {
	width := len("implementation")
	for _, r := range m.Rows {
		width = max(width, len(r.Implementation))
	}
	fmt.Fprintf(w, "%-*s", width+2, "implementation")
	for _, p := range m.Protocols {
		fmt.Fprintf(w, "  %-*s", max(len(p), len("skipped")), p)
	}
	fmt.Fprintln(w)
	for _, r := range m.Rows {
		fmt.Fprintf(w, "%-*s", width+2, r.Implementation)
		for _, p := range m.Protocols {
			fmt.Fprintf(w, "  %-*s", max(len(p), len("skipped")), r.Cell(p))
		}
		fmt.Fprintln(w)
	}
	for _, line := range m.notes() {
		fmt.Fprintln(w, line)
	}
}

// WriteMarkdown writes the matrix as a Markdown table, for a CI job summary.
func (m Matrix) WriteMarkdown(w io.Writer) {
	icon := map[string]string{"passed": "✅ passed", "failed": "❌ failed", "warned": "⚠️ warned", "error": "❌ error", "skipped": "⏭️ skipped"}
	fmt.Fprintf(w, "## socketspec conformance\n\n| implementation | %s |\n|---|%s\n", strings.Join(m.Protocols, " | "), strings.Repeat("---|", len(m.Protocols)))
	for _, r := range m.Rows {
		cells := make([]string, len(m.Protocols))
		for i, p := range m.Protocols {
			c := r.Cell(p)
			if icon[c] != "" {
				c = icon[c]
			}
			cells[i] = c
		}
		fmt.Fprintf(w, "| %s | %s |\n", r.Implementation, strings.Join(cells, " | "))
	}
	fmt.Fprintln(w, "\nMUST clauses decide passed or failed; warned means a SHOULD clause was not met.")
	if notes := m.notes(); len(notes) > 0 {
		fmt.Fprintln(w, "\n```")
		for _, line := range notes {
			fmt.Fprintln(w, line)
		}
		fmt.Fprintln(w, "```")
	}
}

// notes explains every cell that is not a plain pass.
func (m Matrix) notes() []string {
	var out []string
	for _, r := range m.Rows {
		switch {
		case r.Skipped != "":
			out = append(out, fmt.Sprintf("%s: skipped: %s", r.Implementation, r.Skipped))
			continue
		case r.Error != "":
			out = append(out, fmt.Sprintf("%s: could not be checked: %s (log: %s)", r.Implementation, r.Error, r.Log))
			continue
		case r.Result == nil:
			continue
		}
		for _, p := range m.Protocols {
			if why := r.Errors[p]; why != "" {
				out = append(out, fmt.Sprintf("%s: %s could not be checked: %s (log: %s)", r.Implementation, p, why, r.Log))
			}
		}
		for _, p := range r.Result.Protocols {
			for _, c := range p.Clauses {
				if c.Status != Failed && c.Status != Warned {
					continue
				}
				for _, ch := range c.Checks {
					if ch.Status == c.Status {
						out = append(out, fmt.Sprintf("%s: %s %s %s: %s", r.Implementation, strings.ToUpper(mark(c.Status)), c.ID, ch.Name, firstLine(strings.TrimPrefix(ch.Message, WarningLead))))
						break
					}
				}
			}
		}
		for _, problem := range r.Result.Problems {
			out = append(out, fmt.Sprintf("%s: problem: %s", r.Implementation, firstLine(problem)))
		}
	}
	return out
}
