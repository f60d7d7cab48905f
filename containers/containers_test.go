package containers

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeImpl is an implementation in a language the project does not have,
// in dir (absolute): its sources in src/, its programs built into target/,
// which its .dockerignore excludes.
func fakeImpl(dir string) Impl {
	return Impl{
		Name:      "fake",
		Dir:       dir,
		BaseArgs:  map[string]string{"BASE": "socketspec/base-fake:1"},
		Program:   "target/{name}",
		Container: []string{"/srv/{program}", "--port", "{port}"},
		Local:     "{path} --port {port}",
		Build:     "mkdir -p target && for p in echo http_hello; do printf '#!/bin/sh\\n' > target/$p; chmod +x target/$p; done",
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func imageTag(t *testing.T, impl Impl) string {
	t.Helper()
	tag, err := impl.ImageTag("/nonexistent-root") // Dir is absolute
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// withImpl adds impl to the table for the test's duration.
func withImpl(t *testing.T, impl Impl) {
	saved := Impls
	Impls = append(slices.Clip(Impls), impl)
	t.Cleanup(func() { Impls = saved })
}

// A new language is one entry of Impls: with it, FindImpl and Names know
// it, its image tag follows every source file whatever its type, its local
// build runs, LocalCommand finds its programs and InContainer runs them.
func TestNewImplIsOneTableEntry(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fake")
	writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM ${BASE}\nCOPY . /srv\n")
	writeFile(t, filepath.Join(dir, ".dockerignore"), "/target/\nNOTES.txt\n")
	writeFile(t, filepath.Join(dir, "src", "echo.rs"), "fn main() {}\n")
	writeFile(t, filepath.Join(dir, "Cargo.toml"), "[package]\n")
	impl := fakeImpl(dir)
	withImpl(t, impl)

	if got, ok := FindImpl("fake"); !ok || got.Dir != dir {
		t.Errorf("FindImpl(fake) = %v, %v", got.Dir, ok)
	}
	if names := Names(); !slices.Contains(names, "fake") || !slices.Contains(names, "python") {
		t.Errorf("Names() = %v, want python, c and fake", names)
	}

	tag := imageTag(t, impl)
	if !strings.HasPrefix(tag, "socketspec/fake:") {
		t.Errorf("tag %q, want socketspec/fake:HASH", tag)
	}
	if again := imageTag(t, impl); again != tag {
		t.Errorf("the tag of unchanged sources changed: %s, then %s", tag, again)
	}

	// Before its build, --local has no program, and says how to build it.
	_, err := impl.LocalCommand("", "echo")
	if err == nil || !strings.Contains(err.Error(), "no fake server for echo at "+filepath.Join(dir, "target", "echo")) || !strings.Contains(err.Error(), "build it with: mkdir -p target") {
		t.Errorf("LocalCommand before the build: %v", err)
	}
	if err := impl.BuildLocal(context.Background(), "", io.Discard); err != nil {
		t.Fatal(err)
	}
	// The build's outputs are excluded by .dockerignore: same image.
	if after := imageTag(t, impl); after != tag {
		t.Errorf("building locally changed the tag from %s to %s: its outputs are not sources", tag, after)
	}
	cmdline, err := impl.LocalCommand("", "http-hello")
	if want := "exec " + filepath.Join(dir, "target", "http_hello") + " --port {port}"; err != nil || cmdline != want {
		t.Errorf("LocalCommand(http-hello) = %q, %v; want %q", cmdline, err, want)
	}
	if got, want := impl.InContainer("http-hello", 7000), []string{"/srv/target/http_hello", "--port", "7000"}; !slices.Equal(got, want) {
		t.Errorf("InContainer(http-hello, 7000) = %q, want %q", got, want)
	}

	// Any change to any source makes a new tag; the ignored files do not.
	seen := map[string]string{tag: "the start"}
	changes := []struct {
		what    string
		change  func()
		newSpec bool // false: the tag must stay
	}{
		{"a source edited", func() { writeFile(t, filepath.Join(dir, "src", "echo.rs"), "fn main() { loop {} }\n") }, true},
		{"a file of a new type", func() { writeFile(t, filepath.Join(dir, "build.zig"), "const std = @import(\"std\");\n") }, true},
		{"a new file in a new directory", func() { writeFile(t, filepath.Join(dir, "src", "net", "mod.rs"), "\n") }, true},
		{"the Dockerfile", func() { writeFile(t, filepath.Join(dir, "Dockerfile"), "FROM ${BASE}\nCOPY src /srv\n") }, true},
		{"a file made executable", func() { os.Chmod(filepath.Join(dir, "Cargo.toml"), 0o755) }, true},
		{"a file removed", func() { os.Remove(filepath.Join(dir, "build.zig")) }, true},
		{"a symbolic link", func() { os.Symlink("src/echo.rs", filepath.Join(dir, "main.rs")) }, true},
		{"an ignored file", func() { writeFile(t, filepath.Join(dir, "NOTES.txt"), "todo\n") }, false},
		{"a build output", func() { writeFile(t, filepath.Join(dir, "target", "greeter"), "\n") }, false},
		{"the .dockerignore", func() { writeFile(t, filepath.Join(dir, ".dockerignore"), "/target/\nNOTES.txt\n*.md\n") }, true},
	}
	for _, c := range changes {
		before := imageTag(t, impl)
		c.change()
		after := imageTag(t, impl)
		switch {
		case c.newSpec && after == before:
			t.Errorf("%s: the tag stayed %s", c.what, after)
		case c.newSpec && seen[after] != "":
			t.Errorf("%s: the tag %s is that of %s", c.what, after, seen[after])
		case !c.newSpec && after != before:
			t.Errorf("%s: the tag changed from %s to %s", c.what, before, after)
		}
		seen[after] = c.what
	}
	other := impl
	other.BaseArgs = map[string]string{"BASE": "socketspec/base-fake:2"}
	if imageTag(t, other) == imageTag(t, impl) {
		t.Error("another base image, the same tag")
	}

	impl.Build = "echo broken >&2; exit 3"
	if err := impl.BuildLocal(context.Background(), "", io.Discard); err == nil || err.Error() != "the fake servers did not build (echo broken >&2; exit 3, in "+dir+": exit status 3)" {
		t.Errorf("a failed build: %v", err)
	}
}

func TestSourceFiles(t *testing.T) {
	for _, c := range []struct {
		name         string
		dockerignore string // none when empty
		want         []string
	}{
		{"no .dockerignore: every file", "", []string{"Dockerfile", "Makefile", "README.md", "a.c", "debug/a", "echo", "lib/b.s"}},
		{"outputs excluded", "/echo\n/debug/\n", []string{".dockerignore", "Dockerfile", "Makefile", "README.md", "a.c", "lib/b.s"}},
		// The Dockerfile and .dockerignore are part of any build.
		{"a whitelist", "*\n!*.c\n!lib\n", []string{".dockerignore", "Dockerfile", "a.c", "lib/b.s"}},
		{"patterns with wildcards", "**/*.s\n*.md\n# a comment\n", []string{".dockerignore", "Dockerfile", "Makefile", "a.c", "debug/a", "echo"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{"Dockerfile", "Makefile", "README.md", "a.c", "debug/a", "echo", "lib/b.s"} {
				writeFile(t, filepath.Join(dir, f), f)
			}
			if c.dockerignore != "" {
				writeFile(t, filepath.Join(dir, ".dockerignore"), c.dockerignore)
			}
			got, err := sourceFiles(dir)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("sourceFiles = %q, want %q", got, c.want)
			}
		})
	}
	if _, err := sourceFiles(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing directory: no error")
	}
}

// protocols are the server protocols with a spec document.
func protocols(t *testing.T, root string) []string {
	docs, err := filepath.Glob(filepath.Join(root, "specs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no spec documents in %s/specs: %v", root, err)
	}
	var out []string
	for _, d := range docs {
		// A client's contract (echo-client.md) has no server to serve.
		if name := strings.TrimSuffix(filepath.Base(d), ".md"); !strings.HasSuffix(name, "-client") {
			out = append(out, name)
		}
	}
	return out
}

// copyDir copies the regular files of an implementation's directory (not
// its subdirectories: the local build outputs are left behind).
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if !info.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(to, e.Name()), string(data))
		if err := os.Chmod(filepath.Join(to, e.Name()), info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// Every entry of the table has a Dockerfile and, once built, a local
// program for every protocol; the local build leaves the image tag as it
// was. Each runs on a copy, so as not to build in the working tree.
func TestImplsServeEveryProtocol(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, impl := range Impls {
		t.Run(impl.Name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(impl.dir(root), "Dockerfile")); err != nil {
				t.Error(err)
			}
			if impl.Build != "" {
				if _, err := exec.LookPath("make"); err != nil {
					t.Skip("make is not installed")
				}
				if _, err := exec.LookPath("gcc"); err != nil {
					t.Skip("gcc is not installed")
				}
			}
			tmp := t.TempDir()
			copyDir(t, impl.dir(root), filepath.Join(tmp, impl.Dir))
			before, err := impl.ImageTag(tmp)
			if err != nil {
				t.Fatal(err)
			}
			if tag, err := impl.ImageTag(root); err != nil || tag != before {
				t.Errorf("the copy's tag is %s, the working tree's %s (%v): are there local build outputs .dockerignore misses?", before, tag, err)
			}
			if err := impl.BuildLocal(context.Background(), tmp, io.Discard); err != nil {
				t.Fatal(err)
			}
			if impl.Name == "c" {
				// make debug's outputs are not sources either.
				if out, err := exec.Command("make", "-s", "-C", filepath.Join(tmp, impl.Dir), "debug").CombinedOutput(); err != nil {
					t.Fatalf("make debug: %v\n%s", err, out)
				}
			}
			if impl.Name == "python" {
				// Nor is the byte code a local run may leave.
				writeFile(t, filepath.Join(tmp, impl.Dir, "__pycache__", "echo.cpython-311.pyc"), "byte code")
			}
			if after, err := impl.ImageTag(tmp); err != nil || after != before {
				t.Errorf("the local build changed the tag from %s to %s (%v): its outputs belong in %s/.dockerignore", before, after, err, impl.Dir)
			}
			for _, p := range protocols(t, root) {
				cmdline, err := impl.LocalCommand(tmp, p)
				if err != nil {
					t.Error(err)
					continue
				}
				if !strings.HasPrefix(cmdline, "exec ") || !strings.HasSuffix(cmdline, " {port}") {
					t.Errorf("%s: LocalCommand = %q, want exec ... {port}", p, cmdline)
				}
				if args := impl.InContainer(p, 7000); len(args) == 0 || args[len(args)-1] != "7000" || strings.Contains(strings.Join(args, " "), "{") {
					t.Errorf("%s: InContainer = %q", p, args)
				}
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/work/main/containers/c/echo": "/work/main/containers/c/echo",
		"/my dir/echo":                 "'/my dir/echo'",
		"/it's/echo":                   `'/it'\''s/echo'`,
		"":                             "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
