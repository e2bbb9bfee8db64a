package squashfs

import (
	"encoding/binary"
	"io"
	iofs "io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/internal/walk"
	"goguestfs/daemon/fs/squashfs/layout"
)

// node is a directory entry and, once loaded, its inode.
type node struct {
	name   string
	block  uint32
	offset uint16
	typ    uint16 // the directory entry's (basic) type
	in     *layout.Inode
}

// dirKey is where a listing is and its size: an empty directory's
// listing starts where another's does.
type dirKey struct {
	block  uint32
	offset uint16
	size   uint32
}

type dirList struct {
	ents  []*node
	index map[string]int
}

// fixed is the size of each inode kind past the header, before a file's
// block sizes or a link's target.
var fixed = map[uint16]int{
	layout.Dir: 16, layout.LDir: 24, layout.File: 16, layout.LFile: 40,
	layout.Symlink: 8, layout.LSymlink: 8, layout.BlockDev: 8, layout.CharDev: 8,
	layout.LBlockDev: 12, layout.LCharDev: 12, layout.Fifo: 4, layout.Socket: 4,
	layout.LFifo: 8, layout.LSocket: 8,
}

// load reads n's inode.
func (f *FS) load(obj string, n *node) error {
	if n.in != nil {
		return nil
	}
	read := func(k int) ([]byte, error) {
		b, err := f.metaRead(f.sb.InodeTable, uint64(n.block), int(n.offset), k)
		if err != nil {
			return nil, errno.Wrap(errno.Cut(obj), err)
		}
		return b, nil
	}
	h, err := read(layout.HeaderSize)
	if err != nil {
		return err
	}
	typ := binary.LittleEndian.Uint16(h)
	fx, ok := fixed[typ]
	if !ok {
		return errno.New(syscall.EIO, "%s: inode of unknown type %d", errno.Cut(obj), typ)
	}
	b, err := read(layout.HeaderSize + fx)
	if err != nil {
		return err
	}
	total := len(b)
	switch typ {
	case layout.File, layout.LFile:
		var size uint64
		if typ == layout.File {
			size = uint64(binary.LittleEndian.Uint32(b[layout.HeaderSize+12:]))
		} else {
			size = binary.LittleEndian.Uint64(b[layout.HeaderSize+8:])
		}
		if size > uint64(f.sb.BytesUsed)*uint64(f.sb.BlockSize)+uint64(f.sb.BlockSize) || size > 1<<50 {
			return errno.New(syscall.EIO, "%s: file of %d bytes in a filesystem of %d", errno.Cut(obj), size, f.sb.BytesUsed)
		}
		total += 4 * int(size/uint64(f.sb.BlockSize)+1)
	case layout.Symlink, layout.LSymlink:
		total += int(min(binary.LittleEndian.Uint32(b[layout.HeaderSize+4:]), 4097)) + 4
	}
	if total > len(b) {
		if b, err = read(total); err != nil {
			return err
		}
	}
	in, _, err := layout.ParseInode(b, f.sb.BlockSize)
	if err != nil {
		return errno.New(syscall.EIO, "%s: %v", errno.Cut(obj), err)
	}
	if int(in.UIDIndex) >= len(f.ids) || int(in.GIDIndex) >= len(f.ids) {
		return errno.New(syscall.EIO, "%s: owner index %d/%d past the %d ids", errno.Cut(obj), in.UIDIndex, in.GIDIndex, len(f.ids))
	}
	n.in = in
	return nil
}

func isDir(in *layout.Inode) bool { return in.Type == layout.Dir || in.Type == layout.LDir }

// readDirectory returns the listing of the directory node n (loaded).
func (f *FS) readDirectory(obj string, n *node) (*dirList, error) {
	key := dirKey{n.in.DirBlock, n.in.DirOffset, n.in.DirSize}
	if d, ok := f.dirs[key]; ok {
		return d, nil
	}
	d := &dirList{index: map[string]int{}}
	if n.in.DirSize > 3 {
		if n.in.DirSize-3 > maxDirBytes {
			return nil, errno.New(syscall.EIO, "%s: directory listing of %d bytes", errno.Cut(obj), n.in.DirSize)
		}
		b, err := f.metaRead(f.sb.DirTable, uint64(n.in.DirBlock), int(n.in.DirOffset), int(n.in.DirSize-3))
		if err != nil {
			return nil, errno.Wrap(errno.Cut(obj), err)
		}
		es, err := layout.ParseDir(b)
		if err != nil {
			return nil, errno.New(syscall.EIO, "%s: %v", errno.Cut(obj), err)
		}
		for _, e := range es {
			name := string(e.Name)
			if name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
				continue // not a name Linux can show
			}
			if _, dup := d.index[name]; !dup {
				d.index[name] = len(d.ents)
			}
			d.ents = append(d.ents, &node{name: name, block: e.Block, offset: e.Offset, typ: e.Type})
		}
	}
	if len(f.dirs) > 4096 {
		f.dirs = map[dirKey]*dirList{}
	}
	f.dirs[key] = d
	return d, nil
}

