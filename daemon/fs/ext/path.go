package ext

// #include <stdlib.h>
// #include "ops.h"
import "C"

import (
	"path"
	"strings"
	"syscall"
	"unsafe"

	"goguestfs/daemon/errno"
)

const (
	rootIno     = C.EXT2_ROOT_INO
	maxSymlinks = 40
	maxName     = 255
	maxPath     = 4096
)

// Linux mode type bits.
const (
	sIFMT   = 0o170000
	sIFDIR  = 0o040000
	sIFREG  = 0o100000
	sIFLNK  = 0o120000
	sIFCHR  = 0o020000
	sIFBLK  = 0o060000
	sIFIFO  = 0o010000
	sIFSOCK = 0o140000
)

// checkPath refuses a path that is not absolute or is too long.
func checkPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return errno.New(syscall.EINVAL, "%s: not an absolute path", errno.Cut(p))
	case len(p) >= maxPath:
		return pathErr(p, syscall.ENAMETOOLONG)
	case strings.IndexByte(p, 0) >= 0:
		return errno.New(syscall.EINVAL, "%s: NUL in the path", errno.Cut(p))
	}
	return nil
}

// lookup finds name in the directory dir (ENOENT when it is not there).
func (f *FS) lookup(obj string, dir C.ext2_ino_t, name string) (C.ext2_ino_t, error) {
	if len(name) > maxName {
		return 0, pathErr(obj, syscall.ENAMETOOLONG)
	}
	if name != "." && name != ".." {
		if m, ok := f.loadDir(dir); ok {
			if ino, ok := m[name]; ok {
				return ino, nil
			}
			return 0, libErr(obj, C.EXT2_ET_FILE_NOT_FOUND)
		}
	}
	return f.libLookup(obj, dir, name)
}

// libLookup finds name in the directory dir with libext2fs's own lookup,
// past the directory cache.
func (f *FS) libLookup(obj string, dir C.ext2_ino_t, name string) (C.ext2_ino_t, error) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var ino C.ext2_ino_t
	if e := C.e2_lookup(f.fs, dir, cs, C.int(len(name)), &ino); e != 0 {
		return 0, libErr(obj, e)
	}
	return ino, nil
}

func (f *FS) mode(obj string, ino C.ext2_ino_t) (uint32, error) {
	var st C.struct_e2_stat
	if e := C.e2_stat(f.fs, ino, &st); e != 0 {
		return 0, libErr(obj, e)
	}
	return uint32(st.mode), nil
}

// walk resolves p component by component from the root, following
// symbolic links in every component but the last, and the last too when
// follow is set. An absolute link target starts again at this
// filesystem's root, ".." never goes above it, and more than 40 links give
// ELOOP.
func (f *FS) walk(p string, follow bool) (C.ext2_ino_t, error) {
	if err := checkPath(p); err != nil {
		return 0, err
	}
	links := 0
	cur := C.ext2_ino_t(rootIno)
	todo := splitPath(p)
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		m, err := f.mode(p, cur)
		if err != nil {
			return 0, err
		}
		if m&sIFMT != sIFDIR {
			return 0, pathErr(p, syscall.ENOTDIR)
		}
		next, err := f.lookup(p, cur, name)
		if err != nil {
			return 0, err
		}
		if len(todo) == 0 && !follow {
			return next, nil
		}
		if m, err = f.mode(p, next); err != nil {
			return 0, err
		}
		if m&sIFMT != sIFLNK {
			cur = next
			continue
		}
		if links++; links > maxSymlinks {
			return 0, pathErr(p, syscall.ELOOP)
		}
		target, err := f.readlink(p, next)
		if err != nil {
			return 0, err
		}
		if strings.HasPrefix(target, "/") {
			cur = rootIno
		}
		todo = append(splitPath(target), todo...)
	}
	return cur, nil
}

// splitPath returns the components of p without empty ones and ".".
func splitPath(p string) []string {
	var r []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			r = append(r, c)
		}
	}
	return r
}

// parent resolves the directory holding p and returns it with p's last
// name; for "/" the name is "".
func (f *FS) parent(p string) (C.ext2_ino_t, string, error) {
	if err := checkPath(p); err != nil {
		return 0, "", err
	}
	p = path.Clean(p)
	if p == "/" {
		return rootIno, "", nil
	}
	dir, name := path.Split(p)
	if len(name) > maxName {
		return 0, "", pathErr(p, syscall.ENAMETOOLONG)
	}
	ino, err := f.walk(dir, true)
	if err != nil {
		return 0, "", err
	}
	m, err := f.mode(p, ino)
	if err != nil {
		return 0, "", err
	}
	if m&sIFMT != sIFDIR {
		return 0, "", pathErr(p, syscall.ENOTDIR)
	}
	return ino, name, nil
}

// readlink returns the target of the symbolic link ino.
func (f *FS) readlink(obj string, ino C.ext2_ino_t) (string, error) {
	buf := C.malloc(maxPath)
	defer C.free(buf)
	var n C.size_t
	if e := C.e2_readlink(f.fs, ino, (*C.char)(buf), maxPath, &n); e != 0 {
		return "", libErr(obj, e)
	}
	return C.GoStringN((*C.char)(buf), C.int(n)), nil
}
