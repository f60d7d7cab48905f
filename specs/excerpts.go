package specs

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

// An Excerpt is a real failure of one clause: the start of the message of
// a check that failed when the suite ran against a faulty server or client
// that breaks the clause (fixtures/faulty). `conformance explain` shows it, so
// that a learner sees what the failure looks like before meeting it.
type Excerpt struct {
	Clause string `json:"clause"` // e.g. "echo-4"
	Fault  string `json:"fault"`  // the faulty server or client it was recorded from
	Defect string `json:"defect"` // its defect, in one sentence
	Check  string `json:"check"`  // the check that failed
	// Message is the first lines of the diagnosis and of the transcript,
	// each line cut short; its times, ports and timestamps are those of
	// the run it was recorded from.
	Message string `json:"message"`
}

// ExcerptsFile is where the excerpts are kept, relative to this package.
// They are recorded, not written: `go test ./fixtures/faulty -run
// TestFailureExcerpts -update` runs the faulty servers and clients and
// rewrites it.
const ExcerptsFile = "excerpts.json"

//go:embed excerpts.json
var excerptsJSON []byte

var excerpts = sync.OnceValues(func() (map[string]Excerpt, error) {
	return ParseExcerpts(excerptsJSON)
})

// FailureExcerpt returns the recorded failure of the clause with the given
// ID, if there is one.
func FailureExcerpt(id string) (Excerpt, bool) {
	all, err := excerpts()
	if err != nil {
		return Excerpt{}, false // TestExcerpts reports a file that does not parse
	}
	e, ok := all[id]
	return e, ok
}

// ParseExcerpts reads an excerpts file: a JSON list of excerpts, one per
// clause, by clause ID.
func ParseExcerpts(data []byte) (map[string]Excerpt, error) {
	var list []Excerpt
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("%s: %v", ExcerptsFile, err)
	}
	byID := map[string]Excerpt{}
	for _, e := range list {
		if _, dup := byID[e.Clause]; dup {
			return nil, fmt.Errorf("%s: two excerpts for %s", ExcerptsFile, e.Clause)
		}
		byID[e.Clause] = e
	}
	return byID, nil
}
