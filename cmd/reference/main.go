// Command reference runs one of the Go reference servers.
//
//	reference --protocol echo --listen 127.0.0.1:7000
//
// It prints "listening on ADDR" once it accepts connections, and stops
// cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/socketspec/conformance/reference"
)

func main() {
	var protocol, listen string
	flag.StringVar(&protocol, "protocol", "", "protocol to serve: "+strings.Join(names(), ", "))
	flag.StringVar(&listen, "listen", "127.0.0.1:7000", "`HOST:PORT` to listen on")
	flag.Parse()
	serve, tcp := reference.Servers[protocol]
	servePackets, udp := reference.PacketServers[protocol]
	if !tcp && !udp || flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "reference: --protocol must be one of %s\n", strings.Join(names(), ", "))
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if tcp {
		var ln net.Listener
		if ln, err = net.Listen("tcp", listen); err == nil {
			fmt.Printf("listening on %s\n", ln.Addr())
			err = serve(ctx, ln)
		}
	} else {
		var pc net.PacketConn
		if pc, err = net.ListenPacket("udp", listen); err == nil {
			fmt.Printf("listening on %s (UDP)\n", pc.LocalAddr())
			err = servePackets(ctx, pc)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "reference: %v\n", err)
		os.Exit(1)
	}
}

func names() []string {
	var out []string
	for name := range reference.Servers {
		out = append(out, name)
	}
	for name := range reference.PacketServers {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
