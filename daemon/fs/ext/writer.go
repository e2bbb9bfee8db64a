package ext

// #include <stdlib.h>
// #include "ops.h"
import "C"

import (
	iofs "io/fs"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/errno"
)

// newName resolves the parent of p, which must not exist yet, and readies
// the filesystem for a change that needs blocks.
func (f *FS) newName(p string, blocks int64) (C.ext2_ino_t, *C.char, error) {
	dir, name, err := f.parent(p)
	if err != nil {
		return 0, nil, err
	}
	if name == "" {
		return 0, nil, pathErr(p, syscall.EEXIST)
	}
	if _, err := f.lookup(p, dir, name); err == nil {
		return 0, nil, pathErr(p, syscall.EEXIST)
	} else if errno.Of(err) != syscall.ENOENT {
		return 0, nil, err
	}
	if err := f.change(p); err != nil {
		return 0, nil, err
	}
	if err := f.canAllocate(p, blocks*int64(f.fs.blocksize)); err != nil {
		return 0, nil, err
	}
	return dir, C.CString(name), nil
}

// newOwner returns the permission bits and group of a new inode in dir,
// as Linux's inode_init_owner gives them: root's group, unless dir is
// set-group-ID, then dir's group, and a new directory there is
// set-group-ID too; with the mount option grpid, dir's group always and
// no set-group-ID bit from dir (ext4_new_inode). The owner is root.
func (f *FS) newOwner(obj string, dir C.ext2_ino_t, perm int, isDir bool) (int, C.uint, error) {
	var st C.struct_e2_stat
	if e := C.e2_stat(f.fs, dir, &st); e != 0 {
		return 0, 0, libErr(obj, e)
	}
	switch {
	case f.grpid:
		return perm, st.gid, nil
	case st.mode&0o2000 != 0:
		if isDir {
			perm |= 0o2000
		}
		return perm, st.gid, nil
	}
	return perm, 0, nil
}

// Mkdir makes the directory p with perm (the caller applies its umask):
// as mkdir(2), only the permission bits and the sticky bit of perm count,
// the set-group-ID bit coming from the parent (newOwner).
func (f *FS) Mkdir(p string, perm iofs.FileMode) error {
	if err := f.lock(p); err != nil {
		return err
	}
	defer f.mu.Unlock()
	dir, cs, err := f.newName(p, 2)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	mode, gid, err := f.newOwner(p, dir, unixPerm(perm)&0o1777, true)
	if err != nil {
		return err
	}
	var ino C.ext2_ino_t
	if e := C.e2_mkdir(f.fs, dir, cs, C.int(mode), gid, &ino); e != 0 {
		f.dc.reset()
		return libErr(p, e)
	}
	f.dc.add(dir, C.GoString(cs), ino)
	return nil
}

// Mknod makes the special file p: a block or character device (with rdev),
// a FIFO or a socket, as mode's type says; perm bits as given (the caller
// applies its umask).
func (f *FS) Mknod(p string, mode iofs.FileMode, rdev uint64) error {
	var typ uint32
	switch {
	case mode&iofs.ModeCharDevice != 0:
		typ = sIFCHR
	case mode&iofs.ModeDevice != 0:
		typ = sIFBLK
	case mode&iofs.ModeNamedPipe != 0:
		typ = sIFIFO
	case mode&iofs.ModeSocket != 0:
		typ = sIFSOCK
	default:
		return errno.New(syscall.EINVAL, "%s: not a special file type", errno.Cut(p))
	}
	if err := f.lock(p); err != nil {
		return err
	}
	defer f.mu.Unlock()
	dir, cs, err := f.newName(p, 0)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	perm, gid, err := f.newOwner(p, dir, unixPerm(mode), false)
	if err != nil {
		return err
	}
	var ino C.ext2_ino_t
	if e := C.e2_mknod(f.fs, dir, cs, C.int(int(typ)|perm), gid, C.uint(unix.Major(rdev)), C.uint(unix.Minor(rdev)), &ino); e != 0 {
		f.dc.reset()
		return libErr(p, e)
	}
	f.dc.add(dir, C.GoString(cs), ino)
	return nil
}

