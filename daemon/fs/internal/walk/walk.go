// Package walk is the path resolution the read-only drivers (iso9660,
// squashfs) share: Linux's walk of an absolute path through a tree of
// directories and symbolic links, the driver answering the lookups.
package walk

import (
	"strings"
	"syscall"

	"goguestfs/daemon/errno"
)

const (
	// MaxSymlinks is how many links one resolution follows before ELOOP,
	// as Linux's MAXSYMLINKS.
	MaxSymlinks = 40
	// MaxPath is Linux's PATH_MAX: a path this long or longer is
	// ENAMETOOLONG.
	MaxPath = 4096
)

// Tree is what Resolve asks of a driver about its nodes N.
type Tree[N any] interface {
	// IsDir says whether n is a directory.
	IsDir(n N) bool
	// Lookup finds name in the directory dir, for the path p being
	// resolved (for error messages): found is false when dir has no such
	// entry, err is set when the directory or the entry cannot be read.
	Lookup(p string, dir N, name string) (n N, found bool, err error)
	// Link returns n's target when n is a symbolic link.
	Link(n N) (target string, ok bool)
}

// PathErr is the error en for the path obj: "obj: message".
func PathErr(obj string, en syscall.Errno) error {
	return errno.New(en, "%s: %s", errno.Cut(obj), en.Error())
}

// CheckPath refuses (EINVAL) a path that is not absolute or holds a NUL,
// and (ENAMETOOLONG) one of MaxPath bytes or more.
func CheckPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return errno.New(syscall.EINVAL, "%s: not an absolute path", errno.Cut(p))
	case len(p) >= MaxPath:
		return PathErr(p, syscall.ENAMETOOLONG)
	case strings.IndexByte(p, 0) >= 0:
		return errno.New(syscall.EINVAL, "%s: NUL in the path", errno.Cut(p))
	}
	return nil
}

// SplitPath returns the components of p without empty ones and ".".
func SplitPath(p string) []string {
	var r []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			r = append(r, c)
		}
	}
	return r
}

// Resolve finds p (checked by CheckPath) from root, following symbolic
// links in every component but the last, and the last too when follow
// is set. An absolute target starts again at root, ".." never goes above
// it, and more than MaxSymlinks links give ELOOP.
func Resolve[N any](t Tree[N], root N, p string, follow bool) (N, error) {
	var zero N
	stack := []N{root}
	todo := SplitPath(p)
	links := 0
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		cur := stack[len(stack)-1]
		if !t.IsDir(cur) {
			return zero, PathErr(p, syscall.ENOTDIR)
		}
		if name == ".." {
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		next, ok, err := t.Lookup(p, cur, name)
		if err != nil {
			return zero, err
		}
		if !ok {
			return zero, errno.New(syscall.ENOENT, "%s: no such file or directory", errno.Cut(p))
		}
		target, link := t.Link(next)
		if !link || (len(todo) == 0 && !follow) {
			stack = append(stack, next)
			continue
		}
		if links++; links > MaxSymlinks {
			return zero, PathErr(p, syscall.ELOOP)
		}
		if strings.HasPrefix(target, "/") {
			stack = stack[:1]
		}
		todo = append(SplitPath(target), todo...)
	}
	return stack[len(stack)-1], nil
}
