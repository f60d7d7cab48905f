// Package containers runs server implementations in Docker containers,
// through testcontainers-go, as suite targets: this project's Python and C
// implementations (built from containers/python and containers/c), and
// anyone's own image. It also runs the same programs as local processes
// (--local) for machines without a Docker engine.
//
// There is no registry here: base images are built locally (see
// containers/images), Ryuk is disabled, and every container is labelled so
// that leftovers of a crashed run can be found and removed.
package containers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	stdlog "log"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	tclog "github.com/testcontainers/testcontainers-go/log"
)

// Labels put on every container this package starts.
const (
	LabelManaged = "io.socketspec.managed" // always "true"
	LabelPID     = "io.socketspec.pid"     // the process that started it
)

// ContainerPort is the port our implementations listen on inside their container.
const ContainerPort = 7000

func init() {
	// Ryuk, testcontainers' reaper, is an image we cannot pull. The
	// setting is read once, before the first container call, and only the
	// exact value "true" disables it. Our own labels replace it.
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	// Its progress lines would drown the verdict; errors reach us as errors.
	tclog.SetDefault(stdlog.New(io.Discard, "", 0))
}

// An Impl is one of this project's implementations in another language.
type Impl struct {
	Name string // "python" or "c"
	Dir  string // its sources and Dockerfile, relative to the repository root
	// BaseArgs are the Dockerfile's base-image build arguments, set to the
	// images containers/images builds from Debian packages.
	BaseArgs map[string]string
	// InContainer and Local map a protocol to the program run for it: as
	// container command arguments for a port, and as a local command line.
	InContainer func(protocol string, port int) []string
	Local       func(dir, protocol string) string
}

// Impls are the implementations that run in containers.
var Impls = []Impl{
	{
		Name:     "python",
		Dir:      "containers/python",
		BaseArgs: map[string]string{"BASE": "socketspec/base-python:bookworm"},
		// The image's entrypoint is python3.
		InContainer: func(p string, port int) []string { return []string{"/app/" + fileName(p) + ".py", fmt.Sprint(port)} },
		Local: func(dir, p string) string {
			return fmt.Sprintf("exec /usr/bin/python3 %s/%s.py {port}", dir, fileName(p))
		},
	},
	{
		Name:        "c",
		Dir:         "containers/c",
		BaseArgs:    map[string]string{"BUILD_BASE": "socketspec/base-gcc:bookworm"},
		InContainer: func(p string, port int) []string { return []string{"/" + fileName(p), fmt.Sprint(port)} },
		Local: func(dir, p string) string {
			return fmt.Sprintf("exec %s/%s {port}", dir, fileName(p))
		},
	},
}

// FindImpl returns the implementation with the given name.
func FindImpl(name string) (Impl, bool) {
	i := slices.IndexFunc(Impls, func(impl Impl) bool { return impl.Name == name })
	if i < 0 {
		return Impl{}, false
	}
	return Impls[i], true
}

// fileName is the file a protocol's server is in: "http-hello" is http_hello.
func fileName(protocol string) string { return strings.ReplaceAll(protocol, "-", "_") }

// sourceFiles are the files of an implementation's build context that
// matter: a change to any of them means a new image.
func sourceFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if e.Type().IsRegular() && (name == "Dockerfile" || name == "Makefile" || name == ".dockerignore" || ext == ".c" || ext == ".h" || ext == ".py") {
			files = append(files, name)
		}
	}
	return files, nil
}

// ImageTag is the image an implementation's sources build: its name and a
// hash of the sources, so an unchanged implementation is never rebuilt and
// a changed one always is.
func (impl Impl) ImageTag(root string) (string, error) {
	dir := filepath.Join(root, impl.Dir)
	files, err := sourceFiles(dir)
	if err != nil {
		return "", fmt.Errorf("%s implementation: %v", impl.Name, err)
	}
	h := sha256.New()
	for _, name := range files {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00", name)
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(impl.BaseArgs)) {
		fmt.Fprintf(h, "%s=%s\x00", k, impl.BaseArgs[k])
	}
	return "socketspec/" + impl.Name + ":" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// LocalCommand is the command line that runs an implementation's server for
// a protocol as a local process, for the suite's command target. root is
// the repository root.
func (impl Impl) LocalCommand(root, protocol string) (string, error) {
	dir := filepath.Join(root, impl.Dir)
	program := filepath.Join(dir, fileName(protocol))
	if impl.Name == "python" {
		program += ".py"
	}
	if _, err := os.Stat(program); err != nil {
		hint := ""
		if impl.Name == "c" {
			hint = " (build it with: make -C " + impl.Dir + ")"
		}
		return "", fmt.Errorf("no %s server for %s at %s%s", impl.Name, protocol, program, hint)
	}
	return impl.Local(dir, protocol), nil
}

// RepoRoot finds the repository root, the directory holding go.mod, from
// the working directory up: the implementations' sources are found from it.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(data), "module github.com/socketspec/conformance") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run this from the socketspec repository: no go.mod of github.com/socketspec/conformance above %s", mustGetwd())
		}
		dir = parent
	}
}

func mustGetwd() string { d, _ := os.Getwd(); return d }
