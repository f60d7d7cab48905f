package containers

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/socketspec/conformance/suite"
)

// StartTimeout bounds how long a container may take to start answering.
const StartTimeout = 30 * time.Second

// Engine is a connection to the Docker engine.
type Engine struct {
	provider *testcontainers.DockerProvider
}

// Connect connects to the Docker engine, or says why it cannot.
func Connect(ctx context.Context) (*Engine, error) {
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return nil, fmt.Errorf("no Docker engine: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := provider.Health(ctx); err != nil {
		provider.Close()
		return nil, fmt.Errorf("no Docker engine: %v", err)
	}
	return &Engine{provider: provider}, nil
}

// Close releases the connection.
func (e *Engine) Close() error { return e.provider.Close() }

func (e *Engine) hasImage(ctx context.Context, ref string) bool {
	_, err := e.provider.Client().ImageInspect(ctx, ref)
	return err == nil
}

// EnsureImage builds the implementation's image unless an image of its
// current sources exists, and returns its tag. The base images must exist
// (make images builds them). A build says one line on log (see
// buildProgress); docker build's own output goes to reports/build-NAME.log.
func (e *Engine) EnsureImage(ctx context.Context, root string, impl Impl, log io.Writer) (string, error) {
	tag, err := impl.ImageTag(root)
	if err != nil {
		return "", err
	}
	if e.hasImage(ctx, tag) {
		return tag, nil
	}
	args := map[string]*string{}
	for k, v := range impl.BaseArgs {
		if !e.hasImage(ctx, v) {
			return "", fmt.Errorf("base image %s is missing: build it with `make images` (no registry to pull from)", v)
		}
		args[k] = &v
	}
	repo, version, _ := strings.Cut(tag, ":")
	progress, err := newBuildProgress(log, filepath.Join(root, "reports"), impl.Name, tag)
	if err != nil {
		return "", err
	}
	_, err = e.provider.BuildImage(ctx, &testcontainers.ContainerRequest{
		FromDockerfile: testcontainers.FromDockerfile{
			Context:        impl.dir(root),
			Dockerfile:     "Dockerfile",
			Repo:           repo,
			Tag:            version,
			BuildArgs:      args,
			KeepImage:      true,
			BuildLogWriter: progress,
		},
	})
	progress.end(err)
	if err != nil {
		return "", fmt.Errorf("building %s: %v (docker build's output: %s)", tag, err, progress.logPath)
	}
	return tag, nil
}

// RemoveLeftovers removes containers that an earlier run started and did
// not remove (it crashed, or was killed): those whose starting process is
// gone. Without Ryuk, nothing else would.
func (e *Engine) RemoveLeftovers(ctx context.Context) (int, error) {
	list, err := e.provider.Client().ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: client.Filters{}.Add("label", LabelManaged+"=true"),
	})
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, c := range list.Items {
		pid, _ := strconv.Atoi(c.Labels[LabelPID])
		if pid > 0 && alive(pid) {
			continue // its run is still going
		}
		if _, err := e.provider.Client().ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err == nil {
			removed++
		}
	}
	return removed, nil
}

// Target returns a target that runs image in a container, serving on
// port inside it, over network (suite.TCP or suite.UDP), reached through
// a published port. It is named after the image unless WithName says
// otherwise.
func (e *Engine) Target(image, network string, port int, opts ...TargetOption) suite.Target {
	t := &containerTarget{engine: e, name: image, image: image, network: network, port: port}
	for _, o := range opts {
		o(t)
	}
	return t
}

// A TargetOption configures a container target.
type TargetOption func(*containerTarget)

// WithName names the target (in the reports) instead of its image.
func WithName(name string) TargetOption { return func(t *containerTarget) { t.name = name } }

// WithCmd replaces the image's command.
func WithCmd(cmd ...string) TargetOption { return func(t *containerTarget) { t.cmd = cmd } }

// WithEnv adds variables ("KEY=value") to the container's environment.
func WithEnv(env ...string) TargetOption {
	return func(t *containerTarget) { t.env = append(t.env, env...) }
}

// WithReadyLog makes the start wait for a line the server prints once it
// listens, before probing its port.
func WithReadyLog(line string) TargetOption { return func(t *containerTarget) { t.readyLog = line } }

// Hardened runs the container with every capability dropped and a
// read-only root file system (this project's servers need neither).
func Hardened() TargetOption { return func(t *containerTarget) { t.hardened = true } }

