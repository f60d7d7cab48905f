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
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	stdlog "log"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
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
// Adding a language is adding an entry to Impls: the images, --impl,
// --local, impl: in a manifest and the help all read this table; the
// matrix's rows are in the manifest, socketspec.yaml.
type Impl struct {
	// Name is what --impl takes and the matrix's row is called: "python".
	// It names the image too, so it is lowercase.
	Name string
	// Dir holds its sources and Dockerfile, relative to the repository
	// root (or absolute). Every file in it is a source of the image except
	// those its .dockerignore excludes (build outputs, documentation).
	Dir string
	// BaseArgs are the Dockerfile's base-image build arguments, set to the
	// images containers/images builds from Debian packages.
	BaseArgs map[string]string
	// Program is the file in Dir that serves a protocol, "{name}" being
	// the protocol's file name (http-hello is http_hello): "{name}.py".
	Program string
	// Container is the container command that runs a protocol's server:
	// "{program}" is Program for the protocol, "{port}" the port to listen
	// on, e.g. "/app/{program}", "{port}".
	Container []string
	// Local is the shell command line that runs it as a local process:
	// "{path}" is the program's path, "{port}" is left for the suite to
	// fill in, e.g. "/usr/bin/python3 {path} {port}".
	Local string
	// Build, when not empty, is the shell command line that builds the
	// local programs, run in Dir before they are run (--local, and the
	// matrix before the local row): "make -s".
	Build string
	// Client is the file in Dir that is a protocol's client, "{name}" as
	// in Program: "{name}_client.py". A client runs as its server does,
	// from Container and Local, with the client's arguments ("{host}
	// {port}", an HTTP client's "{url}") in place of "{port}".
	Client string
	// ClientSource is a client's source file, when the program is built
	// from it ("{name}_client.c"): whether there is a client is read from
	// the sources, before any build.
	ClientSource string
}

// Impls are the implementations that run in containers, and locally.
var Impls = []Impl{
	{
		Name:     "python",
		Dir:      "containers/python",
		BaseArgs: map[string]string{"BASE": "socketspec/base-python:bookworm"},
		Program:  "{name}.py",
		// The image's entrypoint is python3.
		Container: []string{"/app/{program}", "{port}"},
		Local:     "/usr/bin/python3 {path} {port}",
		Client:    "{name}_client.py",
	},
	{
		Name:      "c",
		Dir:       "containers/c",
		BaseArgs:  map[string]string{"BUILD_BASE": "socketspec/base-gcc:bookworm"},
		Program:   "{name}",
		Container: []string{"/{program}", "{port}"},
		Local:     "{path} {port}",
		Build:     "make -s",
		Client:    "{name}_client",
		// The programs are built (make); the sources say which there are.
		ClientSource: "{name}_client.c",
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

// Names are the names of the implementations, in table order.
func Names() []string {
	names := make([]string, len(Impls))
	for i, impl := range Impls {
		names[i] = impl.Name
	}
	return names
}

// dir is the implementation's directory.
func (impl Impl) dir(root string) string {
	if filepath.IsAbs(impl.Dir) {
		return impl.Dir
	}
	return filepath.Join(root, impl.Dir)
}

// program is the file name of a protocol's server: "http-hello" is
// http_hello, then Program's pattern.
func (impl Impl) program(protocol string) string {
	return strings.ReplaceAll(impl.Program, "{name}", strings.ReplaceAll(protocol, "-", "_"))
}

// InContainer is the container command that runs the protocol's server on port.
func (impl Impl) InContainer(protocol string, port int) []string {
	r := strings.NewReplacer("{program}", impl.program(protocol), "{port}", strconv.Itoa(port))
	cmd := make([]string, len(impl.Container))
	for i, arg := range impl.Container {
		cmd[i] = r.Replace(arg)
	}
	return cmd
}

// sourceFiles are the files of an implementation's build context, the
// paths relative to dir with slashes: every file but those its
// .dockerignore excludes, as the image build sees them. The Dockerfile and
// the .dockerignore always count, excluded or not, as they do for the build.
func sourceFiles(dir string) ([]string, error) {
	var patterns []string
	if f, err := os.Open(filepath.Join(dir, ".dockerignore")); err == nil {
		patterns, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", filepath.Join(dir, ".dockerignore"), err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, ".dockerignore"), err)
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "Dockerfile" || rel == ".dockerignore" {
			files = append(files, rel)
			return nil
		}
		excluded, err := pm.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		switch {
		case e.IsDir() && excluded && !pm.Exclusions():
			return filepath.SkipDir // nothing under it can come back
		case e.IsDir(), excluded:
			return nil
		}
		files = append(files, rel)
		return nil
	})
	return files, err
}

// ImageTag is the image an implementation's sources build: its name and a
// hash of the sources, so an unchanged implementation is never rebuilt and
// a changed one always is.
func (impl Impl) ImageTag(root string) (string, error) {
	dir := impl.dir(root)
	files, err := sourceFiles(dir)
	if err != nil {
		return "", fmt.Errorf("%s implementation: %v", impl.Name, err)
	}
	h := sha256.New()
	for _, name := range files {
		if err := hashFile(h, dir, name); err != nil {
			return "", fmt.Errorf("%s implementation: %v", impl.Name, err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(impl.BaseArgs)) {
		fmt.Fprintf(h, "%s=%s\x00", k, impl.BaseArgs[k])
	}
	return "socketspec/" + impl.Name + ":" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// hashFile adds a file of the build context to h: its name, whether it is
// executable, what a symbolic link points to, a regular file's contents.
func hashFile(h io.Writer, dir, name string) error {
	path := filepath.Join(dir, filepath.FromSlash(name))
	info, err := os.Lstat(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "%s\x00%v\x00", name, info.Mode().Type()|info.Mode().Perm()&0o111)
	if info.Mode().Type() == fs.ModeSymlink {
		target, err := os.Readlink(path)
		fmt.Fprintf(h, "%s\x00", target)
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

// LocalCommand is the command line that runs an implementation's server for
// a protocol as a local process, for the suite's command target. root is
// the repository root.
func (impl Impl) LocalCommand(root, protocol string) (string, error) {
	path := filepath.Join(impl.dir(root), impl.program(protocol))
	if _, err := os.Stat(path); err != nil {
		hint := ""
		if impl.Build != "" {
			hint = fmt.Sprintf(" (build it with: %s, in %s)", impl.Build, impl.Dir)
		}
		return "", fmt.Errorf("no %s server for %s at %s%s", impl.Name, protocol, path, hint)
	}
	return "exec " + strings.ReplaceAll(impl.Local, "{path}", shellQuote(path)), nil
}

// BuildLocal runs the implementation's local build step, if it has one,
// writing its output to log.
func (impl Impl) BuildLocal(ctx context.Context, root string, log io.Writer) error {
	if impl.Build == "" {
		return nil
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", impl.Build)
	cmd.Dir = impl.dir(root)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the %s servers did not build (%s, in %s: %v)", impl.Name, impl.Build, impl.Dir, err)
	}
	return nil
}

// shellQuote quotes a path for /bin/sh when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
			return "", fmt.Errorf("there is no go.mod of github.com/socketspec/conformance in %s or above", mustGetwd())
		}
		dir = parent
	}
}

func mustGetwd() string { d, _ := os.Getwd(); return d }
