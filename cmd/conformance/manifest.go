package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/socketspec/conformance/containers"
	"github.com/socketspec/conformance/specs"
	"github.com/socketspec/conformance/suite"
)

// A manifest (socketspec.yaml) lists the implementations that
// `conformance --matrix --config FILE` checks, a row of the matrix each,
// and how to start each one's servers:
//
//	implementations:
//	  - name: rust                      # the row's name
//	    language: Rust
//	    dir: impl/rust                  # where build and servers run (relative to this file)
//	    build: cargo build --release    # run once, before its servers
//	    env: {RUST_LOG: warn}           # for build and servers
//	    servers:                        # by protocol: cmd, image and port, or addr
//	      echo: {cmd: "target/release/echo --port {port}"}
//	      welcome: {image: my-welcome:latest, port: 8080}
//	      chat: {addr: "127.0.0.1:7000", profile: chat-dialect.yaml}
//	    clients:                        # by protocol: cmd, run once per check
//	      echo: {cmd: "target/release/echo-client {host} {port}"}
//	      http-hello: {cmd: "target/release/fetch {url}"}
//	  - name: go
//	    impl: go                        # one of this project's, as --impl go runs it
//
// A server may also set env (added to its implementation's), dir and
// profile (as --profile). Every relative path is relative to the
// manifest's directory. Mistakes are reported as FILE:LINE: FIELD: what
// is wrong.
type manifest struct {
	path  string // as given, for messages
	impls []*manifestImpl
}

// A manifestImpl is one implementation of a manifest: a row of the matrix.
type manifestImpl struct {
	name, language string
	// impl, when set, is one of this project's implementations, as --impl
	// takes it: every protocol, started as --impl starts it.
	impl  string
	build string // a shell command line, run in dir before the servers
	dir   string // absolute
	env   []string
	// buildField is where build is written, "FILE:LINE: FIELD", for the
	// row's error when the build fails.
	buildField string
	servers    map[string]manifestServer // by protocol
	clients    map[string]manifestServer // by client protocol ("echo-client"): cmd, dir and env
}

// A manifestServer says how to start an implementation's server of one
// protocol: exactly one of cmd, image (with port) and addr.
type manifestServer struct {
	cmd     string // a shell command line with {port}
	image   string
	port    int // the port the server listens on inside image
	addr    string
	dir     string   // absolute: where cmd runs
	env     []string // "KEY=value", its implementation's first
	profile string   // absolute, or empty
}

// The fields a manifest knows, in the order README gives them.
var (
	implFields   = []string{"name", "language", "impl", "dir", "build", "env", "servers", "clients"}
	serverFields = []string{"cmd", "image", "port", "addr", "dir", "env", "profile"}
	clientFields = []string{"cmd", "dir", "env"}
)

// protocols are the protocols the implementation serves, and the client
// protocols it has clients for, in the order of allProtocols.
func (m *manifestImpl) protocols() []string {
	if m.impl != "" {
		return append(specs.Protocols(), implClients(m.impl)...)
	}
	return slices.DeleteFunc(allProtocols(), func(p string) bool {
		_, server := m.servers[p]
		_, client := m.clients[p]
		return !server && !client
	})
}

// clientOf is the implementation's client of protocol, as its manifest
// says to run it; false for a row of one of this project's
// implementations (--impl runs those), or no row at all.
func (m *manifestImpl) clientOf(protocol string) (suite.ClientProgram, bool) {
	if m == nil {
		return nil, false
	}
	c, ok := m.clients[protocol]
	if !ok {
		return nil, false
	}
	return suite.ClientCommand(c.cmd, suite.ClientDir(c.dir), suite.ClientEnv(c.env...)), true
}

// implClients are the client protocols of one of this project's
// implementations.
func implClients(impl string) []string {
	if impl == "go" {
		return specs.ClientProtocols()
	}
	return languageClients(impl)
}

