// Package reference lists the Go reference servers and clients, the
// executable definition of each protocol in specs/.
package reference

import (
	"github.com/socketspec/conformance/reference/chat"
	"github.com/socketspec/conformance/reference/echo"
	"github.com/socketspec/conformance/reference/echoudp"
	"github.com/socketspec/conformance/reference/greeter"
	"github.com/socketspec/conformance/reference/greeterudp"
	"github.com/socketspec/conformance/reference/httphello"
	"github.com/socketspec/conformance/reference/timestampecho"
	"github.com/socketspec/conformance/reference/welcome"
	"github.com/socketspec/conformance/suite"
)

// Servers maps each TCP protocol to its reference server.
var Servers = map[string]suite.ServeFunc{
	"echo":       echo.Serve,
	"welcome":    welcome.Serve,
	"http-hello": httphello.Serve,
	"chat":       chat.Serve,
	"greeter":    greeter.Serve,

	"timestamp-echo": timestampecho.Serve,
}

// PacketServers maps each UDP protocol to its reference server.
var PacketServers = map[string]suite.PacketServeFunc{
	"greeter-udp": greeterudp.Serve,
	"echo-udp":    echoudp.Serve,
}

// Clients maps each client protocol to its reference client.
var Clients = map[string]suite.ClientMain{
	"welcome-client":    welcome.Client,
	"echo-client":       echo.Client,
	"http-hello-client": httphello.Client,
	"echo-udp-client":   echoudp.Client,
}

// Client returns the protocol's reference client, run in this process, or
// false when there is none.
func Client(protocol string) (suite.ClientProgram, bool) {
	main, ok := Clients[protocol]
	if !ok {
		return nil, false
	}
	return suite.ClientFunc("go", main), true
}

// Target returns a target that runs the protocol's reference server in
// this process, or false when there is none.
func Target(protocol string) (suite.Target, bool) {
	if serve, ok := Servers[protocol]; ok {
		return suite.InProcess("go", serve), true
	}
	if serve, ok := PacketServers[protocol]; ok {
		return suite.InProcessUDP("go", serve), true
	}
	return nil, false
}
