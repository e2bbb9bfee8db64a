package vfat

import (
	"io"
	iofs "io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/vfat/layout"
)

var ioEOF = io.EOF

// maxFileSize is the largest FAT file.
const maxFileSize = 1<<32 - 1

func (f *FS) info(n *node) fs.FileInfo {
	fi := fs.FileInfo{Name: n.name, Nlink: 1, Blksize: f.g.ClusterSize}
	if n.pos < 0 {
		fi.Ino = 1
		fi.Name = "/"
	} else {
		fi.Ino = uint64(n.pos/32) + 2
		fi.Mtime = layout.FromDOS(n.de.WrtDate, n.de.WrtTime, 0)
		fi.Atime = layout.FromDOS(n.de.AccDate, 0, 0)
		fi.Ctime = fi.Mtime
	}
	if n.pos < 0 {
		t := time.Unix(0, 0).UTC()
		fi.Atime, fi.Mtime, fi.Ctime = t, t, t
	}
	if n.isDir() {
		fi.Mode = iofs.ModeDir | 0755
		fi.Nlink = 2
		if d, err := f.loadDir(n); err == nil {
			for _, e := range f.entries(d) {
				if e.de.Attr&layout.AttrDir != 0 {
					fi.Nlink++
				}
			}
			fi.Size = int64(len(d.data))
			fi.Blocks = int64(len(d.data)) / 512
		}
	} else {
		fi.Mode = 0755
		if n.de.Attr&layout.AttrReadOnly != 0 {
			fi.Mode = 0555
		}
		fi.Size = int64(n.de.Size)
		if n.loaded {
			fi.Blocks = int64(len(n.chain)) * f.g.ClusterSize / 512
		} else {
			fi.Blocks = (int64(n.de.Size) + f.g.ClusterSize - 1) / f.g.ClusterSize * f.g.ClusterSize / 512
		}
	}
	return fi
}

// Stat describes path.
func (f *FS) Stat(path string) (fs.FileInfo, error) {
	if err := f.check(false); err != nil {
		return fs.FileInfo{}, err
	}
	n, err := f.resolve(path)
	if err != nil {
		return fs.FileInfo{}, err
	}
	return f.info(n), nil
}

// badName reports whether an entry's name cannot be a file name: empty,
// "." or "..", or holding "/" or NUL. A long name is UTF-16 and can
// encode any of them (U+002F is "/"), a short name holds raw bytes; only
// a corrupt or hostile image has one, and handed on, "../../etc" would be
// joined to its directory's path.
func badName(name string) bool {
	return name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00")
}

// ReadDir lists a directory in its own order. An entry whose name cannot
// be a file name (badName) fails it with EIO.
func (f *FS) ReadDir(path string) ([]fs.DirEntry, error) {
	if err := f.check(false); err != nil {
		return nil, err
	}
	n, err := f.resolve(path)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, errno.New(syscall.ENOTDIR, "%s: not a directory", errno.Cut(path))
	}
	d, err := f.loadDir(n)
	if err != nil {
		return nil, errno.Wrap(errno.Cut(path), err)
	}
	var out []fs.DirEntry
	for _, e := range f.entries(d) {
		if badName(e.name) {
			return nil, errno.New(syscall.EIO, "%s: corrupt directory entry %q", errno.Cut(path), errno.Cut(e.name))
		}
		de := fs.DirEntry{Name: e.name, Ino: uint64(e.pos/32) + 2}
		if e.de.Attr&layout.AttrDir != 0 {
			de.Type = iofs.ModeDir
		}
		out = append(out, de)
	}
	return out, nil
}

func newEntry(now time.Time, attr uint8, first uint32) layout.DirEntry {
	date, tim, tenth := layout.ToDOS(now)
	return layout.DirEntry{Attr: attr, CrtTenth: tenth, CrtTime: tim, CrtDate: date, AccDate: date, WrtTime: tim, WrtDate: date, FirstClus: first}
}

