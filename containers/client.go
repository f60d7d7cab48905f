package containers

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/socketspec/conformance/suite"
)

// This file runs this project's clients (containers/*/*_client*): as local
// processes, and in a container per run, on the host's network.

// clientProgram is the file name of a protocol's client ("echo-client" or
// "echo"): echo_client.py, http_hello_client.
func (impl Impl) clientProgram(protocol string) string { return impl.clientFile(impl.Client, protocol) }

// clientFile fills a pattern such as "{name}_client.c" in for protocol.
func (impl Impl) clientFile(pattern, protocol string) string {
	name := strings.ReplaceAll(strings.TrimSuffix(protocol, "-client"), "-", "_")
	return strings.ReplaceAll(pattern, "{name}", name)
}

// HasClient reports whether the implementation has a client for protocol:
// its source, built or not.
func (impl Impl) HasClient(root, protocol string) bool {
	if impl.Client == "" {
		return false
	}
	file := impl.clientProgram(protocol)
	if impl.ClientSource != "" {
		file = impl.clientFile(impl.ClientSource, protocol)
	}
	_, err := os.Stat(filepath.Join(impl.dir(root), file))
	return err == nil
}

// LocalClientCommand is the command line that runs an implementation's
// client for a protocol as a local process (see suite.ClientCommand): args
// are the client's arguments, "{host} {port}" or "{url}", left for the
// suite to fill in for each run.
func (impl Impl) LocalClientCommand(root, protocol, args string) (string, error) {
	if impl.Client == "" {
		return "", fmt.Errorf("the %s implementation has no clients", impl.Name)
	}
	path := filepath.Join(impl.dir(root), impl.clientProgram(protocol))
	if _, err := os.Stat(path); err != nil {
		hint := ""
		if impl.Build != "" {
			hint = fmt.Sprintf(" (build it with: %s, in %s)", impl.Build, impl.Dir)
		}
		return "", fmt.Errorf("no %s client for %s at %s%s", impl.Name, protocol, path, hint)
	}
	r := strings.NewReplacer("{path}", shellQuote(path), "{port}", args)
	return "exec " + r.Replace(impl.Local), nil
}

// ClientInContainer is the container command that runs the protocol's
// client with args ("{host}", "{port}", or "{url}"), in place of Container's
// "{port}".
func (impl Impl) ClientInContainer(protocol string, args []string) []string {
	var cmd []string
	for _, arg := range impl.Container {
		if arg == "{port}" {
			cmd = append(cmd, args...)
			continue
		}
		cmd = append(cmd, strings.ReplaceAll(arg, "{program}", impl.clientProgram(protocol)))
	}
	return cmd
}

// Client is a client program that runs cmd in a new container of image for
// every run, "{host}", "{port}" and "{url}" in cmd put in. The container
// uses the host's network, as `docker run --network host` does: the suite's
// server listens on 127.0.0.1 of the host, which a container's own network
// cannot reach. It is removed after each run.
func (e *Engine) Client(name, image string, cmd []string) suite.ClientProgram {
	return &containerClient{engine: e, name: name, image: image, cmd: cmd}
}

type containerClient struct {
	engine      *Engine
	name, image string
	cmd         []string
}

func (c *containerClient) Name() string { return c.name }

