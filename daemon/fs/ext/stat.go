package ext

// #include "ops.h"
import "C"

import (
	"encoding/binary"
	iofs "io/fs"
	"path"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// fileMode converts a Linux st_mode to an fs.FileMode.
func fileMode(m uint32) iofs.FileMode { return fs.ModeFromUnix(m) }

// unixPerm converts the permission bits of an fs.FileMode to Linux's.
func unixPerm(m iofs.FileMode) int { return int(fs.UnixMode(m) & 0o7777) }

func (f *FS) info(obj string, ino C.ext2_ino_t) (fs.FileInfo, error) {
	var st C.struct_e2_stat
	if e := C.e2_stat(f.fs, ino, &st); e != 0 {
		return fs.FileInfo{}, libErr(obj, e)
	}
	name := path.Base(obj)
	return fs.FileInfo{
		Name:    name,
		Mode:    fileMode(uint32(st.mode)),
		Size:    int64(st.size),
		Ino:     uint64(ino),
		Nlink:   uint64(st.links),
		Uid:     uint32(st.uid),
		Gid:     uint32(st.gid),
		Rdev:    unix.Mkdev(uint32(st.rmajor), uint32(st.rminor)),
		Blocks:  int64(st.blocks),
		Blksize: int64(f.fs.blocksize),
		Atime:   time.Unix(int64(st.atime), int64(st.atime_ns)),
		Mtime:   time.Unix(int64(st.mtime), int64(st.mtime_ns)),
		Ctime:   time.Unix(int64(st.ctime), int64(st.ctime_ns)),
	}, nil
}

// Stat describes path without following a final symbolic link.
func (f *FS) Stat(p string) (fs.FileInfo, error) {
	if err := f.lock(p); err != nil {
		return fs.FileInfo{}, err
	}
	defer f.mu.Unlock()
	ino, err := f.walk(p, false)
	if err != nil {
		return fs.FileInfo{}, err
	}
	return f.info(p, ino)
}

// direntTypes maps EXT2_FT_* to mode type bits.
var direntTypes = map[byte]uint32{
	1: sIFREG, 2: sIFDIR, 3: sIFCHR, 4: sIFBLK, 5: sIFIFO, 6: sIFSOCK, 7: sIFLNK,
}

// badName reports whether a name read from a directory cannot be a file
// name: empty, "." or ".." past the first two entries (e2_readdir leaves
// those out), or holding "/" or NUL. Only a corrupt or hostile image has
// one; handed on, "../../etc" would be joined to its directory's path.
func badName(name string) bool {
	return name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00")
}

// ReadDir lists the directory p (following symbolic links), without "."
// and "..", in the directory's order. An entry whose name cannot be a
// file name (badName) fails it with EIO.
func (f *FS) ReadDir(p string) ([]fs.DirEntry, error) {
	if err := f.lock(p); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	ino, err := f.walk(p, true)
	if err != nil {
		return nil, err
	}
	m, err := f.mode(p, ino)
	if err != nil {
		return nil, err
	}
	if m&sIFMT != sIFDIR {
		return nil, pathErr(p, syscall.ENOTDIR)
	}
	var buf *C.char
	var n C.size_t
	if e := C.e2_readdir(f.fs, ino, &buf, &n); e != 0 {
		return nil, libErr(p, e)
	}
	defer C.e2_free_mem(unsafe.Pointer(buf))
	raw := C.GoBytes(unsafe.Pointer(buf), C.int(n))
	var r []fs.DirEntry
	for len(raw) >= 6 {
		l := int(raw[5])
		if len(raw) < 6+l {
			break
		}
		e := fs.DirEntry{
			Name: string(raw[6 : 6+l]),
			Ino:  uint64(binary.NativeEndian.Uint32(raw)),
		}
		if badName(e.Name) {
			return nil, errno.New(syscall.EIO, "%s: corrupt directory entry %q (inode %d)", errno.Cut(p), errno.Cut(e.Name), e.Ino)
		}
		t, ok := direntTypes[raw[4]]
		if !ok {
			if t, err = f.mode(path.Join(p, e.Name), C.ext2_ino_t(e.Ino)); err != nil {
				return nil, err
			}
		}
		e.Type = fileMode(t&sIFMT) &^ iofs.ModePerm
		r = append(r, e)
		raw = raw[6+l:]
	}
	return r, nil
}
