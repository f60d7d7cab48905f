// Package echoudp is the reference UDP echo server (RFC 862): each
// datagram is answered with an identical one.
package echoudp

import (
	"context"
	"net"

	"github.com/socketspec/conformance/reference/serve"
)

// Serve echoes datagrams on pc until ctx is cancelled.
func Serve(ctx context.Context, pc net.PacketConn) error {
	return serve.UDP(ctx, pc, func(p []byte) []byte { return p })
}
