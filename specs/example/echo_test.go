// Package example shows how a Go implementer runs the socketspec specs from
// their own Ginkgo suite, against a server started in the test: the way to
// check your server on every `go test`, without the conformance command.
package example

import (
	"context"
	"io"
	"net"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/socketspec/conformance/specs"
	"github.com/socketspec/conformance/suite"
)

func TestEchoServer(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "my echo server")
}

// myEcho stands for your own server. This one is a correct echo server
// (RFC 862): it copies until the client half-closes, then closes.
func myEcho(ctx context.Context, ln net.Listener) error {
	go func() { <-ctx.Done(); ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
		}()
	}
}

// The server runs in this process on a free port; suite.Command (a command
// line with {port}) or suite.Address (a server already running) work the
// same way.
var server = suite.InProcess("my echo server", myEcho)

var _ = BeforeSuite(func(ctx SpecContext) {
	Expect(server.Start(ctx)).To(Succeed())
	DeferCleanup(server.Stop)
})

var _ = Describe("my echo server", func() {
	// Strict: a failed SHOULD clause fails the suite too; without it, it is
	// a skipped spec with a warning.
	specs.Register(specs.Config{Targets: map[string]suite.Target{"echo": server}, Strict: true})
})
