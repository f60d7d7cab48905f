package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/socketspec/conformance/containers"
	"github.com/socketspec/conformance/reference"
	"github.com/socketspec/conformance/specs"
	"github.com/socketspec/conformance/suite"
)

// implNames are what --impl takes: the Go reference, then the table of
// implementations in other languages.
func implNames() []string { return append([]string{"go"}, containers.Names()...) }

// orList is "a, b or c"; andList is "a, b and c".
func orList(words []string) string  { return list(words, "or") }
func andList(words []string) string { return list(words, "and") }

func list(words []string, conj string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + conj + " " + words[len(words)-1]
}

// flagValues is each value after the flag: "--impl python", "--impl c".
func flagValues(flag string, values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = flag + " " + v
	}
	return out
}

// newTargets makes the server under test for each protocol to check. The
// release function frees what making them took (a Docker connection).
func newTargets(ctx context.Context, o options, log io.Writer) (map[string]suite.Target, func(), error) {
	targets := map[string]suite.Target{}
	release := func() {}
	switch {
	case o.row != nil && o.row.impl == "":
		return manifestTargets(ctx, o, log)
	case o.addr != "":
		for _, p := range o.protocols {
			targets[p] = suite.Address(specs.Network(p), o.addr)
		}
	case o.cmdline != "":
		for _, p := range o.protocols {
			targets[p] = suite.Command(specs.Network(p), o.cmdline)
		}
	case o.builtin() == "go":
		for _, p := range o.protocols {
			t, ok := reference.Target(p)
			if !ok {
				return nil, release, fmt.Errorf("no Go reference server for %s", p)
			}
			targets[p] = t
		}
	case o.local:
		impl, root, err := builtImpl(ctx, o, log)
		if err != nil {
			return nil, release, err
		}
		for _, p := range o.protocols {
			cmdline, err := impl.LocalCommand(root, p)
			if err != nil {
				return nil, release, err
			}
			targets[p] = suite.Command(specs.Network(p), cmdline)
		}
	default: // a container: one of ours, or the user's image
		engine, err := connectEngine(ctx, o, log)
		if err != nil {
			return nil, release, err
		}
		release = func() { engine.Close() }
		if o.image != "" {
			for _, p := range o.protocols {
				targets[p] = engine.Target(o.image, specs.Network(p), o.port)
			}
			break
		}
		impl, image, err := implImage(ctx, engine, o, log)
		if err != nil {
			return nil, release, err
		}
		for _, p := range o.protocols {
			if targets[p], err = engine.ImplTarget(impl, image, p, specs.Network(p)); err != nil {
				return nil, release, err
			}
		}
	}
	return targets, release, nil
}

// manifestTargets makes the servers of an implementation of a manifest.
func manifestTargets(ctx context.Context, o options, log io.Writer) (map[string]suite.Target, func(), error) {
	targets := map[string]suite.Target{}
	release := func() {}
	// The build runs once, in the run the user started, before its
	// children (one per protocol) start the servers it built.
	if os.Getenv(partEnv) == "" {
		if err := o.row.runBuild(ctx, log); err != nil {
			return nil, release, err
		}
	}
	var engine *containers.Engine
	for _, p := range o.protocols {
		s := o.row.servers[p]
		switch {
		case s.cmd != "":
			targets[p] = suite.Command(specs.Network(p), s.cmd, suite.CommandDir(s.dir), suite.CommandEnv(s.env...))
		case s.addr != "":
			targets[p] = suite.Address(specs.Network(p), s.addr)
		default:
			if engine == nil {
				var err error
				if engine, err = connect(ctx, log); err != nil {
					return nil, release, err
				}
				release = func() { engine.Close() }
			}
			targets[p] = engine.Target(s.image, specs.Network(p), s.port, containers.WithEnv(s.env...))
		}
	}
	return targets, release, nil
}

// connect connects to the Docker engine, and removes the containers that
// runs which are gone left behind.
func connect(ctx context.Context, log io.Writer) (*containers.Engine, error) {
	engine, err := containers.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if n, err := engine.RemoveLeftovers(ctx); err == nil && n > 0 {
		fmt.Fprintf(log, "conformance: removed %d container(s) left over by an earlier run\n", n)
	}
	return engine, nil
}

// repoRoot is the root of the checkout of this repository, which this
// project's implementation in another language needs: its sources.
func repoRoot(impl containers.Impl) (string, error) {
	root, err := containers.RepoRoot()
	if err != nil {
		return "", fmt.Errorf("the %s implementation needs a checkout of the socketspec repository (it is built from %s), and %v: run this in a checkout", impl.Name, impl.Dir, err)
	}
	return root, nil
}

// ensureImage builds the image of one of this project's implementations,
// unless an image of its current sources exists, and returns its tag.
func ensureImage(ctx context.Context, engine *containers.Engine, impl containers.Impl, log io.Writer) (string, error) {
	root, err := repoRoot(impl)
	if err != nil {
		return "", err
	}
	return engine.EnsureImage(ctx, root, impl, log)
}

// builtImpl is --impl's implementation (or the manifest row's), its local
// programs built (for --local), and the repository root they are in.
func builtImpl(ctx context.Context, o options, log io.Writer) (containers.Impl, string, error) {
	impl, _ := containers.FindImpl(o.builtin())
	root, err := repoRoot(impl)
	if err != nil {
		return impl, "", err
	}
	return impl, root, impl.BuildLocal(ctx, root, log)
}

// connectEngine is connect, with a hint for an implementation of this
// project's that could run without Docker.
func connectEngine(ctx context.Context, o options, log io.Writer) (*containers.Engine, error) {
	engine, err := connect(ctx, log)
	if err != nil {
		if impl, ok := containers.FindImpl(o.builtin()); ok {
			err = fmt.Errorf("%v (to check the %s implementation without Docker: --impl %s --local)", err, impl.Name, impl.Name)
		}
	}
	return engine, err
}

// implImage is --impl's implementation and its image, built unless an
// image of its current sources exists.
func implImage(ctx context.Context, engine *containers.Engine, o options, log io.Writer) (containers.Impl, string, error) {
	impl, _ := containers.FindImpl(o.builtin())
	image, err := ensureImage(ctx, engine, impl, log)
	return impl, image, err
}
