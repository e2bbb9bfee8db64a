package ext

// #include <stdlib.h>
// #include "ops.h"
import "C"

import (
	"fmt"
	"runtime/cgo"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/ext/disk"
)

// FS is a mounted ext filesystem. One mutex serialises every libext2fs
// call on it; the io_manager's callbacks run under it.
type FS struct {
	mu     sync.Mutex
	fs     C.ext2_filsys
	dev    *cachedDev
	handle cgo.Handle
	cname  *C.char
	typ    string
	ro     bool
	// notClean is set while the on-disk superblock says "not clean": from
	// the first change after an open or a Sync to the next Sync or Close.
	notClean bool
	open     map[C.ext2_ino_t]int // open files, by inode
	closed   bool
	dc       dirCache
	// grpid: new inodes get their directory's group (mount option grpid);
	// noUserXattr: no user.* attributes (nouser_xattr).
	grpid, noUserXattr bool
}

var (
	_ fs.FS          = (*FS)(nil)
	_ fs.Writer      = (*FS)(nil)
	_ fs.Labeler     = (*FS)(nil)
	_ fs.StatFSer    = (*FS)(nil)
	_ fs.Xattrer     = (*FS)(nil)
	_ fs.Lchowner    = (*FS)(nil)
	_ fs.Mknoder     = (*FS)(nil)
	_ fs.LinkXattrer = (*FS)(nil)
)

// Open mounts the ext2/3/4 filesystem on dev. A journal that needs
// recovery is replayed first, also for a read-only open (the replay writes
// the device: a read-only drive's overlay takes it), unless the option
// norecovery (or noload) is given. A filesystem larger than dev is
// refused with EINVAL; one with features libext2fs cannot write safely
// opens read-only only (EROFS otherwise). The mount options are ext4's
// (parseOptions, checkOptions).
func Open(dev fs.Device, o fs.OpenOptions) (*FS, error) {
	opts, err := parseOptions(o)
	if err != nil {
		return nil, err
	}
	sb, err := disk.Read(dev)
	if err != nil {
		return nil, errno.Wrap("device", err)
	}
	obj := fmt.Sprintf("%s filesystem %s", sb.Type(), uuidString(sb.UUID))
	switch {
	case sb.Type() == "jbd":
		return nil, errno.New(syscall.EINVAL, "%s: an external journal device, not a filesystem", obj)
	case sb.BlocksCount > uint64(dev.Size())/uint64(sb.BlockSize()):
		return nil, errno.New(syscall.EINVAL, "%s: claims %d blocks of %d bytes, but the device holds %d bytes",
			obj, sb.BlocksCount, sb.BlockSize(), dev.Size())
	}
	grpid, err := opts.checkOptions(sb)
	if err != nil {
		return nil, errno.Wrap(obj, err)
	}
	f := &FS{dev: newCachedDev(dev, cacheBlocks), typ: sb.Type(), ro: opts.readOnly, open: map[C.ext2_ino_t]int{},
		grpid: grpid, noUserXattr: opts.noUserXattr}
	f.handle = cgo.NewHandle(f.dev)
	f.cname = C.CString(fmt.Sprintf("goio:%d", uintptr(f.handle)))
	if err := f.mount(sb, obj, opts); err != nil {
		f.release()
		return nil, err
	}
	return f, nil
}

func (f *FS) mount(sb *disk.Superblock, obj string, opts options) error {
	if sb.NeedsRecovery() && !opts.noRecovery {
		if sb.ExternalJournal() {
			return errno.New(syscall.EINVAL, "%s: needs recovery from an external journal (run e2fsck)", obj)
		}
		if err := f.replay(obj); err != nil {
			return err
		}
		var err error
		if sb, err = disk.Read(f.dev); err != nil {
			return errno.Wrap(obj, err)
		}
	}
	if b := sb.WriteBlockers(); len(b) > 0 && !f.ro {
		return errno.New(syscall.EROFS, "%s: cannot be written safely (%s): mount it read-only",
			obj, strings.Join(b, ", "))
	}
	if sb.NeedsRecovery() && !f.ro {
		return errno.New(syscall.EROFS, "%s: journal not recovered: mount it read-only", obj)
	}
	rw := C.int(0)
	if !f.ro {
		rw = 1
	}
	if e := C.e2_open(f.cname, rw, &f.fs); e != 0 {
		f.fs = nil
		return libErr(obj, e)
	}
	f.notClean = !f.ro
	return nil
}

// release frees what Open allocated, once the C filesystem is gone.
func (f *FS) release() {
	C.free(unsafe.Pointer(f.cname))
	f.handle.Delete()
}

// lock takes the mutex of a filesystem that is still open.
func (f *FS) lock(obj string) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return errno.New(syscall.EIO, "%s: the filesystem is closed", errno.Cut(obj))
	}
	return nil
}

// change is called before every change: it refuses one on a read-only
// mount and marks the filesystem not clean on disk first.
func (f *FS) change(obj string) error {
	if f.ro {
		return pathErr(obj, syscall.EROFS)
	}
	if !f.notClean {
		if e := C.e2_set_clean(f.fs, 0); e != 0 {
			return libErr(obj, e)
		}
		f.notClean = true
	}
	return nil
}

// canAllocate refuses with ENOSPC a change needing blocks that would leave
// the filesystem without its safety margin.
func (f *FS) canAllocate(obj string, bytes int64) error {
	blocks := uint64(bytes)/uint64(f.fs.blocksize) + 1
	if C.e2_can_allocate(f.fs, C.ulonglong(blocks)) == 0 {
		return pathErr(obj, syscall.ENOSPC)
	}
	return nil
}

// Sync writes every change to the device and marks the filesystem clean.
func (f *FS) Sync() error {
	if err := f.lock("/"); err != nil {
		return err
	}
	defer f.mu.Unlock()
	if f.ro {
		return nil
	}
	if e := C.e2_set_clean(f.fs, 1); e != 0 {
		return libErr("/", e)
	}
	f.notClean = false
	return nil
}

// Close frees the inodes of removed files that were still open, marks the
// filesystem clean, writes everything and releases it.
func (f *FS) Close() error {
	if err := f.lock("/"); err != nil {
		return err
	}
	defer f.mu.Unlock()
	var first error
	if !f.ro {
		for ino := range f.open {
			if e := C.e2_free_inode(f.fs, ino); e != 0 && first == nil {
				first = libErr("/", e)
			}
		}
	}
	if e := C.e2_close(f.fs); e != 0 && first == nil {
		first = libErr("/", e)
	}
	f.closed = true
	f.fs = nil
	f.release()
	return first
}

// Type is the filesystem's exact type: "ext2", "ext3" or "ext4".
func (f *FS) Type() string { return f.typ }

// ReadOnly reports whether the filesystem was mounted read-only.
func (f *FS) ReadOnly() bool { return f.ro }

func uuidString(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
