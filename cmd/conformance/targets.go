package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/socketspec/conformance/containers"
	"github.com/socketspec/conformance/reference"
	"github.com/socketspec/conformance/specs"
	"github.com/socketspec/conformance/suite"
)

func isContainerImpl(name string) bool {
	_, ok := containers.FindImpl(name)
	return ok
}

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
	case o.addr != "":
		for _, p := range o.protocols {
			targets[p] = suite.Address(specs.Network(p), o.addr)
		}
	case o.cmdline != "":
		for _, p := range o.protocols {
			targets[p] = suite.Command(specs.Network(p), o.cmdline)
		}
	case o.impl == "go":
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
				targets[p] = engine.Target(o.image, o.image, specs.Network(p), o.port, nil, "", false)
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

// builtImpl is --impl's implementation, its local programs built (for
// --local), and the repository root they are in.
func builtImpl(ctx context.Context, o options, log io.Writer) (containers.Impl, string, error) {
	impl, _ := containers.FindImpl(o.impl)
	root, err := containers.RepoRoot()
	if err != nil {
		return impl, "", err
	}
	return impl, root, impl.BuildLocal(ctx, root, log)
}

// connectEngine connects to the Docker engine, and removes the containers
// of earlier runs that are gone.
func connectEngine(ctx context.Context, o options, log io.Writer) (*containers.Engine, error) {
	engine, err := containers.Connect(ctx)
	if err != nil {
		if impl, ok := containers.FindImpl(o.impl); ok {
			err = fmt.Errorf("%v (to check the %s implementation without Docker: --impl %s --local)", err, impl.Name, impl.Name)
		}
		return nil, err
	}
	if n, err := engine.RemoveLeftovers(ctx); err == nil && n > 0 {
		fmt.Fprintf(log, "conformance: removed %d container(s) left over by an earlier run\n", n)
	}
	return engine, nil
}

// implImage is --impl's implementation and its image, built unless an
// image of its current sources exists.
func implImage(ctx context.Context, engine *containers.Engine, o options, log io.Writer) (containers.Impl, string, error) {
	impl, _ := containers.FindImpl(o.impl)
	root, err := containers.RepoRoot()
	if err != nil {
		return impl, "", err
	}
	image, err := engine.EnsureImage(ctx, root, impl, log)
	return impl, image, err
}