// languageClients are the client protocols that one of this project's
// implementations in another language has a client for (all, some or
// none yet), as its checkout holds them.
func languageClients(name string) []string {
	impl, ok := containers.FindImpl(name)
	root, err := containers.RepoRoot()
	if !ok || err != nil {
		return nil
	}
	return slices.DeleteFunc(specs.ClientProtocols(), func(p string) bool { return !impl.HasClient(root, p) })
}

// docker reports whether checking the implementation needs a Docker engine.
func (m *manifestImpl) docker() bool {
	if isContainerImpl(m.impl) {
		return true
	}
	for _, s := range m.servers {
		if s.image != "" {
			return true
		}
	}
	return false
}

// find returns the implementation with the given name.
func (m *manifest) find(name string) (*manifestImpl, error) {
	names := make([]string, len(m.impls))
	for i, impl := range m.impls {
		if impl.name == name {
			return impl, nil
		}
		names[i] = fmt.Sprintf("%q", impl.name)
	}
	return nil, fmt.Errorf("%s has no implementation %q (it has %s)", m.path, name, strings.Join(names, ", "))
}

// protocols are the protocols any of its implementations serves, or has a
// client of: the columns of its matrix.
func (m *manifest) protocols() []string {
	return slices.DeleteFunc(allProtocols(), func(p string) bool {
		return !slices.ContainsFunc(m.impls, func(impl *manifestImpl) bool { return slices.Contains(impl.protocols(), p) })
	})
}

// yamlLine finds the line in yaml's own messages ("yaml: line 3: ...").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// A manifestError is what is wrong with a manifest, in one line:
// FILE:LINE: FIELD: what is wrong.
type manifestError struct{ err error }

func (e *manifestError) Error() string { return e.err.Error() }

// loadManifest reads and checks a manifest.
func loadManifest(path string) (*manifest, error) {
	m, err := readManifest(path)
	if err != nil {
		return nil, &manifestError{err}
	}
	return m, nil
}

func readManifest(path string) (*manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := yamlLine.ReplaceAllString(err.Error(), path+":$1: ")
		return nil, errors.New(strings.ReplaceAll(strings.TrimPrefix(msg, "yaml: "), "\n", " "))
	}
	p := manifestParser{file: path, dir: filepath.Dir(abs)}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty: it lists the implementations to check under implementations:", path)
	}
	top, err := p.fields(doc.Content[0], "", "implementations")
	if err != nil {
		return nil, err
	}
	list, ok := top["implementations"]
	if !ok || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		n := doc.Content[0]
		if ok {
			n = list
		}
		return nil, p.errorf(n, "implementations", "want a list of implementations, each with a name and servers (or impl)")
	}
	m := &manifest{path: path}
	slugs := map[string]string{}
	for i, n := range list.Content {
		impl, err := p.impl(n, fmt.Sprintf("implementations[%d]", i))
		if err != nil {
			return nil, err
		}
		if other, ok := slugs[slug(impl.name)]; ok {
			return nil, p.errorf(n, fmt.Sprintf("implementations[%d].name", i), "%q: the same report file names as %q (%s.*): rename one", impl.name, other, slug(impl.name))
		}
		slugs[slug(impl.name)] = impl.name
		m.impls = append(m.impls, impl)
	}
	return m, nil
}

// A manifestParser reads the YAML nodes of one manifest.
type manifestParser struct {
	file string // as given
	dir  string // its directory, absolute: relative paths start there
}

func (p manifestParser) errorf(n *yaml.Node, field, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %s", p.file, n.Line, field, fmt.Sprintf(format, args...))
}

// fields returns the values of mapping n by key, after checking that each
// key is one of known. path is n's own field, "" at the top.
func (p manifestParser) fields(n *yaml.Node, path string, known ...string) (map[string]*yaml.Node, error) {
	at := func(key string) string {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	if n.Kind != yaml.MappingNode {
		where := path
		if where == "" {
			where = "the top level"
		}
		return nil, p.errorf(n, where, "want a mapping of %s, not %s", strings.Join(known, ", "), describe(n))
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !slices.Contains(known, k.Value):
			return nil, p.errorf(k, at(k.Value), "unknown field (known here: %s)", strings.Join(known, ", "))
		case out[k.Value] != nil:
			return nil, p.errorf(k, at(k.Value), "given twice")
		}
		out[k.Value] = v
	}
	return out, nil
}