// Symlink makes p a symbolic link to target (fast below 60 bytes).
func (f *FS) Symlink(target, p string) error {
	if err := f.lock(p); err != nil {
		return err
	}
	defer f.mu.Unlock()
	switch {
	case target == "":
		return pathErr(p, syscall.ENOENT)
	case int64(len(target)) >= int64(f.fs.blocksize) || len(target) >= maxPath:
		return pathErr(p, syscall.ENAMETOOLONG)
	}
	for i := 0; i < len(target); i++ {
		if target[i] == 0 {
			return errno.New(syscall.EINVAL, "%s: NUL in the link target", errno.Cut(p))
		}
	}
	dir, cs, err := f.newName(p, 2)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	ct := C.CString(target)
	defer C.free(unsafe.Pointer(ct))
	_, gid, err := f.newOwner(p, dir, 0o777, false)
	if err != nil {
		return err
	}
	var ino C.ext2_ino_t
	if e := C.e2_symlink(f.fs, dir, cs, ct, gid, &ino); e != 0 {
		f.dc.reset()
		return libErr(p, e)
	}
	f.dc.add(dir, C.GoString(cs), ino)
	return nil
}

// Link makes p a new name of existing (not a directory; a final symbolic
// link is linked itself, as link(2) does).
func (f *FS) Link(existing, p string) error {
	if err := f.lock(p); err != nil {
		return err
	}
	defer f.mu.Unlock()
	ino, err := f.walk(existing, false)
	if err != nil {
		return err
	}
	m, err := f.mode(existing, ino)
	if err != nil {
		return err
	}
	if m&sIFMT == sIFDIR {
		return pathErr(existing, syscall.EPERM)
	}
	dir, cs, err := f.newName(p, 1)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	if e := C.e2_link(f.fs, ino, dir, cs); e != 0 {
		f.dc.reset()
		return libErr(p, e)
	}
	f.dc.add(dir, C.GoString(cs), ino)
	return nil
}

// Remove removes the file, symbolic link or empty directory p. The blocks
// of a file still open are freed at its last close.
func (f *FS) Remove(p string) error {
	if err := f.lock(p); err != nil {
		return err
	}
	defer f.mu.Unlock()
	dir, name, err := f.parent(p)
	if err != nil {
		return err
	}
	if name == "" {
		return pathErr(p, syscall.EBUSY)
	}
	ino, err := f.lookup(p, dir, name)
	if err != nil {
		return err
	}
	return f.remove(p, dir, name, ino)
}

