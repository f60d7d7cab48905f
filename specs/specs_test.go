package specs

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"

	"github.com/socketspec/conformance/reference"
	"github.com/socketspec/conformance/suite"
)

// TestSpecs runs every spec against the Go reference servers, in strict
// mode: the reference is the executable definition and must meet every
// SHOULD clause too.
func TestSpecs(t *testing.T) {
	targets := map[string]suite.Target{}
	for _, p := range Protocols() {
		target, ok := reference.Target(p)
		if !ok {
			t.Fatalf("protocol %s has no Go reference server", p)
		}
		if err := target.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer target.Stop()
		targets[p] = target
	}
	sc, rc := GinkgoConfiguration()
	res := Run(t, Config{Targets: targets, Strict: true}, sc, rc)
	if missing := undeclared(Protocols()); len(missing) > 0 {
		t.Errorf("clauses without a spec: %v", missing)
	}
	if testing.Verbose() {
		res.WriteSummary(testWriter{t})
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
