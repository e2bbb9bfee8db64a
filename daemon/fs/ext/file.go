package ext

// #include <stdlib.h>
// #include "ops.h"
import "C"

import (
	"io"
	iofs "io/fs"
	"os"
	"path"
	"syscall"
	"unsafe"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// chunk bounds one libext2fs read or write (its counts are 32-bit).
const chunk = 1 << 20

// file is an open regular file. Its inode is kept while it is open, even
// when its last name is removed.
type file struct {
	f      *FS
	ino    C.ext2_ino_t
	path   string
	flag   int
	closed bool
}

func writable(flag int) bool { return flag&(os.O_WRONLY|os.O_RDWR) != 0 }

// OpenFile opens the regular file p with os.OpenFile's flags, following
// symbolic links; a new file gets perm and is owned by root. O_CREATE
// through a dangling final symbolic link creates its target, as open(2)
// does (O_EXCL refuses it: EEXIST). O_APPEND makes every WriteAt write at
// the end of the file, as pwrite does on Linux.
func (f *FS) OpenFile(p string, flag int, perm iofs.FileMode) (fs.File, error) {
	if err := f.lock(p); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	if (writable(flag) || flag&(os.O_CREATE|os.O_TRUNC) != 0) && f.ro {
		return nil, pathErr(p, syscall.EROFS)
	}
	ino, err := f.walk(p, true)
	switch {
	case err == nil && flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		return nil, pathErr(p, syscall.EEXIST)
	case err != nil && flag&os.O_CREATE != 0 && errno.Of(err) == syscall.ENOENT:
		at, err := f.createTarget(p, flag&os.O_EXCL != 0)
		if err != nil {
			return nil, err
		}
		if ino, err = f.create(p, at, perm); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, err
	}
	m, err := f.mode(p, ino)
	if err != nil {
		return nil, err
	}
	switch m & sIFMT {
	case sIFREG:
	case sIFDIR:
		return nil, pathErr(p, syscall.EISDIR)
	default:
		return nil, pathErr(p, syscall.EINVAL)
	}
	if flag&os.O_TRUNC != 0 && writable(flag) {
		if err := f.truncate(p, ino, 0); err != nil {
			return nil, err
		}
	}
	f.open[ino]++
	return &file{f: f, ino: ino, path: p, flag: flag}, nil
}

// createTarget returns the path O_CREATE of p creates: p, or the target
// of the dangling symbolic link p (of the link it points to...).
func (f *FS) createTarget(p string, excl bool) (string, error) {
	at := p
	for i := 0; i <= maxSymlinks; i++ {
		ino, err := f.walk(at, false)
		if errno.Of(err) == syscall.ENOENT {
			return at, nil
		}
		if err != nil {
			return "", err
		}
		if m, err := f.mode(p, ino); err != nil || m&sIFMT != sIFLNK || excl {
			if err == nil {
				err = pathErr(p, syscall.EEXIST)
			}
			return "", err
		}
		target, err := f.readlink(p, ino)
		if err != nil {
			return "", err
		}
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(at), target)
		}
		at = path.Clean(target)
	}
	return "", pathErr(p, syscall.ELOOP)
}

