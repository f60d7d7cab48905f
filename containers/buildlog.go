package containers

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// A buildProgress takes the output of one image build: all of it goes to
// a log file, and the user sees one line, the image, its build step and
// the seconds so far. On a terminal the line is rewritten in place as the
// build goes on; elsewhere (CI) it is written once, when the build ends.
type buildProgress struct {
	user     io.Writer
	terminal bool
	tag      string
	logPath  string
	log      *os.File
	start    time.Time

	mu      sync.Mutex
	partial []byte // the start of a line not yet complete
	step    string // "4/10", the last "Step N/M" seen
}

// stepLine matches the line docker build starts each step with.
var stepLine = regexp.MustCompile(`^Step (\d+/\d+) :`)

// newBuildProgress starts the log of tag's build in dir (created if need
// be), as build-NAME.log.
func newBuildProgress(user io.Writer, dir, name, tag string) (*buildProgress, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "build-"+name+".log")
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	p := &buildProgress{user: user, terminal: isTerminal(user), tag: tag, logPath: path, log: f, start: time.Now()}
	p.show()
	return p, nil
}

// Write takes build output: into the log, and its steps into the line.
func (p *buildProgress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log.Write(b)
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		if m := stepLine.FindSubmatch(p.partial[:i]); m != nil {
			p.step = string(m[1])
			p.show()
		}
		p.partial = p.partial[i+1:]
	}
	return len(b), nil
}

// show rewrites the line, on a terminal.
func (p *buildProgress) show() {
	if p.terminal {
		fmt.Fprintf(p.user, "\r\033[Kbuilding %s: step %s, %.0f s", p.tag, p.stepOrStart(), time.Since(p.start).Seconds())
	}
}

func (p *buildProgress) stepOrStart() string {
	if p.step == "" {
		return "starting"
	}
	return p.step
}

// end closes the log and writes the line's last form.
func (p *buildProgress) end(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log.Close()
	if p.terminal {
		fmt.Fprint(p.user, "\r\033[K")
	}
	outcome := "built"
	if err != nil {
		outcome = "FAILED to build"
	}
	fmt.Fprintf(p.user, "%s %s in %.1f s (step %s; docker build's output: %s)\n", outcome, p.tag, time.Since(p.start).Seconds(), p.stepOrStart(), p.logPath)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