// describe says what kind of YAML value n is, for messages.
func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Tag == "!!null":
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}

// str reads a string: any scalar but null.
func (p manifestParser) str(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Value == "" {
		return "", p.errorf(n, field, "want a non-empty string, not %s", describe(n))
	}
	return n.Value, nil
}

// env reads a mapping of environment variables.
func (p manifestParser) env(n *yaml.Node, field string) ([]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(n, field, "want a mapping of variable names to values, not %s", describe(n))
	}
	var env []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "" || strings.ContainsAny(k.Value, "= \t") {
			return nil, p.errorf(k, field, "%q is not a variable name", k.Value)
		}
		if v.Kind != yaml.ScalarNode {
			return nil, p.errorf(v, field+"."+k.Value, "want a string, not %s", describe(v))
		}
		env = append(env, k.Value+"="+v.Value)
	}
	return env, nil
}

// dirField reads a directory, relative to the manifest's, that must exist.
func (p manifestParser) dirField(n *yaml.Node, field string) (string, error) {
	dir, err := p.str(n, field)
	if err != nil {
		return "", err
	}
	dir = p.abs(dir)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return "", p.errorf(n, field, "no directory %s", dir)
	}
	return dir, nil
}

func (p manifestParser) abs(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.dir, path)
}

// impl reads one implementation.
func (p manifestParser) impl(n *yaml.Node, path string) (*manifestImpl, error) {
	f, err := p.fields(n, path, implFields...)
	if err != nil {
		return nil, err
	}
	impl := &manifestImpl{dir: p.dir}
	if f["name"] == nil {
		return nil, p.errorf(n, path+".name", "missing: every implementation has a name, its row in the matrix")
	}
	if impl.name, err = p.str(f["name"], path+".name"); err != nil {
		return nil, err
	}
	if v := f["language"]; v != nil {
		if impl.language, err = p.str(v, path+".language"); err != nil {
			return nil, err
		}
	}
	if v := f["impl"]; v != nil {
		if impl.impl, err = p.str(v, path+".impl"); err != nil {
			return nil, err
		}
		if !slices.Contains(implNames(), impl.impl) {
			return nil, p.errorf(v, path+".impl", "%q is none of this project's implementations (%s)", impl.impl, strings.Join(implNames(), ", "))
		}
		for _, other := range []string{"dir", "build", "env", "servers", "clients"} {
			if f[other] != nil {
				return nil, p.errorf(f[other], path+"."+other, "goes with servers, not with impl: this project's implementation %s is built and started as --impl %s does", impl.impl, impl.impl)
			}
		}
		return impl, nil
	}
	if v := f["dir"]; v != nil {
		if impl.dir, err = p.dirField(v, path+".dir"); err != nil {
			return nil, err
		}
	}
	if v := f["build"]; v != nil {
		if impl.build, err = p.str(v, path+".build"); err != nil {
			return nil, err
		}
		impl.buildField = fmt.Sprintf("%s:%d: %s.build", p.file, v.Line, path)
	}
	if v := f["env"]; v != nil {
		if impl.env, err = p.env(v, path+".env"); err != nil {
			return nil, err
		}
	}
	servers, clients := f["servers"], f["clients"]
	if (servers == nil && clients == nil) || (servers != nil && (servers.Kind != yaml.MappingNode || len(servers.Content) == 0)) {
		at := n
		if servers != nil {
			at = servers
		}
		return nil, p.errorf(at, path+".servers", "want a mapping of protocols (%s) to how to start each server (or impl: one of %s)", strings.Join(specs.Protocols(), ", "), strings.Join(implNames(), ", "))
	}
	impl.servers = map[string]manifestServer{}
	for i := 0; servers != nil && i+1 < len(servers.Content); i += 2 {
		k, v := servers.Content[i], servers.Content[i+1]
		field := path + ".servers." + k.Value
		switch {
		case !slices.Contains(specs.Protocols(), k.Value):
			return nil, p.errorf(k, field, "unknown protocol (known: %s)", strings.Join(specs.Protocols(), ", "))
		}
		if _, dup := impl.servers[k.Value]; dup {
			return nil, p.errorf(k, field, "given twice")
		}
		if impl.servers[k.Value], err = p.server(v, field, impl); err != nil {
			return nil, err
		}
	}
	impl.clients = map[string]manifestServer{}
	if clients != nil && (clients.Kind != yaml.MappingNode || len(clients.Content) == 0) {
		return nil, p.errorf(clients, path+".clients", "want a mapping of protocols (%s) to the command line of each client", strings.Join(clientNames(), ", "))
	}
	for i := 0; clients != nil && i+1 < len(clients.Content); i += 2 {
		k, v := clients.Content[i], clients.Content[i+1]
		field := path + ".clients." + k.Value
		protocol := specs.ClientOf(k.Value)
		if !slices.Contains(specs.ClientProtocols(), protocol) {
			return nil, p.errorf(k, field, "no client contract for this protocol (clients: %s; the timestamp echo's client is an echo client)", strings.Join(clientNames(), ", "))
		}
		if _, dup := impl.clients[protocol]; dup {
			return nil, p.errorf(k, field, "given twice")
		}
		if impl.clients[protocol], err = p.client(v, field, protocol, impl); err != nil {
			return nil, err
		}
	}
	return impl, nil
}

