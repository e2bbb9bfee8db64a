// Command generator writes every generated file from the API table.
//
//	go run ./generator            write the files under the current directory
//	go run ./generator -check     exit 1 and list the files that are stale
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"strings"

	"goguestfs/generator/api"
	"goguestfs/generator/emit"
)

func main() {
	check := flag.Bool("check", false, "report stale generated files instead of writing them")
	flag.Parse()
	files, err := emit.All(api.API())
	if err != nil {
		fmt.Fprintln(os.Stderr, "generator:", err)
		os.Exit(1)
	}
	stale := 0
	for _, f := range files {
		if strings.HasSuffix(f.Path, ".go") {
			src, err := format.Source([]byte(f.Content))
			if err != nil {
				fmt.Fprintf(os.Stderr, "generator: %s: %v\n", f.Path, err)
				os.Exit(1)
			}
			f.Content = string(src)
		}
		old, err := os.ReadFile(f.Path)
		if err == nil && bytes.Equal(old, []byte(f.Content)) {
			continue
		}
		if *check {
			fmt.Fprintf(os.Stderr, "generator: %s is stale; run `make generate`\n", f.Path)
			stale++
			continue
		}
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "generator:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(f.Path, []byte(f.Content), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "generator:", err)
			os.Exit(1)
		}
		fmt.Println("generator: wrote", f.Path)
	}
	if stale > 0 {
		os.Exit(1)
	}
}