// OpenFile opens (and with O_CREATE makes) a file.
func (f *FS) OpenFile(path string, flag int, perm iofs.FileMode) (fs.File, error) {
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	write := acc != os.O_RDONLY || flag&os.O_TRUNC != 0
	if err := f.check(false); err != nil {
		return nil, err
	}
	n, err := f.resolve(path)
	switch {
	case err == nil:
		if flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0 {
			return nil, errno.New(syscall.EEXIST, "%s: file exists", errno.Cut(path))
		}
		if n.isDir() && write {
			return nil, errno.New(syscall.EISDIR, "%s: is a directory", errno.Cut(path))
		}
		if write && f.ro {
			return nil, errno.New(syscall.EROFS, "%s: read-only filesystem", errno.Cut(path))
		}
	case errno.Of(err) == syscall.ENOENT && flag&os.O_CREATE != 0:
		if f.ro {
			return nil, errno.New(syscall.EROFS, "%s: read-only filesystem", errno.Cut(path))
		}
		_, d, name, err2 := f.resolveParent(path)
		if err2 != nil {
			return nil, err2
		}
		attr := uint8(layout.AttrArchive)
		if perm&0200 == 0 {
			attr |= layout.AttrReadOnly
		}
		de := newEntry(f.now(), attr, 0)
		pos, stored, err2 := f.addEntry(d, name, de, -1)
		if err2 != nil {
			return nil, err2
		}
		n = &node{pos: pos, de: de, name: stored, loaded: true}
		if b := make([]byte, 32); f.readAt(b, pos) == nil {
			n.de = layout.ParseDirEntry(b)
		}
	default:
		return nil, err
	}
	if old, ok := f.nodes[n.pos]; ok {
		n = old
	} else if n.pos >= 0 {
		f.nodes[n.pos] = n
	}
	n.opens++
	h := &file{fs: f, n: n, read: acc != os.O_WRONLY, write: acc != os.O_RDONLY, append: flag&os.O_APPEND != 0}
	if flag&os.O_TRUNC != 0 && !n.isDir() && n.de.Size != 0 {
		if err := h.truncate(0); err != nil {
			h.Close()
			return nil, err
		}
	}
	return h, nil
}

// file is an open file.
type file struct {
	fs                  *FS
	n                   *node
	read, write, append bool
	closed              bool
}

func (h *file) ok(write bool) error {
	if h.closed {
		return errno.New(syscall.EBADF, "%s: file closed", h.n.name)
	}
	if err := h.fs.check(false); err != nil {
		return err
	}
	if write && h.fs.ro {
		return errno.New(syscall.EROFS, "%s: read-only filesystem", h.n.name)
	}
	if write && !h.write || !write && !h.read {
		return errno.New(syscall.EBADF, "%s: not open for this", h.n.name)
	}
	if h.n.isDir() {
		return errno.New(syscall.EISDIR, "%s: is a directory", h.n.name)
	}
	return nil
}

func (h *file) loadChain() error {
	n := h.n
	if n.loaded {
		return nil
	}
	cs, err := h.fs.chain(n.de.FirstClus)
	if err != nil {
		return errno.Wrap(n.name, err)
	}
	n.chain, n.loaded = cs, true
	return nil
}

// io does a read or write of b at off within the allocated clusters.
func (h *file) io(b []byte, off int64, write bool) error {
	cl := h.fs.g.ClusterSize
	cs := h.n.chain
	for len(b) > 0 {
		ci := off / cl
		if ci >= int64(len(cs)) {
			return errno.New(syscall.EIO, "%s: cluster chain shorter than the file", h.n.name)
		}
		// Extend over physically consecutive clusters.
		cj := ci + 1
		for cj < int64(len(cs)) && cs[cj] == cs[cj-1]+1 && (cj-ci)*cl < off%cl+int64(len(b)) {
			cj++
		}
		within := off % cl
		k := min((cj-ci)*cl-within, int64(len(b)))
		dev := h.fs.g.ClusterOffset(cs[ci]) + within
		var err error
		if write {
			err = h.fs.writeAt(b[:k], dev)
		} else {
			err = h.fs.readAt(b[:k], dev)
		}
		if err != nil {
			return err
		}
		b = b[k:]
		off += k
	}
	return nil
}

func (h *file) ReadAt(b []byte, off int64) (int, error) {
	if err := h.ok(false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, errno.New(syscall.EINVAL, "%s: negative offset", h.n.name)
	}
	size := int64(h.n.de.Size)
	if off >= size {
		if len(b) == 0 {
			return 0, nil
		}
		return 0, ioEOF
	}
	if err := h.loadChain(); err != nil {
		return 0, err
	}
	n := min(int64(len(b)), size-off)
	if err := h.io(b[:n], off, false); err != nil {
		return 0, err
	}
	if n < int64(len(b)) {
		return int(n), ioEOF
	}
	return int(n), nil
}

