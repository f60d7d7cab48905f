package containers

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/socketspec/conformance/specs"
	"github.com/socketspec/conformance/suite"
)

// Every entry of the table has, once built, a client for every client
// contract, and the commands that run it locally and in its container
// have the client's arguments where the server's port was.
func TestImplsHaveEveryClient(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, impl := range Impls {
		t.Run(impl.Name, func(t *testing.T) {
			if impl.Build != "" {
				if _, err := exec.LookPath("gcc"); err != nil {
					t.Skip("gcc is not installed")
				}
			}
			tmp := t.TempDir()
			copyDir(t, impl.dir(root), filepath.Join(tmp, impl.Dir))
			if err := impl.BuildLocal(context.Background(), tmp, io.Discard); err != nil {
				t.Fatal(err)
			}
			for _, p := range specs.ClientProtocols() {
				if !impl.HasClient(tmp, p) {
					t.Errorf("%s: no client", p)
					continue
				}
				path := filepath.Join(tmp, impl.Dir, impl.clientProgram(p))
				cmdline, err := impl.LocalClientCommand(tmp, p, "{host} {port}")
				if err != nil || !strings.HasPrefix(cmdline, "exec ") || !strings.Contains(cmdline, path+" {host} {port}") {
					t.Errorf("%s: LocalClientCommand = %q, %v; want exec ... %s {host} {port}", p, cmdline, err, path)
				}
				args := impl.ClientInContainer(p, []string{"{url}"})
				if len(args) < 2 || !strings.HasSuffix(args[len(args)-2], impl.clientProgram(p)) || args[len(args)-1] != "{url}" {
					t.Errorf("%s: ClientInContainer = %q, want [... %s {url}]", p, args, impl.clientProgram(p))
				}
			}
			if impl.HasClient(tmp, "timestamp-echo-client") {
				t.Error("a client for timestamp-echo, which has no client contract of its own")
			}
		})
	}
}

// A client in a container reaches a server on the host's 127.0.0.1, gets
// its stdin and gives back its stdout and exit status; one that runs too
// long is killed, and every container is removed. It needs the Docker
// engine and the base images (make images).
func TestContainerClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	engine, err := Connect(ctx)
	if err != nil {
		t.Skip(err)
	}
	defer engine.Close()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	impl, _ := FindImpl("python")
	image, err := engine.EnsureImage(ctx, root, impl, io.Discard)
	if err != nil {
		t.Skip(err) // no base image: make images
	}

	// An echo server that answers until the client half-closes, and a
	// silent one.
	echo := listen(t, func(c net.Conn) { io.Copy(c, c) })
	silent := listen(t, func(c net.Conn) {
		io.Copy(io.Discard, c)
		<-t.Context().Done() // no answer, no close
	})

	c := engine.Client("python", image, impl.ClientInContainer("echo-client", []string{"{host}", "{port}"}))
	stdin := []byte("hello\x00\xff from the host\n")
	run := c.Run(ctx, suite.Invocation{Addr: echo, Stdin: stdin, Within: 10 * time.Second})
	if run.Err != nil || run.ExitCode != 0 || string(run.Stdout) != string(stdin) {
		t.Errorf("against the echo server: %s", run)
	}
	if want := "docker run -i --network host " + image + " /app/echo_client.py 127.0.0.1 "; !strings.HasPrefix(run.Command, want) {
		t.Errorf("the run's command is %q, want %q...", run.Command, want)
	}
	t.Logf("a run of the Python echo client in a container took %v", run.Duration.Round(time.Millisecond))

	// The client waits 4 s for the silent server; it is killed after 1.
	start := time.Now()
	run = c.Run(ctx, suite.Invocation{Addr: silent, Stdin: []byte("x"), Within: time.Second})
	if !run.TimedOut || run.ExitCode != -1 || time.Since(start) > 5*time.Second {
		t.Errorf("against the silent server, within 1 s: %s (in %v)", run, time.Since(start))
	}

	// An idle user: stdin stays open, with nothing new, until StdinEnds
	// is closed, and the run says when the client printed. The chat
	// client shows the room's line at once and leaves (closes) only at the
	// end of its stdin; the room holds the end back for 500 ms after its
	// line, and makes sure the client has not left before.
	ends := make(chan struct{})
	early := make(chan bool, 1)
	room := listen(t, func(c net.Conn) {
		c.Write([]byte("[127.0.0.1:40001]hi\n"))
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		early <- !errors.As(err, &ne) || !ne.Timeout() // anything but the timeout: it did not wait for its user
		close(ends)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, c)
	})
	chat := engine.Client("python", image, impl.ClientInContainer("chat-client", []string{"{host}", "{port}"}))
	run = chat.Run(ctx, suite.Invocation{Addr: room, StdinEnds: ends, Within: 10 * time.Second})
	if run.Err != nil || run.ExitCode != 0 || string(run.Stdout) != "[127.0.0.1:40001]hi\n" {
		t.Errorf("the chat client, its user idle: %s", run)
	}
	select {
	case e := <-early:
		if e {
			t.Errorf("the chat client left before the end of its stdin, which was held back: %s", run)
		}
	default:
		t.Errorf("the chat client never reached the room: %s", run)
	}
	if at, ok := run.PrintedBy(len(run.Stdout)); !ok || at.Before(run.Started) || at.After(run.Ended()) {
		t.Errorf("the run says the client printed its %d bytes at %v (%v): not during the run, %v to %v", len(run.Stdout), at, ok, run.Started, run.Ended())
	}

	list, err := engine.provider.Client().ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: client.Filters{}.Add("label", LabelPID+"="+strconv.Itoa(os.Getpid())),
	})
	if err != nil || len(list.Items) > 0 {
		t.Errorf("containers left behind: %d (%v)", len(list.Items), err)
	}
}

// listen serves each connection to a listener on 127.0.0.1 with serve,
// until the test ends, and returns its address.
func listen(t *testing.T, serve func(net.Conn)) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				serve(c)
			}()
		}
	}()
	return l.Addr().String()
}
