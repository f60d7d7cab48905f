// Package timestampecho is the reference timestamp echo server: every line
// a client sends comes back stamped with the server's local time, as
// "[Thu Dec  3 09:05:01 2026] LINE\n" (specs/timestamp-echo.md).
package timestampecho

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/socketspec/conformance/reference/serve"
)

const (
	// MaxLine is the longest line answered, its "\n" included; a longer
	// line ends the connection.
	MaxLine = 64 << 10
	// IdleTimeout closes a connection on which nothing has arrived for
	// this long, and bounds how long a client may refuse to read.
	IdleTimeout = 5 * time.Minute
	// Linger bounds how long we read and discard what a client still sends
	// after we refused its line, so that our close is a FIN and not a reset.
	Linger = 2 * time.Second
)

// Layout is the layout of C's ctime() and asctime() and Python's
// time.ctime(), without ctime's trailing newline: "Thu Dec  3 09:05:01
// 2026", the day of the month padded with a space. It is Go's time.ANSIC.
const Layout = time.ANSIC

// Answer is the answer to one line (its bytes without the "\n") at time
// now: "[", the local time in Layout, "] ", the line, "\n".
func Answer(now time.Time, line []byte) []byte {
	out := make([]byte, 0, len(Layout)+len(line)+4)
	out = append(out, '[')
	out = now.AppendFormat(out, Layout)
	out = append(out, "] "...)
	out = append(out, line...)
	return append(out, '\n')
}

// Serve runs the timestamp echo server on ln until ctx is cancelled.
func Serve(ctx context.Context, ln net.Listener) error {
	return serve.TCP(ctx, ln, handle)
}

func handle(_ context.Context, c net.Conn) {
	// TCP delivers bytes, not lines: a read may hold several lines or half
	// of one. The bufio.Reader finds the line ends across reads, and the
	// answers to the lines of one read go out in one write.
	in := bufio.NewReaderSize(c, MaxLine)
	out := bufio.NewWriterSize(c, 16<<10)
	flush := func() bool {
		c.SetWriteDeadline(time.Now().Add(IdleTimeout))
		return out.Flush() == nil
	}
	// The clock is read for each line, when it is answered.
	answer := func(line []byte) bool {
		c.SetWriteDeadline(time.Now().Add(IdleTimeout)) // a long answer is written at once
		_, err := out.Write(Answer(time.Now(), line))
		return err == nil
	}
	for {
		// Before waiting for more input, send every answer so far.
		if !hasLine(in) && out.Buffered() > 0 && !flush() {
			return
		}
		c.SetReadDeadline(time.Now().Add(IdleTimeout))
		line, err := in.ReadSlice('\n')
		switch {
		case err == nil:
			if !answer(line[:len(line)-1]) {
				return
			}
		case errors.Is(err, io.EOF):
			// The client half-closed: what follows the last "\n" is a
			// last line. Answer it, send everything, close (on return).
			if len(line) == 0 || answer(line) {
				flush()
			}
			return
		case errors.Is(err, bufio.ErrBufferFull):
			// A line longer than MaxLine: refuse it, after the answers
			// to the lines before it.
			if flush() {
				refuse(c)
			}
			return
		default:
			return // reset, or idle for IdleTimeout
		}
	}
}

// hasLine reports whether a whole line is already buffered, so that the
// next ReadSlice returns without waiting.
func hasLine(in *bufio.Reader) bool {
	buffered, _ := in.Peek(in.Buffered())
	return bytes.IndexByte(buffered, '\n') >= 0
}

// refuse ends a connection whose client may still be sending: shut down
// our side (the client reads EOF), then read and discard until the client
// closes or Linger passes. Closing with unread bytes would send a reset.
func refuse(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	c.SetReadDeadline(time.Now().Add(Linger))
	io.Copy(io.Discard, c)
}