// clientNames are the protocols with a client contract, by their servers'
// names, as the clients map takes them.
func clientNames() []string {
	var names []string
	for _, p := range specs.ClientProtocols() {
		names = append(names, strings.TrimSuffix(p, "-client"))
	}
	return names
}

// client reads how to run one client of impl: a command line with {host}
// and {port} ({url} for an HTTP client), run once per check.
func (p manifestParser) client(n *yaml.Node, path, protocol string, impl *manifestImpl) (manifestServer, error) {
	c := manifestServer{dir: impl.dir, env: slices.Clone(impl.env)}
	f, err := p.fields(n, path, clientFields...)
	if err != nil {
		return c, err
	}
	if f["cmd"] == nil {
		return c, p.errorf(n, path+".cmd", "missing: a client is run by its command line, once per check")
	}
	if c.cmd, err = p.str(f["cmd"], path+".cmd"); err != nil {
		return c, err
	}
	switch want := "{port}"; {
	case protocol == specs.ClientOf("http-hello") && !strings.Contains(c.cmd, "{url}"):
		return c, p.errorf(f["cmd"], path+".cmd", "no {url} in %q: an HTTP client is given the URL to fetch", c.cmd)
	case protocol != specs.ClientOf("http-hello") && !strings.Contains(c.cmd, want):
		return c, p.errorf(f["cmd"], path+".cmd", "no {port} in %q: the suite starts its server on a free port and puts {host} and {port} there", c.cmd)
	}
	if v := f["dir"]; v != nil {
		if c.dir, err = p.dirField(v, path+".dir"); err != nil {
			return c, err
		}
	}
	if v := f["env"]; v != nil {
		env, err := p.env(v, path+".env")
		if err != nil {
			return c, err
		}
		c.env = append(c.env, env...)
	}
	return c, nil
}

