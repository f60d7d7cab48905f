// Command images builds the implementation images (containers/python,
// containers/c) unless images of their current sources exist. The base
// images they build on come first, from build-base.sh; `make images` runs both.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/socketspec/conformance/containers"
)

func main() {
	ctx := context.Background()
	root, err := containers.RepoRoot()
	if err == nil {
		var engine *containers.Engine
		if engine, err = containers.Connect(ctx); err == nil {
			defer engine.Close()
			for _, impl := range containers.Impls {
				var tag string
				built := &countingWriter{w: os.Stdout}
				if tag, err = engine.EnsureImage(ctx, root, impl, built); err != nil {
					break
				}
				if built.n == 0 { // a build says its own line
					fmt.Printf("images: %s is %s, up to date\n", impl.Name, tag)
				}
			}
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "images: %v\n", err)
		os.Exit(1)
	}
}

// countingWriter counts what passes through it.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return c.w.Write(p)
}