// kind is the fs.FileMode type bits of an inode type.
func kind(t uint16) iofs.FileMode {
	if t >= layout.LDir {
		t -= 7
	}
	switch t {
	case layout.Dir:
		return iofs.ModeDir
	case layout.Symlink:
		return iofs.ModeSymlink
	case layout.BlockDev:
		return iofs.ModeDevice
	case layout.CharDev:
		return iofs.ModeDevice | iofs.ModeCharDevice
	case layout.Fifo:
		return iofs.ModeNamedPipe
	case layout.Socket:
		return iofs.ModeSocket
	case layout.File:
		return 0
	}
	return iofs.ModeIrregular
}

// info is the node's FileInfo, as Linux's squashfs fills the inode.
func (f *FS) info(n *node) fs.FileInfo {
	in := n.in
	m := kind(in.Type) | fs.ModeFromUnix(uint32(in.Perm)&0o7777)
	t := time.Unix(int64(in.Mtime), 0)
	fi := fs.FileInfo{Name: n.name, Mode: m, Ino: uint64(in.Number), Nlink: uint64(in.Nlink),
		Uid: f.ids[in.UIDIndex], Gid: f.ids[in.GIDIndex], Blksize: int64(f.sb.BlockSize), Atime: t, Mtime: t, Ctime: t}
	switch m.Type() {
	case iofs.ModeDir:
		fi.Size = int64(in.DirSize)
	case 0:
		fi.Size = int64(in.Size)
		if in.Type == layout.LFile {
			fi.Blocks = (int64(in.Size-min(in.Sparse, in.Size)) + 511) >> 9
		} else if in.Size > 0 {
			fi.Blocks = (int64(in.Size)-1)>>9 + 1
		}
	case iofs.ModeSymlink:
		fi.Size = int64(len(in.Target))
	case iofs.ModeDevice, iofs.ModeDevice | iofs.ModeCharDevice:
		fi.Rdev = unix.Mkdev(layout.NewDecodeDev(in.Rdev))
	}
	return fi
}

func pathErr(obj string, en syscall.Errno) error { return walk.PathErr(obj, en) }

// resolver answers walk.Resolve's lookups.
type resolver FS

func (*resolver) IsDir(n *node) bool { return isDir(n.in) }

func (t *resolver) Lookup(p string, dir *node, name string) (*node, bool, error) {
	f := (*FS)(t)
	d, err := f.readDirectory(p, dir)
	if err != nil {
		return nil, false, err
	}
	i, ok := d.index[name]
	if !ok {
		return nil, false, nil
	}
	next := d.ents[i]
	if err := f.load(p, next); err != nil {
		return nil, false, err
	}
	return next, true, nil
}

func (*resolver) Link(n *node) (string, bool) {
	if n.in.Type != layout.Symlink && n.in.Type != layout.LSymlink {
		return "", false
	}
	return string(n.in.Target), true
}

// resolve finds p from the root, following symbolic links in every
// component but the last, and the last too when follow is set (see
// walk.Resolve).
func (f *FS) resolve(p string, follow bool) (*node, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if err := walk.CheckPath(p); err != nil {
		return nil, err
	}
	return walk.Resolve[*node]((*resolver)(f), f.root, p, follow)
}

// Stat describes p without following a final symbolic link.
func (f *FS) Stat(p string) (fi fs.FileInfo, err error) {
	defer recoverEIO(&err, p)
	n, err := f.resolve(p, false)
	if err != nil {
		return fs.FileInfo{}, err
	}
	return f.info(n), nil
}

// ReadDir lists the directory p in its recorded (sorted) order.
func (f *FS) ReadDir(p string) (out []fs.DirEntry, err error) {
	defer recoverEIO(&err, p)
	n, err := f.resolve(p, true)
	if err != nil {
		return nil, err
	}
	if !isDir(n.in) {
		return nil, pathErr(p, syscall.ENOTDIR)
	}
	d, err := f.readDirectory(p, n)
	if err != nil {
		return nil, err
	}
	out = make([]fs.DirEntry, 0, len(d.ents))
	for _, e := range d.ents {
		ino := uint64(0)
		if e.in != nil {
			ino = uint64(e.in.Number)
		}
		out = append(out, fs.DirEntry{Name: e.name, Ino: ino, Type: kind(e.typ)})
	}
	return out, nil
}

// Readlink returns the target of the symbolic link p (EINVAL for another
// kind of file). It is the read half of fs.Writer, which this driver does
// not implement.
func (f *FS) Readlink(p string) (t string, err error) {
	defer recoverEIO(&err, p)
	n, err := f.resolve(p, false)
	if err != nil {
		return "", err
	}
	if n.in.Type != layout.Symlink && n.in.Type != layout.LSymlink {
		return "", pathErr(p, syscall.EINVAL)
	}
	return string(n.in.Target), nil
}

