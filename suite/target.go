// Package suite is the harness behind the conformance specs: the servers
// under test (targets), a wire client whose every operation has a deadline
// and leaves a transcript, and the failures that explain what went wrong.
package suite

import "context"

// A Target is a server under test. The specs only ever dial Addr; how the
// server got there (in-process, a local process, a container) is the
// target's business, so new kinds of target need no change to the specs.
type Target interface {
	// Name identifies the target in reports, e.g. "go" or "127.0.0.1:7000".
	Name() string

	// Start brings the server up and returns once it really answers, or
	// returns an error that says why not: nothing listening, the process
	// exited, it never answered within the start timeout.
	Start(ctx context.Context) error

	// Addr is the host:port the specs dial. Valid after Start.
	Addr() string

	// SeesClientAddr reports whether the server sees a client's address as
	// the client's own local address, with no NAT in between. The chat
	// specs check the relayed "[HOST:PORT]" prefix exactly only then.
	SeesClientAddr() bool

	// Output returns the tail of what the server printed (process output or
	// container log), for failure reports; "" when the target cannot know.
	Output() string

	// Stop stops the server and releases everything Start acquired. It is
	// safe to call more than once, and after a failed Start.
	Stop() error
}