// grow makes the file's clusters cover size bytes, zeroing from the old
// size; all or nothing.
func (h *file) grow(size int64) error {
	n := h.n
	cl := h.fs.g.ClusterSize
	want := (size + cl - 1) / cl
	if extra := want - int64(len(n.chain)); extra > 0 {
		last := uint32(0)
		if len(n.chain) > 0 {
			last = n.chain[len(n.chain)-1]
		}
		cs, err := h.fs.alloc(int(extra), last)
		if err != nil {
			return errno.Wrap(n.name, err)
		}
		if len(n.chain) == 0 {
			n.de.FirstClus = cs[0]
		}
		n.chain = append(n.chain, cs...)
	}
	return nil
}

func (h *file) zeroRange(from, to int64) error {
	for from < to {
		k := min(to-from, int64(len(zeros)))
		if err := h.io(zeros[:k], from, true); err != nil {
			return err
		}
		from += k
	}
	return nil
}

func (h *file) WriteAt(b []byte, off int64) (int, error) {
	if err := h.ok(true); err != nil {
		return 0, err
	}
	if h.append {
		off = int64(h.n.de.Size)
	}
	if off < 0 {
		return 0, errno.New(syscall.EINVAL, "%s: negative offset", h.n.name)
	}
	if len(b) == 0 {
		return 0, nil
	}
	end := off + int64(len(b))
	if end > maxFileSize {
		return 0, errno.New(syscall.EFBIG, "%s: file too large for FAT", h.n.name)
	}
	if err := h.loadChain(); err != nil {
		return 0, err
	}
	size := int64(h.n.de.Size)
	if end > size {
		if err := h.grow(end); err != nil {
			return 0, err
		}
		if off > size {
			if err := h.zeroRange(size, off); err != nil {
				return 0, err
			}
		}
	}
	if err := h.io(b, off, true); err != nil {
		return 0, err
	}
	if end > size {
		h.n.de.Size = uint32(end)
	}
	h.n.de.WrtDate, h.n.de.WrtTime, _ = layout.ToDOS(h.fs.now())
	h.n.de.Attr |= layout.AttrArchive
	if err := h.fs.writeEntry(h.n); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (h *file) Truncate(size int64) error {
	if err := h.ok(true); err != nil {
		return err
	}
	return h.truncate(size)
}

func (h *file) truncate(size int64) error {
	if size < 0 {
		return errno.New(syscall.EINVAL, "%s: negative size", h.n.name)
	}
	if size > maxFileSize {
		return errno.New(syscall.EFBIG, "%s: file too large for FAT", h.n.name)
	}
	if err := h.loadChain(); err != nil {
		return err
	}
	n := h.n
	old := int64(n.de.Size)
	cl := h.fs.g.ClusterSize
	switch {
	case size > old:
		if err := h.grow(size); err != nil {
			return err
		}
		if err := h.zeroRange(old, size); err != nil {
			return err
		}
	case size < old:
		keep := (size + cl - 1) / cl
		if keep < int64(len(n.chain)) {
			h.fs.freeChain(n.chain[keep:])
			n.chain = n.chain[:keep]
			if keep == 0 {
				n.de.FirstClus = 0
			} else {
				h.fs.fatSet(n.chain[keep-1], h.fs.eoc())
			}
		}
	}
	n.de.Size = uint32(size)
	n.de.WrtDate, n.de.WrtTime, _ = layout.ToDOS(h.fs.now())
	n.de.Attr |= layout.AttrArchive
	return h.fs.writeEntry(n)
}

func (h *file) Stat() (fs.FileInfo, error) {
	if h.closed {
		return fs.FileInfo{}, errno.New(syscall.EBADF, "%s: file closed", h.n.name)
	}
	return h.fs.info(h.n), nil
}

func (h *file) Close() error {
	if h.closed {
		return nil
	}
	h.closed = true
	n := h.n
	n.opens--
	if n.opens == 0 {
		if cur, ok := h.fs.nodes[n.pos]; ok && cur == n {
			delete(h.fs.nodes, n.pos)
		}
		if n.removed {
			return h.fs.freeOrphan(n)
		}
	}
	return nil
}
