package suite

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

// A client run reads its stdin, then EOF; with StdinEnds, EOF comes only
// once the channel is closed, and a client that exits before that is not
// kept waiting for it.
func TestClientRunStdin(t *testing.T) {
	ctx := context.Background()
	cat := ClientCommand("cat")
	run := cat.Run(ctx, Invocation{Stdin: []byte("one\n"), Within: 5 * time.Second})
	if !run.Exited() || run.ExitCode != 0 || string(run.Stdout) != "one\n" {
		t.Fatalf("cat: %s", run)
	}

	// cat ends when its stdin does: not before the channel is closed.
	ends := make(chan struct{})
	hold := 300 * time.Millisecond
	time.AfterFunc(hold, func() { close(ends) })
	run = cat.Run(ctx, Invocation{Stdin: []byte("two\n"), StdinEnds: ends, Within: 5 * time.Second})
	if !run.Exited() || string(run.Stdout) != "two\n" || run.Duration < hold {
		t.Errorf("cat with stdin held for %v: %s(after %v)", hold, run, run.Duration)
	}

	// A client that does not wait for the end of its stdin exits at once.
	never := make(chan struct{})
	run = ClientCommand("head -c 3").Run(ctx, Invocation{Stdin: []byte("three\n"), StdinEnds: never, Within: 5 * time.Second})
	if !run.Exited() || run.TimedOut || string(run.Stdout) != "thr" || run.Duration > 2*time.Second {
		t.Errorf("head -c 3 with stdin held: %s(after %v)", run, run.Duration)
	}

	// The same for a client run in this process.
	echo := ClientFunc("copy", func(_ context.Context, _ []string, stdin io.Reader, stdout, _ io.Writer) int {
		io.Copy(stdout, stdin)
		return 0
	})
	ends2 := make(chan struct{})
	time.AfterFunc(hold, func() { close(ends2) })
	run = echo.Run(ctx, Invocation{Addr: "127.0.0.1:7", Stdin: []byte("four\n"), StdinEnds: ends2, Within: 5 * time.Second})
	if run.ExitCode != 0 || !bytes.Equal(run.Stdout, []byte("four\n")) || run.Duration < hold {
		t.Errorf("in process, stdin held for %v: %s(after %v)", hold, run, run.Duration)
	}
}
