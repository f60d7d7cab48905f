// Package serve is the accept loop shared by the TCP reference servers
// (and by the faulty servers in fixtures/, which are correct but for one
// fault):
// a goroutine per connection, a cap on open connections, and a shutdown
// that closes the listener and every connection and waits for all of them.
package serve

import (
	"context"
	"errors"
	"net"
	"sync"
)

// MaxConns is how many connections a reference server holds open at once.
// Beyond it, new connections wait in the listen backlog until one ends.
const MaxConns = 1024

// TCP accepts connections from ln and runs handle for each in its own
// goroutine until ctx is cancelled. It then closes ln and every open
// connection, waits for the handlers to return, and returns nil.
func TCP(ctx context.Context, ln net.Listener, handle func(context.Context, net.Conn)) error {
	var (
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
		wg    sync.WaitGroup
		slots = make(chan struct{}, MaxConns)
	)
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()

	var err error
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		var c net.Conn
		c, err = ln.Accept()
		if err != nil {
			<-slots
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				err = nil
				break
			}
			continue // a failed accept (e.g. too many open files) is not fatal
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer func() {
				c.Close()
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				<-slots
				wg.Done()
			}()
			handle(ctx, c)
		}()
	}
	ln.Close()
	// Close connections opened after the AfterFunc ran, then wait.
	mu.Lock()
	for c := range conns {
		c.Close()
	}
	mu.Unlock()
	wg.Wait()
	return err
}

// MaxDatagram is the largest UDP payload over IPv4.
const MaxDatagram = 65507

// UDP answers every datagram arriving on pc with answer(payload), sent back
// to its sender, until ctx is cancelled. Datagrams are handled one at a
// time: each answer is computed at once, so nothing can stall the loop.
func UDP(ctx context.Context, pc net.PacketConn, answer func([]byte) []byte) error {
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	buf := make([]byte, MaxDatagram+1)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			continue // e.g. an ICMP error for an earlier answer
		}
		pc.WriteTo(answer(buf[:n]), from) // a lost answer is UDP's risk, not ours
	}
}
