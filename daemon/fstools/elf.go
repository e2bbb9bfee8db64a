package fstools

import (
	"debug/elf"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// libDirs are the directories the dynamic loader searches by default, the
// architecture's multiarch directories first.
func libDirs() []string {
	var dirs []string
	if t, ok := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}[runtime.GOARCH]; ok {
		dirs = append(dirs, "/lib/"+t, "/usr/lib/"+t)
	}
	return append(dirs, "/lib64", "/usr/lib64", "/lib", "/usr/lib")
}

// loadedBy returns the files the dynamic loader maps to run bins: each
// one's interpreter and the closure of their DT_NEEDED libraries, found
// in libDirs, with symbolic links resolved (Landlock rules apply to the
// files themselves). A library that cannot be found or read is left out:
// the tool then fails to start, with the loader's message.
func loadedBy(bins []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) bool {
		r, err := filepath.EvalSymlinks(p)
		if err != nil || seen[r] {
			return false
		}
		seen[r] = true
		out = append(out, r)
		return true
	}
	queue := append([]string(nil), bins...)
	for _, b := range bins {
		seen[b] = true
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		for _, prog := range f.Progs {
			if prog.Type != elf.PT_INTERP {
				continue
			}
			b := make([]byte, prog.Filesz)
			if _, err := prog.ReadAt(b, 0); err == nil {
				interp := strings.TrimRight(string(b), "\x00")
				if add(interp) {
					queue = append(queue, out[len(out)-1])
				}
			}
		}
		libs, _ := f.ImportedLibraries()
		f.Close()
		for _, lib := range libs {
			if strings.Contains(lib, "/") {
				if add(lib) {
					queue = append(queue, out[len(out)-1])
				}
				continue
			}
			for _, dir := range libDirs() {
				c := filepath.Join(dir, lib)
				if _, err := os.Stat(c); err != nil {
					continue
				}
				if add(c) {
					queue = append(queue, out[len(out)-1])
				}
				break
			}
		}
	}
	return out
}
