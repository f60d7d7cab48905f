package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// A progress says how far a long run (the matrix) has got. On a terminal
// it is one status line, rewritten in place: the row being checked, the
// cells done of all, the failures so far and the time. Elsewhere (CI) it
// writes nothing of its own: the run prints a line per finished row.
type progress struct {
	w        io.Writer
	terminal bool
	total    int
	start    time.Time
	stopped  chan struct{}
	ticker   *time.Ticker

	mu      sync.Mutex
	row     string
	done    int
	failing int
}

// newProgress starts the status line of a run of total cells on w.
func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, terminal: isTerminalWriter(w), total: total, start: time.Now(), stopped: make(chan struct{})}
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

// cellDone counts a finished cell, and whether it failed.
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
	if p.terminal {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, format+"\n", args...)
	p.draw()
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
	fmt.Fprint(p.w, "\r\033[K")
}

// draw rewrites the status line, on a terminal; p.mu is held.
func (p *progress) draw() {
	if !p.terminal {
		return
	}
	failing := ""
	if p.failing > 0 {
		failing = fmt.Sprintf(", %d failing", p.failing)
	}
	fmt.Fprintf(p.w, "\r\033[K%s: %d of %d cells done%s, %.0f s", p.row, p.done, p.total, failing, time.Since(p.start).Seconds())
}

// isTerminalWriter reports whether w is a terminal.
func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}