// OpenFile opens the regular file p for reading, following symbolic
// links; any flag that would change the filesystem is EROFS.
func (f *FS) OpenFile(p string, flag int, _ iofs.FileMode) (h fs.File, err error) {
	defer recoverEIO(&err, p)
	if flag&(os.O_WRONLY|os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_TRUNC) != 0 {
		if err := f.check(); err != nil {
			return nil, err
		}
		return nil, pathErr(p, syscall.EROFS)
	}
	n, err := f.resolve(p, true)
	if err != nil {
		return nil, err
	}
	switch n.in.Type {
	case layout.File, layout.LFile:
	case layout.Dir, layout.LDir:
		return nil, pathErr(p, syscall.EISDIR)
	default:
		return nil, pathErr(p, syscall.EINVAL)
	}
	fl := &file{f: f, n: n, path: p, starts: make([]int64, len(n.in.BlockSizes))}
	pos := n.in.BlocksStart
	for i, w := range n.in.BlockSizes {
		fl.starts[i] = int64(pos)
		size, _ := layout.DataSize(w)
		pos += uint64(size)
		if pos > f.sb.BytesUsed {
			return nil, errno.New(syscall.EIO, "%s: block %d past the %d bytes used", errno.Cut(p), i, f.sb.BytesUsed)
		}
	}
	return fl, nil
}

// file is an open regular file.
type file struct {
	f      *FS
	n      *node
	path   string
	starts []int64
	closed bool
	// the last data block read
	last    int
	lastBuf []byte
}

// data returns block i of the file (the fragment tail past its blocks).
func (h *file) data(i int) ([]byte, error) {
	f, in := h.f, h.n.in
	bs := int64(f.sb.BlockSize)
	want := int(min(bs, int64(in.Size)-int64(i)*bs))
	if h.lastBuf != nil && h.last == i {
		return h.lastBuf, nil
	}
	var d []byte
	if i < len(in.BlockSizes) {
		size, compressed := layout.DataSize(in.BlockSizes[i])
		if size == 0 {
			d = make([]byte, want) // sparse
		} else {
			var err error
			if d, err = f.block(h.starts[i], size, compressed, int(bs), false); err != nil {
				return nil, err
			}
		}
	} else {
		if in.Fragment == layout.NoFragment || f.frags == nil {
			return nil, errno.New(syscall.EIO, "squashfs: the tail has no fragment")
		}
		e, err := f.entry(f.frags, in.Fragment, 16, "fragment")
		if err != nil {
			return nil, err
		}
		fr := layout.ParseFragment(e)
		size, compressed := layout.DataSize(fr.Size)
		fb, err := f.block(int64(fr.Start), size, compressed, int(bs), true)
		if err != nil {
			return nil, err
		}
		if uint64(in.FragOffset)+uint64(want) > uint64(len(fb)) {
			return nil, errno.New(syscall.EIO, "squashfs: tail of %d bytes at %d in a fragment of %d", want, in.FragOffset, len(fb))
		}
		d = fb[in.FragOffset : int(in.FragOffset)+want]
	}
	if len(d) < want {
		return nil, errno.New(syscall.EIO, "squashfs: block %d holds %d bytes, %d expected", i, len(d), want)
	}
	h.last, h.lastBuf = i, d[:want]
	return h.lastBuf, nil
}

// ReadAt reads from the file; it returns io.EOF at the end.
func (h *file) ReadAt(b []byte, off int64) (n int, err error) {
	defer recoverEIO(&err, h.path)
	if h.closed {
		return 0, errno.New(syscall.EBADF, "%s: file closed", errno.Cut(h.path))
	}
	if err := h.f.check(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, errno.New(syscall.EINVAL, "%s: negative offset %d", errno.Cut(h.path), off)
	}
	size := int64(h.n.in.Size)
	bs := int64(h.f.sb.BlockSize)
	for n < len(b) && off+int64(n) < size {
		p := off + int64(n)
		d, err := h.data(int(p / bs))
		if err != nil {
			return n, errno.Wrap(errno.Cut(h.path), err)
		}
		n += copy(b[n:], d[p%bs:])
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt is EROFS.
func (h *file) WriteAt([]byte, int64) (int, error) { return 0, pathErr(h.path, syscall.EROFS) }

// Truncate is EROFS.
func (h *file) Truncate(int64) error { return pathErr(h.path, syscall.EROFS) }

// Stat describes the open file.
func (h *file) Stat() (fs.FileInfo, error) {
	if h.closed {
		return fs.FileInfo{}, errno.New(syscall.EBADF, "%s: file closed", errno.Cut(h.path))
	}
	return h.f.info(h.n), nil
}

// Close releases the file.
func (h *file) Close() error {
	h.closed = true
	return nil
}