// remove removes the entry name (ino) of dir.
func (f *FS) remove(p string, dir C.ext2_ino_t, name string, ino C.ext2_ino_t) error {
	m, err := f.mode(p, ino)
	if err != nil {
		return err
	}
	if m&sIFMT == sIFDIR {
		var empty C.int
		if e := C.e2_dir_empty(f.fs, ino, &empty); e != 0 {
			return libErr(p, e)
		}
		if empty == 0 {
			return pathErr(p, syscall.ENOTEMPTY)
		}
	}
	if err := f.change(p); err != nil {
		return err
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var e C.errcode_t
	if m&sIFMT == sIFDIR {
		e = C.e2_rmdir(f.fs, dir, cs, ino)
	} else {
		keep := C.int(0)
		if f.open[ino] > 0 {
			keep = 1
		}
		e = C.e2_unlink(f.fs, dir, cs, ino, keep)
	}
	if e != 0 {
		f.dc.reset()
		return libErr(p, e)
	}
	f.dc.remove(dir, name)
	if m&sIFMT == sIFDIR {
		f.dc.forget(ino)
	}
	return nil
}

// Rename renames from to to as rename(2) does: an existing to is replaced
// (a directory only by a directory, and only when empty), renaming a name
// to another of the same inode does nothing, and a directory cannot move
// under itself (EINVAL).
func (f *FS) Rename(from, to string) error {
	if err := f.lock(from); err != nil {
		return err
	}
	defer f.mu.Unlock()
	fdir, fname, err := f.parent(from)
	if err != nil {
		return err
	}
	tdir, tname, err := f.parent(to)
	if err != nil {
		return err
	}
	if fname == "" || tname == "" {
		return pathErr(from, syscall.EBUSY)
	}
	ino, err := f.lookup(from, fdir, fname)
	if err != nil {
		return err
	}
	tino, err := f.lookup(to, tdir, tname)
	if err != nil && errno.Of(err) != syscall.ENOENT {
		return err
	}
	if err == nil && tino == ino {
		return nil
	}
	m, err := f.mode(from, ino)
	if err != nil {
		return err
	}
	isDir := m&sIFMT == sIFDIR
	if isDir {
		if err := f.notUnder(to, tdir, ino); err != nil {
			return err
		}
	}
	if tino != 0 {
		tm, err := f.mode(to, tino)
		if err != nil {
			return err
		}
		switch tdirIs := tm&sIFMT == sIFDIR; {
		case isDir && !tdirIs:
			return pathErr(to, syscall.ENOTDIR)
		case !isDir && tdirIs:
			return pathErr(to, syscall.EISDIR)
		case tdirIs:
			var empty C.int
			if e := C.e2_dir_empty(f.fs, tino, &empty); e != 0 {
				return libErr(to, e)
			}
			if empty == 0 {
				return pathErr(to, syscall.ENOTEMPTY)
			}
		}
	}
	if err := f.change(from); err != nil {
		return err
	}
	cf, ct := C.CString(fname), C.CString(tname)
	defer C.free(unsafe.Pointer(cf))
	defer C.free(unsafe.Pointer(ct))
	if tino != 0 {
		keep := C.int(0)
		if f.open[tino] > 0 {
			keep = 1
		}
		if e := C.e2_replace(f.fs, fdir, cf, ino, tdir, ct, tino, keep); e != 0 {
			f.dc.reset()
			return libErr(to, e)
		}
		f.dc.forget(tino)
		f.dc.add(tdir, tname, ino)
		f.dc.remove(fdir, fname)
		return nil
	}
	if err := f.canAllocate(to, int64(f.fs.blocksize)); err != nil {
		return err
	}
	if e := C.e2_move(f.fs, fdir, cf, ino, tdir, ct); e != 0 {
		f.dc.reset()
		return libErr(to, e)
	}
	f.dc.add(tdir, tname, ino)
	f.dc.remove(fdir, fname)
	return nil
}

// notUnder refuses (EINVAL) when the directory dir is ino or lies below it.
func (f *FS) notUnder(obj string, dir, ino C.ext2_ino_t) error {
	for i := 0; i < 1<<16; i++ {
		if dir == ino {
			return errno.New(syscall.EINVAL, "%s: a directory cannot move under itself", errno.Cut(obj))
		}
		if dir == rootIno {
			return nil
		}
		up, err := f.lookup(obj, dir, "..")
		if err != nil {
			return err
		}
		dir = up
	}
	return pathErr(obj, syscall.ELOOP)
}

// Readlink returns the target of the symbolic link p (EINVAL for another
// kind of file).
func (f *FS) Readlink(p string) (string, error) {
	if err := f.lock(p); err != nil {
		return "", err
	}
	defer f.mu.Unlock()
	ino, err := f.walk(p, false)
	if err != nil {
		return "", err
	}
	m, err := f.mode(p, ino)
	if err != nil {
		return "", err
	}
	if m&sIFMT != sIFLNK {
		return "", pathErr(p, syscall.EINVAL)
	}
	return f.readlink(p, ino)
}

// Chmod sets the permission bits of p (following symbolic links).
func (f *FS) Chmod(p string, perm iofs.FileMode) error {
	return f.attr(p, true, func(ino C.ext2_ino_t) C.errcode_t {
		return C.e2_chmod(f.fs, ino, C.int(unixPerm(perm)))
	})
}

// Chown sets the owner of p (following symbolic links); -1 keeps a value.
func (f *FS) Chown(p string, uid, gid int) error {
	return f.attr(p, true, func(ino C.ext2_ino_t) C.errcode_t {
		return C.e2_chown(f.fs, ino, C.longlong(uid), C.longlong(gid))
	})
}

// Lchown is Chown of a symbolic link itself.
func (f *FS) Lchown(p string, uid, gid int) error {
	return f.attr(p, false, func(ino C.ext2_ino_t) C.errcode_t {
		return C.e2_chown(f.fs, ino, C.longlong(uid), C.longlong(gid))
	})
}

// Chtimes sets the access and modification times of p (following
// symbolic links); a zero time keeps that time, as os.Chtimes does.
func (f *FS) Chtimes(p string, atime, mtime time.Time) error {
	return f.attr(p, true, func(ino C.ext2_ino_t) C.errcode_t {
		return C.e2_utimens(f.fs, ino, cbool(!atime.IsZero()), C.longlong(atime.Unix()), C.long(atime.Nanosecond()),
			cbool(!mtime.IsZero()), C.longlong(mtime.Unix()), C.long(mtime.Nanosecond()))
	})
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// attr runs the inode change op on p.
func (f *FS) attr(p string, follow bool, op func(C.ext2_ino_t) C.errcode_t) error {
	if err := f.lock(p); err != nil {
		return err
	}
	defer f.mu.Unlock()
	ino, err := f.walk(p, follow)
	if err != nil {
		return err
	}
	if err := f.change(p); err != nil {
		return err
	}
	if e := op(ino); e != 0 {
		return libErr(p, e)
	}
	return nil
}