// server reads how to start one server of impl.
func (p manifestParser) server(n *yaml.Node, path string, impl *manifestImpl) (manifestServer, error) {
	s := manifestServer{dir: impl.dir, env: slices.Clone(impl.env)}
	f, err := p.fields(n, path, serverFields...)
	if err != nil {
		return s, err
	}
	ways := 0
	for _, way := range []struct {
		name string
		to   *string
	}{{"cmd", &s.cmd}, {"image", &s.image}, {"addr", &s.addr}} {
		if v := f[way.name]; v != nil {
			ways++
			if *way.to, err = p.str(v, path+"."+way.name); err != nil {
				return s, err
			}
		}
	}
	switch {
	case ways == 0:
		return s, p.errorf(n, path, "no way to start it: give cmd (a command line with {port}), image and port, or addr")
	case ways > 1:
		return s, p.errorf(n, path, "give one of cmd, image and addr, not %d", ways)
	case s.cmd != "" && !strings.Contains(s.cmd, "{port}"):
		return s, p.errorf(f["cmd"], path+".cmd", "no {port} in %q: the suite chooses a free port and puts it there", s.cmd)
	case s.addr != "":
		if _, _, err := net.SplitHostPort(s.addr); err != nil {
			return s, p.errorf(f["addr"], path+".addr", "want HOST:PORT, not %q", s.addr)
		}
		for _, other := range []string{"dir", "env"} {
			if f[other] != nil {
				return s, p.errorf(f[other], path+"."+other, "goes with cmd or image: the server at addr is already running")
			}
		}
	}
	if v := f["port"]; v == nil && s.image != "" {
		return s, p.errorf(n, path+".port", "missing: image needs the port its server listens on inside the container")
	} else if v != nil {
		if s.image == "" {
			return s, p.errorf(v, path+".port", "goes with image (cmd gets its port as {port}; addr names its own)")
		}
		if err := v.Decode(&s.port); err != nil || s.port < 1 || s.port > 65535 {
			return s, p.errorf(v, path+".port", "want a port number, 1 to 65535, not %s", describe(v))
		}
	}
	if v := f["dir"]; v != nil {
		if s.image != "" {
			return s, p.errorf(v, path+".dir", "goes with cmd: an image brings its own files")
		}
		if s.dir, err = p.dirField(v, path+".dir"); err != nil {
			return s, err
		}
	}
	if v := f["env"]; v != nil {
		env, err := p.env(v, path+".env")
		if err != nil {
			return s, err
		}
		s.env = append(s.env, env...)
	}
	if v := f["profile"]; v != nil {
		if s.profile, err = p.str(v, path+".profile"); err != nil {
			return s, err
		}
		s.profile = p.abs(s.profile)
		if _, err := specs.LoadProfile(s.profile); err != nil {
			return s, p.errorf(v, path+".profile", "%v", err)
		}
	}
	return s, nil
}

// buildTimeout bounds an implementation's build step.
const buildTimeout = 10 * time.Minute

// runBuild runs the implementation's build step, if it has one: in its
// dir, with its env, in a process group of its own (stopped, children and
// all, when ctx ends), within buildTimeout, its output to log. Its error
// says where the manifest gives the build, and the build's last line.
func (m *manifestImpl) runBuild(ctx context.Context, log io.Writer) error {
	if m.build == "" {
		return nil
	}
	fmt.Fprintf(log, "conformance: building %s: %s (in %s)\n", m.name, m.build, m.dir)
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmd := exec.Command("/bin/sh", "-c", m.build)
	cmd.Dir = m.dir
	cmd.Env = append(os.Environ(), m.env...)
	p, err := suite.StartProcess(ctx, cmd, suite.WithOutput(log, log), suite.WithBufferLimit(0))
	if err == nil {
		defer p.Stop()
		err = p.Wait()
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("it did not end within %v", buildTimeout)
	}
	if err == nil {
		return nil
	}
	said := ""
	if p != nil {
		if last := lastLineOf(p.Output()); last != "" {
			said = ": " + last
		}
	}
	return fmt.Errorf("%s: %q failed (%v)%s", m.buildField, m.build, err, said)
}

// builtin is this project's implementation that o checks (--impl NAME,
// or the manifest's impl: NAME), or "".
func (o options) builtin() string {
	if o.row != nil {
		return o.row.impl
	}
	return o.impl
}

// isContainerImpl reports whether name is one of this project's
// implementations that run in containers.
func isContainerImpl(name string) bool {
	_, ok := containers.FindImpl(name)
	return ok
}
