package ext

// #include <stdlib.h>
// #include "ops.h"
import "C"

import (
	"sort"
	"strings"
	"syscall"
	"unsafe"

	"goguestfs/daemon/errno"
)

// xattrPrefixes are the namespaces this driver lets through; system.data
// (the body of an inline-data file) is hidden.
var xattrPrefixes = []string{"user.", "trusted.", "security."}

func checkXattrName(p, name string) error {
	switch {
	case len(name) > maxName:
		return errno.New(syscall.ERANGE, "%s: extended attribute name of %d bytes is too long", errno.Cut(p), len(name))
	case name == "system.posix_acl_access" || name == "system.posix_acl_default":
		return nil
	}
	for _, pre := range xattrPrefixes {
		if strings.HasPrefix(name, pre) && len(name) > len(pre) && strings.IndexByte(name, 0) < 0 {
			return nil
		}
	}
	return errno.New(syscall.EOPNOTSUPP, "%s: extended attribute %q: namespace not supported", errno.Cut(p), errno.Cut(name))
}

// userXattr applies to user.* attributes what Linux does: only regular
// files and directories have them (xattr_permission: EPERM to set or
// remove one on another kind of file, ENODATA to read one), and a mount
// with nouser_xattr has none (EOPNOTSUPP).
func (f *FS) userXattr(p string, ino C.ext2_ino_t, name string, write bool) error {
	if !strings.HasPrefix(name, "user.") {
		return nil
	}
	m, err := f.mode(p, ino)
	if err != nil {
		return err
	}
	if t := m & sIFMT; t != sIFREG && t != sIFDIR {
		if write {
			return errno.New(syscall.EPERM, "%s: user.* extended attributes are for regular files and directories only", errno.Cut(p))
		}
		return errno.New(syscall.ENODATA, "%s: extended attribute %q: no data available", errno.Cut(p), errno.Cut(name))
	}
	if f.noUserXattr {
		return errno.New(syscall.EOPNOTSUPP, "%s: user.* extended attributes: mounted with nouser_xattr", errno.Cut(p))
	}
	return nil
}

func visibleXattr(name string) bool {
	if name == "system.posix_acl_access" || name == "system.posix_acl_default" {
		return true
	}
	for _, pre := range xattrPrefixes {
		if strings.HasPrefix(name, pre) {
			return true
		}
	}
	return false
}

// ListXattrs lists the extended attributes of p (following symbolic links).
func (f *FS) ListXattrs(p string) ([]string, error) { return f.listXattrs(p, true) }

// LListXattrs is ListXattrs of a symbolic link itself.
func (f *FS) LListXattrs(p string) ([]string, error) { return f.listXattrs(p, false) }

func (f *FS) listXattrs(p string, follow bool) ([]string, error) {
	if err := f.lock(p); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	ino, err := f.walk(p, follow)
	if err != nil {
		return nil, err
	}
	var buf *C.char
	var n C.size_t
	if e := C.e2_xattr_list(f.fs, ino, &buf, &n); e != 0 {
		return nil, libErr(p, e)
	}
	defer C.e2_free_mem(unsafe.Pointer(buf))
	r := []string{}
	for _, name := range strings.Split(C.GoStringN(buf, C.int(n)), "\x00") {
		if visibleXattr(name) && !(f.noUserXattr && strings.HasPrefix(name, "user.")) {
			r = append(r, name)
		}
	}
	sort.Strings(r)
	return r, nil
}

// GetXattr returns the value of the attribute name of p (ENODATA when it
// has none); POSIX ACLs are in the VFS format.
func (f *FS) GetXattr(p, name string) ([]byte, error) { return f.getXattr(p, name, true) }

// LGetXattr is GetXattr of a symbolic link itself.
func (f *FS) LGetXattr(p, name string) ([]byte, error) { return f.getXattr(p, name, false) }

func (f *FS) getXattr(p, name string, follow bool) ([]byte, error) {
	if err := checkXattrName(p, name); err != nil {
		return nil, err
	}
	if err := f.lock(p); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	ino, err := f.walk(p, follow)
	if err != nil {
		return nil, err
	}
	if err := f.userXattr(p, ino, name, false); err != nil {
		return nil, err
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var v unsafe.Pointer
	var n C.size_t
	if e := C.e2_xattr_get(f.fs, ino, cs, &v, &n); e != 0 {
		return nil, libErr(p, e)
	}
	defer C.e2_free_mem(v)
	return C.GoBytes(v, C.int(n)), nil
}

// SetXattr sets the attribute name of p.
func (f *FS) SetXattr(p, name string, value []byte) error { return f.setXattr(p, name, value, true) }

// LSetXattr is SetXattr of a symbolic link itself.
func (f *FS) LSetXattr(p, name string, value []byte) error {
	return f.setXattr(p, name, value, false)
}

func (f *FS) setXattr(p, name string, value []byte, follow bool) error {
	if err := checkXattrName(p, name); err != nil {
		return err
	}
	if len(value) > 65536 {
		return errno.New(syscall.E2BIG, "%s: extended attribute value of %d bytes is too large", errno.Cut(p), len(value))
	}
	return f.xattrChange(p, name, follow, func(ino C.ext2_ino_t, cs *C.char) C.errcode_t {
		v := C.CBytes(value)
		defer C.free(v)
		return C.e2_xattr_set(f.fs, ino, cs, v, C.size_t(len(value)))
	})
}

// RemoveXattr removes the attribute name of p (ENODATA when it has none).
func (f *FS) RemoveXattr(p, name string) error { return f.removeXattr(p, name, true) }

// LRemoveXattr is RemoveXattr of a symbolic link itself.
func (f *FS) LRemoveXattr(p, name string) error { return f.removeXattr(p, name, false) }

func (f *FS) removeXattr(p, name string, follow bool) error {
	if err := checkXattrName(p, name); err != nil {
		return err
	}
	return f.xattrChange(p, name, follow, func(ino C.ext2_ino_t, cs *C.char) C.errcode_t {
		return C.e2_xattr_remove(f.fs, ino, cs)
	})
}

func (f *FS) xattrChange(p, name string, follow bool, op func(C.ext2_ino_t, *C.char) C.errcode_t) error {
	if err := f.lock(p); err != nil {
		return err
	}
	defer f.mu.Unlock()
	ino, err := f.walk(p, follow)
	if err != nil {
		return err
	}
	if err := f.userXattr(p, ino, name, true); err != nil {
		return err
	}
	if err := f.change(p); err != nil {
		return err
	}
	if err := f.canAllocate(p, int64(f.fs.blocksize)); err != nil {
		return err
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	if e := op(ino, cs); e != 0 {
		return libErr(p, e)
	}
	return nil
}