// ImplTarget is the target for an implementation's server of a protocol,
// from its image (see EnsureImage), hardened.
//
// A UDP server runs on the host's network, on a free port, because Docker's
// userland proxy never forwards an empty datagram: behind a published port
// every server would fail the clauses about empty datagrams, through no
// fault of its own.
func (e *Engine) ImplTarget(impl Impl, image, protocol, network string) (suite.Target, error) {
	port := ContainerPort
	if network == suite.UDP {
		var err error
		if port, err = suite.FreePort(suite.UDP); err != nil {
			return nil, err
		}
	}
	t := e.Target(image, network, port, WithName(impl.Name), WithCmd(impl.InContainer(protocol, port)...), WithReadyLog("listening on"), Hardened())
	t.(*containerTarget).hostNetwork = network == suite.UDP
	return t, nil
}

type containerTarget struct {
	engine      *Engine
	name, image string
	network     string
	port        int
	cmd         []string
	env         []string
	readyLog    string
	hardened    bool
	hostNetwork bool // serve on the host's network: port is a host port

	ctr  *testcontainers.DockerContainer
	addr string
}

func (t *containerTarget) Name() string { return t.name }
func (t *containerTarget) Addr() string { return t.addr }

// SeesClientAddr is false: a published port goes through docker-proxy, so
// the server sees the proxy's address, not ours.
func (t *containerTarget) SeesClientAddr() bool { return false }

func (t *containerTarget) Start(ctx context.Context) error {
	port := fmt.Sprintf("%d/%s", t.port, t.network)
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLabels(map[string]string{LabelManaged: "true", LabelPID: strconv.Itoa(os.Getpid())}),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			init := true
			pids := int64(256)
			hc.Init = &init // signals reach the server; zombies are reaped
			hc.SecurityOpt = append(hc.SecurityOpt, "no-new-privileges")
			hc.Resources.Memory = 512 << 20
			hc.Resources.PidsLimit = &pids
			if t.hardened {
				hc.CapDrop = []string{"ALL"}
				hc.ReadonlyRootfs = true
			}
			if t.hostNetwork {
				hc.NetworkMode = "host"
			}
		}),
	}
	if !t.hostNetwork {
		opts = append(opts, testcontainers.WithExposedPorts(port))
	}
	if len(t.cmd) > 0 {
		opts = append(opts, testcontainers.WithCmd(t.cmd...))
	}
	if len(t.env) > 0 {
		env := map[string]string{}
		for _, kv := range t.env {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		opts = append(opts, testcontainers.WithEnv(env))
	}
	if t.readyLog != "" {
		// ForListeningPort is not enough: docker-proxy accepts on the
		// published port before the server listens. The server's own
		// line is, and the probe below checks it for real.
		opts = append(opts, testcontainers.WithWaitStrategyAndDeadline(StartTimeout, wait.ForLog(t.readyLog)))
	}
	ctr, err := testcontainers.Run(ctx, t.image, opts...)
	t.ctr = ctr
	if err != nil {
		return fmt.Errorf("container of %s did not start: %v%s", t.image, err, t.logSuffix())
	}
	if t.hostNetwork {
		t.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(t.port))
	} else {
		mapped, err := ctr.MappedPort(ctx, port)
		if err != nil {
			return fmt.Errorf("container of %s: no published port: %v", t.image, err)
		}
		t.addr = net.JoinHostPort("127.0.0.1", mapped.Port())
	}
	// Probe until the server answers, but stop at once if the container
	// exits: then there is nothing to wait for.
	probeCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	wait := t.engine.provider.Client().ContainerWait(probeCtx, ctr.GetContainerID(), client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	exited := make(chan int64, 1)
	go func() {
		select {
		case r := <-wait.Result:
			exited <- r.StatusCode
			cancel()
		case <-probeCtx.Done():
		}
	}()
	if err := suite.Probe(probeCtx, t.network, t.addr, StartTimeout); err != nil {
		cancel()
		select {
		case status := <-exited:
			return fmt.Errorf("the container of %s exited (status %d) before answering on port %d%s", t.image, status, t.port, t.logSuffix())
		default:
		}
		return fmt.Errorf("image %s never started answering on port %d within %v: %v%s", t.image, t.port, StartTimeout, err, t.logSuffix())
	}
	return nil
}

// Output is the tail of the container's log.
func (t *containerTarget) Output() string {
	if t.ctr == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	logs, err := t.ctr.Logs(ctx)
	if err != nil {
		return ""
	}
	defer logs.Close()
	data, _ := io.ReadAll(io.LimitReader(logs, 1<<20))
	if len(data) > 16<<10 {
		data = append([]byte("(earlier output cut)\n"), data[len(data)-16<<10:]...)
	}
	return string(data)
}

func (t *containerTarget) logSuffix() string {
	if out := strings.TrimSpace(t.Output()); out != "" {
		return "; its log:\n    " + strings.ReplaceAll(out, "\n", "\n    ")
	}
	return ""
}

// Stop terminates and removes the container.
func (t *containerTarget) Stop() error {
	if t.ctr == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := t.ctr.Terminate(ctx, testcontainers.StopTimeout(2*time.Second))
	t.ctr = nil
	return err
}