// create makes the regular file at (p, or the target of its link).
func (f *FS) create(p, at string, perm iofs.FileMode) (C.ext2_ino_t, error) {
	dir, name, err := f.parent(at)
	if err != nil {
		return 0, err
	}
	if _, err := f.lookup(p, dir, name); err == nil || errno.Of(err) != syscall.ENOENT {
		if err == nil {
			return 0, pathErr(p, syscall.EEXIST)
		}
		return 0, err
	}
	if err := f.change(p); err != nil {
		return 0, err
	}
	if err := f.canAllocate(p, 0); err != nil {
		return 0, err
	}
	mode, gid, err := f.newOwner(p, dir, unixPerm(perm), false)
	if err != nil {
		return 0, err
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var ino C.ext2_ino_t
	if e := C.e2_create(f.fs, dir, cs, C.int(mode), gid, &ino); e != 0 {
		f.dc.reset()
		return 0, libErr(p, e)
	}
	f.dc.add(dir, name, ino)
	return ino, nil
}

func (f *FS) truncate(obj string, ino C.ext2_ino_t, size int64) error {
	if err := f.change(obj); err != nil {
		return err
	}
	if e := C.e2_truncate(f.fs, ino, C.ulonglong(size)); e != 0 {
		return libErr(obj, e)
	}
	return nil
}

func (h *file) lock() error {
	if err := h.f.lock(h.path); err != nil {
		return err
	}
	if h.closed {
		h.f.mu.Unlock()
		return pathErr(h.path, syscall.EBADF)
	}
	return nil
}

// ReadAt reads from the file; at its end it returns io.EOF.
func (h *file) ReadAt(p []byte, off int64) (int, error) {
	if err := h.lock(); err != nil {
		return 0, err
	}
	defer h.f.mu.Unlock()
	if h.flag&os.O_WRONLY != 0 {
		return 0, pathErr(h.path, syscall.EBADF)
	}
	if off < 0 {
		return 0, pathErr(h.path, syscall.EINVAL)
	}
	done := 0
	for done < len(p) {
		n := min(len(p)-done, chunk)
		buf := C.malloc(C.size_t(n))
		var got C.uint
		e := C.e2_pread(h.f.fs, h.ino, buf, C.uint(n), C.ulonglong(off+int64(done)), &got)
		copy(p[done:], unsafe.Slice((*byte)(buf), int(got)))
		C.free(buf)
		done += int(got)
		if e != 0 {
			return done, libErr(h.path, e)
		}
		if int(got) < n {
			return done, io.EOF
		}
	}
	return done, nil
}

// WriteAt writes to the file (at its end with O_APPEND). A write that
// would leave the filesystem without its safety margin stops with ENOSPC.
func (h *file) WriteAt(p []byte, off int64) (int, error) {
	if err := h.lock(); err != nil {
		return 0, err
	}
	defer h.f.mu.Unlock()
	if !writable(h.flag) {
		return 0, pathErr(h.path, syscall.EBADF)
	}
	if off < 0 {
		return 0, pathErr(h.path, syscall.EINVAL)
	}
	if err := h.f.change(h.path); err != nil {
		return 0, err
	}
	if h.flag&os.O_APPEND != 0 {
		fi, err := h.f.info(h.path, h.ino)
		if err != nil {
			return 0, err
		}
		off = fi.Size
	}
	done := 0
	for done < len(p) {
		n := min(len(p)-done, chunk)
		if err := h.f.canAllocate(h.path, int64(n)); err != nil {
			return done, err
		}
		buf := C.CBytes(p[done : done+n])
		var got C.uint
		e := C.e2_pwrite(h.f.fs, h.ino, buf, C.uint(n), C.ulonglong(off+int64(done)), &got)
		C.free(buf)
		done += int(got)
		if e != 0 {
			return done, libErr(h.path, e)
		}
		if int(got) < n {
			return done, pathErr(h.path, syscall.EIO)
		}
	}
	return done, nil
}

// Stat describes the open file.
func (h *file) Stat() (fs.FileInfo, error) {
	if err := h.lock(); err != nil {
		return fs.FileInfo{}, err
	}
	defer h.f.mu.Unlock()
	return h.f.info(h.path, h.ino)
}

// Truncate sets the file's size; the file must be open for writing.
func (h *file) Truncate(size int64) error {
	if err := h.lock(); err != nil {
		return err
	}
	defer h.f.mu.Unlock()
	if !writable(h.flag) || size < 0 {
		return pathErr(h.path, syscall.EINVAL)
	}
	return h.f.truncate(h.path, h.ino, size)
}

// Close releases the file; the last close of a removed file frees it.
func (h *file) Close() error {
	if err := h.lock(); err != nil {
		return err
	}
	defer h.f.mu.Unlock()
	h.closed = true
	if h.f.open[h.ino]--; h.f.open[h.ino] > 0 {
		return nil
	}
	delete(h.f.open, h.ino)
	if h.f.ro {
		return nil
	}
	if e := C.e2_free_inode(h.f.fs, h.ino); e != 0 {
		return libErr(h.path, e)
	}
	return nil
}
