// Package chat is the reference chat room: every line a client sends is
// relayed to every other connected client, prefixed with the sender's
// address as "[HOST:PORT]".
package chat

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"sync"
	"time"

	"github.com/socketspec/conformance/reference/serve"
)

const (
	// MaxLine is the longest line relayed; a client sending a longer one is
	// disconnected.
	MaxLine = 4096
	// QueueLines is how many relayed lines may wait for one client.
	QueueLines = 1024
	// StallTimeout is how long a sender waits for room in a full queue.
	// A reader that is merely slower than the sender catches up within
	// it: a full queue is QueueLines lines behind on top of the socket
	// buffers, and a reading client frees a place in microseconds. One
	// that never reads is dropped after it, so it can neither stall the
	// room for long nor grow the server's memory.
	StallTimeout = 300 * time.Millisecond
	// IdleTimeout disconnects a client that has neither sent a line nor
	// accepted our writes for this long.
	IdleTimeout = 10 * time.Minute
)

// Serve runs a chat room on ln until ctx is cancelled.
func Serve(ctx context.Context, ln net.Listener) error {
	r := &room{clients: map[*client]struct{}{}}
	return serve.TCP(ctx, ln, r.handle)
}

type room struct {
	mu      sync.Mutex
	clients map[*client]struct{}
}

type client struct {
	conn  net.Conn
	queue chan []byte   // whole relayed lines, written in order by writeLoop
	gone  chan struct{} // closed when the client is dropped
	once  sync.Once
}

func (c *client) drop() { c.once.Do(func() { close(c.gone); c.conn.Close() }) }

func (r *room) handle(_ context.Context, conn net.Conn) {
	c := &client{conn: conn, queue: make(chan []byte, QueueLines), gone: make(chan struct{})}
	r.mu.Lock()
	r.clients[c] = struct{}{}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.clients, c)
		r.mu.Unlock()
		c.drop()
	}()

	done := make(chan struct{})
	go func() { defer close(done); c.writeLoop() }()
	defer func() { <-done }()
	defer c.drop()

	prefix := "[" + conn.RemoteAddr().String() + "]" // "[::1]:5000" keeps its brackets
	in := bufio.NewReaderSize(conn, MaxLine+2)
	for {
		conn.SetReadDeadline(time.Now().Add(IdleTimeout))
		line, err := in.ReadSlice('\n')
		if err != nil {
			// EOF, a reset, the idle timeout, or a line longer than
			// MaxLine (bufio.ErrBufferFull). An unterminated last line
			// is not a line, and is dropped.
			return
		}
		line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
		if len(line) > MaxLine {
			return
		}
		r.broadcast(c, append(append([]byte(prefix), line...), '\n'))
	}
}

// broadcast queues msg for every client but the sender, in the sender's
// goroutine, so each sender's lines stay in order. A full queue makes the
// sender wait, up to StallTimeout; then that receiver is dropped.
func (r *room) broadcast(from *client, msg []byte) {
	r.mu.Lock()
	receivers := make([]*client, 0, len(r.clients))
	for c := range r.clients {
		if c != from {
			receivers = append(receivers, c)
		}
	}
	r.mu.Unlock()
	for _, c := range receivers {
		select {
		case c.queue <- msg:
			continue
		case <-c.gone:
			continue
		default:
		}
		stall := time.NewTimer(StallTimeout)
		select {
		case c.queue <- msg:
		case <-c.gone:
		case <-stall.C:
			c.drop()
		}
		stall.Stop()
	}
}

// writeLoop writes queued lines to the client, one whole line per write, so
// relayed lines never interleave.
func (c *client) writeLoop() {
	for {
		select {
		case msg := <-c.queue:
			c.conn.SetWriteDeadline(time.Now().Add(IdleTimeout))
			if _, err := c.conn.Write(msg); err != nil {
				c.drop()
				return
			}
		case <-c.gone:
			return
		}
	}
}
