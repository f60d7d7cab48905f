// Package greeterudp is the reference UDP greeter: each datagram P is
// answered with the datagram "Hello, P!".
package greeterudp

import (
	"context"
	"net"

	"github.com/socketspec/conformance/reference/serve"
)

// Serve answers datagrams on pc until ctx is cancelled.
func Serve(ctx context.Context, pc net.PacketConn) error {
	return serve.UDP(ctx, pc, func(p []byte) []byte {
		return append(append([]byte("Hello, "), p...), '!')
	})
}