// Run creates the container, attaches to its stdin, stdout and stderr,
// starts it, writes inv.Stdin and closes it (once inv.StdinEnds is closed,
// when it is not nil: an idle user), and waits for the container to exit,
// at most inv.Within: then it is killed, and the run says it timed out.
// The time a run takes includes the container's start: a client running in
// a container is that much slower to begin. The run says when each piece
// of stdout came (ClientRun.Printed), as it came through the attachment.
func (c *containerClient) Run(ctx context.Context, inv suite.Invocation) *suite.ClientRun {
	host, port, _ := net.SplitHostPort(inv.Addr)
	r := strings.NewReplacer("{host}", host, "{port}", port, "{url}", inv.URL)
	cmd := make([]string, len(c.cmd))
	for i, arg := range c.cmd {
		cmd[i] = r.Replace(arg)
	}
	run := &suite.ClientRun{
		Command:  "docker run -i --network host " + c.image + " " + strings.Join(cmd, " "),
		ExitCode: -1,
		Started:  time.Now(),
	}
	runCtx, cancel := context.WithTimeout(ctx, inv.Within)
	defer cancel()

	cli := c.engine.provider.Client()
	pids := int64(64)
	created, err := cli.ContainerCreate(runCtx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:       c.image,
			Cmd:         cmd,
			Labels:      map[string]string{LabelManaged: "true", LabelPID: strconv.Itoa(os.Getpid())},
			AttachStdin: true, AttachStdout: true, AttachStderr: true,
			// Stdin is closed when our attachment closes it: the
			// client reads EOF at the end of inv.Stdin, or once
			// inv.StdinEnds is closed.
			OpenStdin: true, StdinOnce: true,
		},
		HostConfig: &container.HostConfig{
			NetworkMode:    "host",
			CapDrop:        []string{"ALL"},
			ReadonlyRootfs: true,
			SecurityOpt:    []string{"no-new-privileges"},
			Resources:      container.Resources{Memory: 256 << 20, PidsLimit: &pids},
		},
	})
	if err != nil {
		run.Err = fmt.Errorf("creating a container of %s: %v", c.image, err)
		return run
	}
	defer func() {
		// Whatever happened, the container goes: with a fresh context,
		// since runCtx may be over.
		rmCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cli.ContainerRemove(rmCtx, created.ID, client.ContainerRemoveOptions{Force: true})
	}()

	// Attach before the start, so that no output is missed.
	attached, err := cli.ContainerAttach(runCtx, created.ID, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		run.Err = fmt.Errorf("attaching to the container of %s: %v", c.image, err)
		return run
	}
	defer attached.Close()
	// Wait for the exit from before the start: a client that exits at
	// once must not be missed.
	waited := cli.ContainerWait(runCtx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := cli.ContainerStart(runCtx, created.ID, client.ContainerStartOptions{}); err != nil {
		run.Err = fmt.Errorf("starting the container of %s: %v", c.image, err)
		return run
	}

	go func() {
		// The connection ends with the run; a client that does not read
		// its stdin leaves the write blocked until then.
		attached.Conn.SetWriteDeadline(time.Now().Add(inv.Within))
		if _, err := attached.Conn.Write(inv.Stdin); err != nil {
			return
		}
		if inv.StdinEnds != nil {
			// The user stays idle, stdin open with nothing new, until
			// the check ends it (or the run is over).
			select {
			case <-inv.StdinEnds:
			case <-runCtx.Done():
				return
			}
		}
		attached.CloseWrite()
	}()
	var stdout, stderr suite.OutputBuffer
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		// Without a TTY, Docker sends stdout and stderr on one stream,
		// each piece with a header saying which it is.
		stdcopy.StdCopy(&stdout, &stderr, attached.Reader)
	}()

	select {
	case res := <-waited.Result:
		run.ExitCode = int(res.StatusCode)
	case err := <-waited.Error:
		if runCtx.Err() == nil {
			run.Err = fmt.Errorf("waiting for the container of %s: %v", c.image, err)
		}
	}
	run.Duration = time.Since(run.Started)
	if runCtx.Err() != nil && ctx.Err() == nil {
		run.TimedOut = true
		run.ExitCode = -1
	}
	// The output stream ends soon after the exit. A killed container's
	// ends at its removal: what came before the kill is what we have.
	if !run.TimedOut && ctx.Err() == nil {
		select {
		case <-copied:
		case <-time.After(time.Second): // an exited client's stream that does not end: do not hang on it
		}
	}
	run.Stdout, run.Stderr, run.Printed = stdout.Bytes(), stderr.Bytes(), stdout.Writes()
	return run
}
