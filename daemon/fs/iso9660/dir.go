package iso9660

import (
	iofs "io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/internal/walk"
	"goguestfs/daemon/fs/iso9660/layout"
)

const (
	// maxDirBytes bounds one directory's records (a real directory of
	// 100,000 entries takes about 10 MiB).
	maxDirBytes = 64 << 20
	// maxCacheBytes bounds the directory cache; it is emptied past that.
	maxCacheBytes = 32 << 20
	// maxContinuations bounds a record's chain of SUSP continuation
	// areas (Linux's RR_MAX_CE_ENTRIES).
	maxContinuations = 32
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

// extent is a run of a file's data on the device.
type extent struct {
	off, len int64
}

// node is a file as its directory records describe it.
type node struct {
	name string
	// pos is the device offset of the (first) directory record.
	pos     int64
	dir     bool
	extents []extent
	size    int64
	date    time.Time
	rr      layout.RockRidge
	// bad is the error of a record whose Rock Ridge entries are corrupt:
	// it is listed (with what could be read) but cannot be used, as in
	// Linux, where its inode is bad.
	bad error
}

// dirList is a parsed directory.
type dirList struct {
	ents  []*node
	index map[string]int
	bytes int
}

// add appends e; a name seen before keeps its first entry for lookups.
func (d *dirList) add(e *node) {
	if _, dup := d.index[e.name]; !dup {
		d.index[e.name] = len(d.ents)
	}
	d.ents = append(d.ents, e)
}

type dirCache struct {
	m     map[int64]*dirList
	bytes int
}

// rootNode reads the root directory's "." record of volume v; with rock
// set it decides whether the volume has Rock Ridge (an SP entry there).
func (f *FS) rootNode(v *layout.Volume, rock bool) (*node, error) {
	off := int64(v.Root.Extent+uint32(v.Root.ExtAttrLen)) * layout.SectorSize
	b := make([]byte, layout.SectorSize)
	if err := f.readAt(b, off); err != nil {
		return nil, errno.Wrap("/", err)
	}
	r, err := layout.ParseRecord(b)
	if err != nil || !r.IsSelf() {
		r = v.Root // a root without its "." record: Linux reads on from the descriptor's
	}
	n := &node{name: "/", pos: off, dir: true, size: int64(v.Root.Size), date: layout.RecordTime(r.Date),
		extents: []extent{{off, int64(v.Root.Size)}}}
	if rock {
		es, _, _ := layout.ParseSUSP(r.SystemUse)
		if skip, ok := layout.IsSP(es); ok {
			f.tree, f.skip = treeRock, skip
			if err := f.rock(&n.rr, r.SystemUse); err != nil {
				return nil, errno.Wrap("/", err)
			}
		}
	}
	return n, nil
}

// rock reads the Rock Ridge entries of a system use area and of its chain
// of continuation areas.
func (f *FS) rock(rr *layout.RockRidge, su []byte) error {
	if f.skip > len(su) {
		return nil
	}
	area := su[f.skip:]
	for hops := 0; ; hops++ {
		es, ce, err := layout.ParseSUSP(area)
		if err != nil {
			return errno.New(syscall.EIO, "%v", err)
		}
		if err := rr.Add(es); err != nil {
			return errno.New(syscall.EIO, "%v", err)
		}
		if ce == nil {
			return nil
		}
		if hops == maxContinuations {
			return errno.New(syscall.EIO, "more than %d SUSP continuation areas", maxContinuations)
		}
		if ce.Offset >= layout.SectorSize || ce.Len > layout.SectorSize-ce.Offset {
			return errno.New(syscall.EIO, "SUSP continuation area of %d bytes at %d in block %d", ce.Len, ce.Offset, ce.Block)
		}
		area = make([]byte, ce.Len)
		if err := f.readAt(area, int64(ce.Block)*layout.SectorSize+int64(ce.Offset)); err != nil {
			return err
		}
	}
}

// readDirectory returns the entries of the directory node n, from the
// cache when it is there.
func (f *FS) readDirectory(obj string, n *node) (*dirList, error) {
	off := n.extents[0].off
	if d, ok := f.dirs.m[off]; ok {
		return d, nil
	}
	size := n.extents[0].len
	if size > maxDirBytes {
		return nil, errno.New(syscall.EIO, "%s: directory of %d bytes", errno.Cut(obj), size)
	}
	size = (size + layout.SectorSize - 1) / layout.SectorSize * layout.SectorSize
	if off+size > f.dev.Size() {
		return nil, errno.New(syscall.EIO, "%s: directory of %d bytes at %d past the end of the device", errno.Cut(obj), size, off)
	}
	b := make([]byte, size)
	if err := f.readAt(b, off); err != nil {
		return nil, errno.Wrap(errno.Cut(obj), err)
	}
	d := &dirList{index: map[string]int{}, bytes: len(b)}
	var pending *node
	for p := 0; p < len(b); {
		if b[p] == 0 {
			p = (p/layout.SectorSize + 1) * layout.SectorSize
			continue
		}
		r, err := layout.ParseRecord(b[p:])
		if err != nil {
			return nil, errno.New(syscall.EIO, "%s: record at byte %d of the directory: %v", errno.Cut(obj), p, err)
		}
		pos := off + int64(p)
		p += r.Len
		if r.IsSelf() || r.IsParent() {
			continue
		}
		e, err := f.entry(obj, r, pos)
		if err != nil {
			return nil, err
		}
		if e == nil {
			continue
		}
		if pending != nil {
			if pending.name == e.name && !e.dir {
				pending.extents = append(pending.extents, e.extents...)
				pending.size += e.size
				e = pending
			} else {
				d.add(pending)
			}
			pending = nil
		}
		if r.Flags&layout.FlagMultiExt != 0 && !e.dir {
			pending = e
			continue
		}
		d.add(e)
	}
	if pending != nil {
		d.add(pending)
	}
	if f.dirs.bytes+d.bytes > maxCacheBytes {
		f.dirs = dirCache{m: map[int64]*dirList{}}
	}
	f.dirs.m[off] = d
	f.dirs.bytes += d.bytes
	return d, nil
}

// entry makes the node of record r (at device offset pos) of directory
// obj, or nil for a record Linux does not show: associated files,
// relocated directories (reached through their CL placeholder), names
// that cannot be a path component.
func (f *FS) entry(obj string, r layout.Record, pos int64) (*node, error) {
	if r.Flags&layout.FlagAssociated != 0 {
		return nil, nil
	}
	n := &node{pos: pos, dir: r.Flags&layout.FlagDir != 0, date: layout.RecordTime(r.Date), size: int64(r.Size)}
	if r.Interleaved {
		n.size = 0 // Linux: "Interleaved files not (yet) supported", size 0
	}
	data := int64(r.Extent+uint32(r.ExtAttrLen)) * layout.SectorSize
	n.extents = []extent{{data, n.size}}
	switch f.tree {
	case treeRock:
		rerr := f.rock(&n.rr, r.SystemUse)
		if n.rr.Relocated {
			return nil, nil
		}
		if n.rr.HasName {
			n.name = n.rr.Name
		} else {
			n.name = layout.PlainName(r.Name)
		}
		if rerr != nil {
			n.bad = errno.Wrap(errno.Cut(pathJoin(obj, n.name)), rerr)
			break
		}
		if n.rr.HasChild {
			if err := f.relocated(obj, n); err != nil {
				return nil, err
			}
		}
	case treeJoliet:
		n.name = layout.JolietName(r.Name)
	default:
		n.name = layout.PlainName(r.Name)
	}
	if n.name == "" || n.name == "." || n.name == ".." || strings.ContainsAny(n.name, "/\x00") {
		return nil, nil
	}
	return n, nil
}

// relocated makes the CL placeholder n the directory it stands for: the
// "." record at the child link's block gives its extent and attributes.
func (f *FS) relocated(obj string, n *node) error {
	b := make([]byte, layout.SectorSize)
	off := int64(n.rr.ChildLink) * layout.SectorSize
	if err := f.readAt(b, off); err != nil {
		return errno.Wrap(errno.Cut(obj), err)
	}
	r, err := layout.ParseRecord(b)
	if err != nil || !r.IsSelf() {
		return errno.New(syscall.EIO, "%s: relocated directory at block %d has no \".\" record", errno.Cut(obj), n.rr.ChildLink)
	}
	name := n.name
	var rr layout.RockRidge
	if err := f.rock(&rr, r.SystemUse); err != nil {
		return errno.Wrap(errno.Cut(obj), err)
	}
	n.rr, n.dir, n.date, n.size = rr, true, layout.RecordTime(r.Date), int64(r.Size)
	n.extents = []extent{{int64(r.Extent+uint32(r.ExtAttrLen)) * layout.SectorSize, int64(r.Size)}}
	n.name = name
	return nil
}

// mode is the node's st_mode.
func (f *FS) mode(n *node) uint32 {
	if !n.rr.HasPX {
		if n.dir {
			return sIFDIR | 0o555
		}
		return sIFREG | 0o555
	}
	m := n.rr.Mode
	switch {
	case n.dir:
		m = m&^sIFMT | sIFDIR
	case m&sIFMT == sIFDIR || m&sIFMT == 0:
		m = m&^sIFMT | sIFREG
	}
	return m
}

// fileMode is fs.ModeFromUnix, with fs.ModeIrregular for a type Linux
// does not know.
func fileMode(m uint32) iofs.FileMode {
	r := fs.ModeFromUnix(m)
	if r.Type() == 0 && m&sIFMT != sIFREG {
		r |= iofs.ModeIrregular
	}
	return r
}

// info is the node's FileInfo, as Linux's isofs fills the inode.
func (f *FS) info(n *node) fs.FileInfo {
	m := f.mode(n)
	fi := fs.FileInfo{Name: n.name, Mode: fileMode(m), Size: n.size, Ino: uint64(n.pos >> 5),
		Nlink: 1, Blksize: layout.SectorSize, Atime: n.date, Mtime: n.date, Ctime: n.date}
	rr := &n.rr
	if rr.HasPX {
		fi.Nlink, fi.Uid, fi.Gid = uint64(rr.Nlink), rr.UID, rr.GID
	}
	if rr.HasPN && (m&sIFMT == sIFCHR || m&sIFMT == sIFBLK) {
		if rr.DevHigh == 0 && rr.DevLow&^0xff != 0 {
			fi.Rdev = unix.Mkdev(rr.DevLow>>8, rr.DevLow&0xff)
		} else {
			fi.Rdev = unix.Mkdev(rr.DevHigh, rr.DevLow)
		}
	}
	if m&sIFMT == sIFLNK {
		fi.Size = int64(len(rr.Target))
	}
	if rr.HasCtime {
		fi.Ctime = rr.Ctime
	}
	if rr.HasMtime {
		fi.Mtime = rr.Mtime
	}
	if rr.HasAtime {
		fi.Atime = rr.Atime
	}
	if m&sIFMT == sIFREG || m&sIFMT == sIFDIR {
		fi.Blocks = (fi.Size + layout.SectorSize - 1) / layout.SectorSize * (layout.SectorSize / 512)
	}
	return fi
}

func (f *FS) isLink(n *node) bool { return f.mode(n)&sIFMT == sIFLNK }

func pathErr(obj string, en syscall.Errno) error { return walk.PathErr(obj, en) }

// resolver answers walk.Resolve's lookups.
type resolver FS

func (*resolver) IsDir(n *node) bool { return n.dir }

func (t *resolver) Lookup(p string, dir *node, name string) (*node, bool, error) {
	d, err := (*FS)(t).readDirectory(p, dir)
	if err != nil {
		return nil, false, err
	}
	i, ok := d.index[name]
	if !ok {
		return nil, false, nil
	}
	next := d.ents[i]
	if next.bad != nil {
		return nil, false, next.bad
	}
	return next, true, nil
}

func (t *resolver) Link(n *node) (string, bool) {
	if !(*FS)(t).isLink(n) {
		return "", false
	}
	return n.rr.Target, true
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

func pathJoin(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
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

// ReadDir lists the directory p in its recorded order.
func (f *FS) ReadDir(p string) (out []fs.DirEntry, err error) {
	defer recoverEIO(&err, p)
	n, err := f.resolve(p, true)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, pathErr(p, syscall.ENOTDIR)
	}
	d, err := f.readDirectory(p, n)
	if err != nil {
		return nil, err
	}
	out = make([]fs.DirEntry, 0, len(d.ents))
	for _, e := range d.ents {
		out = append(out, fs.DirEntry{Name: e.name, Ino: uint64(e.pos >> 5), Type: fileMode(f.mode(e)).Type()})
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
	if !f.isLink(n) {
		return "", pathErr(p, syscall.EINVAL)
	}
	return n.rr.Target, nil
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
	switch f.mode(n) & sIFMT {
	case sIFREG:
	case sIFDIR:
		return nil, pathErr(p, syscall.EISDIR)
	default:
		return nil, pathErr(p, syscall.EINVAL)
	}
	if n.rr.Compressed {
		return nil, errno.New(syscall.ENOTSUP, "%s: zisofs-compressed file", errno.Cut(p))
	}
	for _, e := range n.extents {
		if e.off+e.len > f.dev.Size() {
			return nil, errno.New(syscall.EIO, "%s: data at %d (%d bytes) past the end of the device", errno.Cut(p), e.off, e.len)
		}
	}
	return &file{f: f, n: n, path: p}, nil
}
