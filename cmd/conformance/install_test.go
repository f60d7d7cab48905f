package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// `go install github.com/socketspec/conformance/cmd/conformance@VERSION`
// works from a module proxy, and what it installs needs no checkout for
// --list and --addr. The proxy is a directory served by GOPROXY=file://,
// laid out by the GOPROXY protocol, holding one version: the module as
// committed at HEAD (what a tag there would publish). Its dependencies
// come from the module cache, or the usual proxy.
func TestGoInstallFromAModuleProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command from a module proxy")
	}
	const path, version = "github.com/socketspec/conformance", "v0.1.0"
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	proxy := t.TempDir()
	dir := filepath.Join(proxy, path, "@v")
	os.MkdirAll(dir, 0o755)
	// The module's files as committed at HEAD (git archive works in a
	// worktree too, where zip.CreateFromVCS does not), zipped.
	src := t.TempDir()
	archive := exec.Command("sh", "-c", `git -C "$0" archive --format=tar HEAD | tar -x -C "$1"`, root, src)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Skipf("no git checkout to make the module from: %v\n%s", err, out)
	}
	f, err := os.Create(filepath.Join(dir, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	err = zip.CreateFromDir(f, module.Version{Path: path, Version: version}, src)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	goMod, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(map[string]string{"Version": version, "Time": "2026-12-02T00:00:00Z"})
	for name, data := range map[string][]byte{"list": []byte(version + "\n"), version + ".mod": goMod, version + ".info": info} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	gobin, elsewhere := t.TempDir(), t.TempDir()
	install := exec.CommandContext(testContext(t, 10*time.Minute), "go", "install", path+"/cmd/conformance@"+version)
	install.Dir = elsewhere // outside any module
	// A module cache of the test's own, so that no version is left in the
	// user's; the dependencies come from the user's cache (a module cache
	// is laid out as a proxy too), else from the usual proxy.
	install.Env = append(os.Environ(),
		"GOBIN="+gobin,
		"GOMODCACHE="+t.TempDir(),
		"GOPROXY=file://"+proxy+",file://"+filepath.Join(goEnv(t, "GOMODCACHE"), "cache", "download")+","+goEnv(t, "GOPROXY"),
		// Our version is in no checksum database; the dependencies are
		// checked against its go.sum as usual. -modcacherw lets the test
		// remove its cache.
		"GONOSUMDB="+path, "GOFLAGS=-mod=mod -modcacherw -trimpath")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}

	conformance := filepath.Join(gobin, "conformance")
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(testContext(t, time.Minute), conformance, args...)
		cmd.Dir = elsewhere
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("--list"); err != nil || !strings.Contains(out, "echo (specs/echo.md)\n  echo-1 ") || !strings.Contains(out, "timestamp-echo (specs/timestamp-echo.md)\n") {
		t.Errorf("--list: %v\n%s", err, out)
	}
	addr := referenceEcho(t)
	if out, err := run("--protocol", "echo", "--addr", addr); err != nil || !strings.Contains(out, "echo         PASS ") {
		t.Errorf("--addr: %v\n%s", err, out)
	}
	if out, err := run("--protocol", "echo", "--impl", "python", "--local"); err == nil || !strings.Contains(out, "the python implementation needs a checkout of the socketspec repository (it is built from containers/python)") {
		t.Errorf("--impl python without a checkout: %v\n%s", err, out)
	}
}

func goEnv(t *testing.T, name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
