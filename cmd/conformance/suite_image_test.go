package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/socketspec/conformance/containers"
)

// The suite's own image (containers/conformance, as make suite-image
// builds it) checks a server on the host:
// docker run --rm --network host socketspec/conformance --protocol echo --addr HOST:PORT.
func TestSuiteImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and an image")
	}
	docker := func(within time.Duration, args ...string) (string, error) {
		out, err := exec.CommandContext(testContext(t, within), "docker", args...).CombinedOutput()
		return string(out), err
	}
	const base = "socketspec/base-python:bookworm"
	if out, err := docker(10*time.Second, "image", "inspect", "--format", "{{.Id}}", base); err != nil {
		why := fmt.Sprintf("no Docker engine, or no %s (make images builds it): %v %s", base, err, out)
		if os.Getenv("CONFORMANCE_REQUIRE_DOCKER") == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}

	// The image, as make suite-image builds it, under a tag of this test's.
	dir := t.TempDir()
	for _, name := range []string{"Dockerfile", ".dockerignore"} {
		data, err := os.ReadFile(filepath.Join("../../containers/conformance", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	build := exec.CommandContext(testContext(t, 5*time.Minute), "go", "build", "-trimpath", "-o", filepath.Join(dir, "conformance"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	image := fmt.Sprintf("socketspec/conformance:test-%d", os.Getpid())
	if out, err := docker(2*time.Minute, "build", "-q", "-t", image, dir); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { docker(30*time.Second, "rmi", image) })

	addr := referenceEcho(t)
	// Labelled as the suite labels its containers: should this test be
	// killed, a later run removes it.
	out, err := docker(time.Minute, "run", "--rm", "--network", "host",
		"--label", containers.LabelManaged+"=true", "--label", fmt.Sprintf("%s=%d", containers.LabelPID, os.Getpid()),
		image, "--protocol", "echo", "--addr", addr)
	if err != nil || !strings.Contains(out, "echo         PASS ") || !strings.Contains(out, "(127.0.0.1:") {
		t.Errorf("docker run: %v\n%s", err, out)
	}
	// The image is self-contained: no checkout in it, and it says what
	// needs one.
	out, err = docker(time.Minute, "run", "--rm", image, "--protocol", "echo", "--impl", "c", "--local")
	if err == nil || !strings.Contains(out, "the c implementation needs a checkout of the socketspec repository (it is built from containers/c), and there is no go.mod of github.com/socketspec/conformance in /tmp or above: run this in a checkout") {
		t.Errorf("--impl c --local in the image: %v\n%s", err, out)
	}
}
