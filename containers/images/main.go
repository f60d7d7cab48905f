// Command images builds the implementation images (containers/python,
// containers/c) unless images of their current sources exist. The base
// images they build on come first, from build-base.sh; `make images` runs both.
package main

import (
	"context"
	"fmt"
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
				if tag, err = engine.EnsureImage(ctx, root, impl, os.Stdout); err != nil {
					break
				}
				fmt.Printf("images: %s is %s\n", impl.Name, tag)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "images: %v\n", err)
		os.Exit(1)
	}
}
