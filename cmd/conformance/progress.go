package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// A progress says how far a long run (the matrix, several protocols) has
// got. On a terminal it is one status line, rewritten in place: the row
// being checked, the cells done of all, the failures so far and the time.
// Elsewhere (CI) it writes nothing of its own: the run prints a line per
// finished row, or protocol.
type progress struct {
	w        io.Writer
	terminal bool
	total    int
	unit     string // what is counted: "cells", "protocols"
	start    time.Time
	stopped  chan struct{}
	ticker   *time.Ticker

	mu      sync.Mutex
	row     string
	done    int
	failing int
	midLine bool // the run's output has begun a line it has not ended
}

// newProgress starts the status line of a run of total units ("cells",
// "protocols") on w.
func newProgress(w io.Writer, total int, unit string) *progress {
	p := &progress{w: w, terminal: isTerminalWriter(w), total: total, unit: unit, start: time.Now(), stopped: make(chan struct{})}
	if p.terminal {
		// The time goes on while a row's cells run: redraw each second.
		p.ticker = time.NewTicker(time.Second)
		go func() {
			for {
				select {
				case <-p.ticker.C:
					p.mu.Lock()
					p.draw()
					p.mu.Unlock()
				case <-p.stopped:
					return
				}
			}
		}()
	}
	return p
}

// startRow says which row is being checked.
func (p *progress) startRow(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.row = name
	p.draw()
}

// cellDone counts a finished cell (or protocol), and whether it failed.
func (p *progress) cellDone(failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failing++
	}
	p.draw()
}

// println prints a line of the run's own, above the status line.
func (p *progress) println(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal && !p.midLine {
		fmt.Fprint(p.w, "\r\033[K")
	}
	if p.midLine {
		fmt.Fprintln(p.w)
		p.midLine = false
	}
	fmt.Fprintf(p.w, format+"\n", args...)
	p.draw()
}

// Write passes the run's own output on, above the status line: it clears
// the line before a new line of output, and draws it again after a whole
// line (not in the middle of one: Ginkgo writes its dots one by one).
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.terminal || len(b) == 0 {
		return p.w.Write(b)
	}
	if !p.midLine {
		fmt.Fprint(p.w, "\r\033[K")
	}
	n, err := p.w.Write(b)
	p.midLine = b[len(b)-1] != '\n'
	if !p.midLine {
		p.draw()
	}
	return n, err
}

// stop clears the status line.
func (p *progress) stop() {
	if !p.terminal {
		return
	}
	p.ticker.Stop()
	close(p.stopped)
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.midLine {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// draw rewrites the status line, on a terminal, unless the run's output
// is in the middle of a line; p.mu is held.
func (p *progress) draw() {
	if !p.terminal || p.midLine {
		return
	}
	failing := ""
	if p.failing > 0 {
		failing = fmt.Sprintf(", %d failing", p.failing)
	}
	row := ""
	if p.row != "" {
		row = p.row + ": "
	}
	fmt.Fprintf(p.w, "\r\033[K%s%d of %d %s done%s, %.0f s", row, p.done, p.total, p.unit, failing, time.Since(p.start).Seconds())
}

// isTerminalWriter reports whether w is a terminal.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}
