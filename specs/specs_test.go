package specs

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"

	"github.com/socketspec/conformance/reference"
	"github.com/socketspec/conformance/suite"
)

// TestSpecs runs every spec against the Go reference servers and clients,
// in strict mode: the reference is the executable definition and must meet
// every SHOULD clause too.
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
	clients := map[string]suite.ClientProgram{}
	for _, p := range ClientProtocols() {
		client, ok := reference.Client(p)
		if !ok {
			t.Fatalf("%s has no Go reference client", p)
		}
		clients[p] = client
	}
	sc, rc := GinkgoConfiguration()
	res := Run(t, Config{Targets: targets, Clients: clients, Strict: true}, sc, rc)
	if missing := undeclared(append(Protocols(), ClientProtocols()...)); len(missing) > 0 {
		t.Errorf("clauses without a spec: %v", missing)
	}
	if testing.Verbose() {
		res.WriteSummary(testWriter{t})
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
