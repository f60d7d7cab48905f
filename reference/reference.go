// Package reference lists the Go reference servers, the executable
// definition of each protocol in specs/.
package reference

import (
	"github.com/socketspec/conformance/reference/chat"
	"github.com/socketspec/conformance/reference/echo"
	"github.com/socketspec/conformance/reference/httphello"
	"github.com/socketspec/conformance/reference/welcome"
	"github.com/socketspec/conformance/suite"
)

// Servers maps each protocol name to its reference server.
var Servers = map[string]suite.ServeFunc{
	"echo":       echo.Serve,
	"welcome":    welcome.Serve,
	"http-hello": httphello.Serve,
	"chat":       chat.Serve,
}
