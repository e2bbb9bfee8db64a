// Package squashfs is the read-only driver of squashfs 4.0, written for
// this project on its own parser (package layout) and judged by
// mksquashfs, unsquashfs and Linux's own squashfs. It reads only through
// the fs.Device it is given.
//
// It decompresses gzip (mksquashfs's default), xz, zstd, lz4, lzo and
// lzma, and shows what Linux shows: modes, owners, link counts, mtime (as
// atime and ctime too), device numbers, symbolic links, sparse blocks and
// fragment tails, extended attributes (fs.Xattrer, read only). Directory
// sizes are the listing's size plus 3, symbolic links' their target's
// length. There is no label, so no fs.Labeler, and no fs.Writer: every
// change is EROFS whatever the mount's ReadOnly option. Hostile images
// give EINVAL (no superblock) or EIO; a panic in a parser is recovered
// and turned into EIO.
package squashfs

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"syscall"

	lzo "github.com/anchore/go-lzo"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/squashfs/layout"
)

func init() { fs.Register(Driver{}) }

// Driver is the squashfs driver.
type Driver struct{}

var (
	_ fs.Driver      = Driver{}
	_ fs.FS          = (*FS)(nil)
	_ fs.StatFSer    = (*FS)(nil)
	_ fs.Xattrer     = (*FS)(nil)
	_ fs.Readlinker  = (*FS)(nil)
	_ fs.LinkXattrer = (*FS)(nil)
)

const (
	// maxCacheBytes bounds the cache of decompressed metadata and
	// fragment blocks; it is emptied past that.
	maxCacheBytes = 32 << 20
	// maxDirBytes bounds one directory listing.
	maxDirBytes = 64 << 20
)

// Name is "squashfs".
func (Driver) Name() string { return "squashfs" }

// Probe reports whether dev starts with a squashfs 4 superblock.
func (Driver) Probe(dev fs.Device) (bool, error) {
	if dev.Size() < layout.SuperblockSize {
		return false, nil
	}
	b := make([]byte, 30)
	if _, err := dev.ReadAt(b, 0); err != nil {
		return false, errno.New(syscall.EIO, "reading the squashfs superblock: %v", err)
	}
	return layout.IsSuperblock(b), nil
}

// FS is a mounted squashfs.
type FS struct {
	dev    fs.Device
	closed bool
	sb     *layout.Superblock
	dec    func(dst, src []byte) ([]byte, error)
	ids    []uint32
	frags  []uint64 // fragment table's metadata block positions
	xattrs []uint64 // xattr id table's metadata block positions
	xstart uint64   // start of the xattr key/value metadata
	root   *node
	cache  map[int64][]byte
	cached int
	dirs   map[dirKey]*dirList
}

// Open mounts the squashfs on dev. No mount option changes anything; the
// usual harmless ones are accepted.
func (Driver) Open(dev fs.Device, o fs.OpenOptions) (x fs.FS, err error) {
	defer recoverEIO(&err, "squashfs")
	for _, opt := range strings.Split(o.Options, ",") {
		switch opt {
		case "", "ro", "rw", "defaults", "noatime", "relatime", "nodiratime", "errors=continue", "errors=panic":
		default:
			return nil, errno.New(syscall.EINVAL, "squashfs: unknown mount option %q", errno.Cut(opt))
		}
	}
	return open(dev)
}

func open(dev fs.Device) (*FS, error) {
	if dev.Size() < layout.SuperblockSize {
		return nil, errno.New(syscall.EINVAL, "not a squashfs: device too small")
	}
	f := &FS{dev: dev, cache: map[int64][]byte{}, dirs: map[dirKey]*dirList{}}
	b := make([]byte, layout.SuperblockSize)
	if err := f.readAt(b, 0); err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(b) != layout.Magic {
		return nil, errno.New(syscall.EINVAL, "not a squashfs")
	}
	sb, err := layout.ParseSuperblock(b)
	if err != nil {
		return nil, errno.New(syscall.EIO, "squashfs: superblock: %v", err)
	}
	if sb.BytesUsed > uint64(dev.Size()) {
		return nil, errno.New(syscall.EIO, "squashfs: the superblock claims %d bytes, the device holds %d", sb.BytesUsed, dev.Size())
	}
	f.sb = sb
	if f.dec, err = decompressor(sb.Compression); err != nil {
		return nil, err
	}
	ids, err := f.table(sb.IDTable, uint64(sb.IDs), 4, "id")
	if err != nil {
		return nil, err
	}
	for _, e := range ids {
		f.ids = append(f.ids, binary.LittleEndian.Uint32(e))
	}
	if sb.Fragments > 0 && sb.FragmentTable != layout.NoTable {
		if f.frags, err = f.index(sb.FragmentTable, uint64(sb.Fragments), 16, "fragment"); err != nil {
			return nil, err
		}
	}
	if sb.XattrTable != layout.NoTable {
		h := make([]byte, 16)
		if err := f.readAt(h, int64(sb.XattrTable)); err != nil {
			return nil, errno.Wrap("squashfs: xattr table", err)
		}
		f.xstart = binary.LittleEndian.Uint64(h)
		if n := binary.LittleEndian.Uint32(h[8:]); n > 0 {
			if f.xattrs, err = f.index(sb.XattrTable+16, uint64(n), 16, "xattr id"); err != nil {
				return nil, err
			}
		}
	}
	blk, off := layout.Ref(sb.RootInode)
	root := &node{name: "/", block: uint32(blk), offset: uint16(off)}
	if err := f.load("/", root); err != nil {
		return nil, err
	}
	if root.in.Type != layout.Dir && root.in.Type != layout.LDir {
		return nil, errno.New(syscall.EIO, "squashfs: the root inode is of type %d", root.in.Type)
	}
	f.root = root
	return f, nil
}

// recoverEIO turns a panic in a parser or a decompressor into EIO.
func recoverEIO(err *error, obj string) {
	if r := recover(); r != nil {
		*err = errno.New(syscall.EIO, "%s: corrupt filesystem (internal error: %v)", errno.Cut(obj), r)
	}
}

func (f *FS) readAt(b []byte, off int64) error {
	if off < 0 || off+int64(len(b)) > f.dev.Size() {
		return errno.New(syscall.EIO, "squashfs: read of %d bytes at %d past the end of the device (%d bytes)", len(b), off, f.dev.Size())
	}
	if _, err := f.dev.ReadAt(b, off); err != nil {
		return errno.New(syscall.EIO, "squashfs: device read at %d: %v", off, err)
	}
	return nil
}

// decompressor returns the function that decompresses a block of the
// filesystem's compression into dst (whose capacity bounds the output).
func decompressor(id uint16) (func(dst, src []byte) ([]byte, error), error) {
	limited := func(r io.Reader, dst []byte) ([]byte, error) {
		n, err := io.ReadFull(r, dst[:cap(dst)])
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return dst[:n], nil
		}
		if err != nil {
			return nil, err
		}
		var one [1]byte
		if k, _ := r.Read(one[:]); k > 0 {
			return nil, fmt.Errorf("block decompresses to more than %d bytes", cap(dst))
		}
		return dst[:n], nil
	}
	switch id {
	case layout.Gzip:
		return func(dst, src []byte) ([]byte, error) {
			r, err := zlib.NewReader(bytes.NewReader(src))
			if err != nil {
				return nil, err
			}
			return limited(r, dst)
		}, nil
	case layout.XZ:
		return func(dst, src []byte) ([]byte, error) {
			r, err := xz.NewReader(bytes.NewReader(src))
			if err != nil {
				return nil, err
			}
			return limited(r, dst)
		}, nil
	case layout.LZMA:
		return func(dst, src []byte) ([]byte, error) {
			r, err := lzma.NewReader(bytes.NewReader(src))
			if err != nil {
				return nil, err
			}
			return limited(r, dst)
		}, nil
	case layout.LZO:
		return func(dst, src []byte) ([]byte, error) {
			n, err := lzo.Decompress(src, dst[:cap(dst)])
			if err != nil {
				return nil, err
			}
			return dst[:n], nil
		}, nil
	case layout.LZ4:
		return func(dst, src []byte) ([]byte, error) {
			n, err := lz4.UncompressBlock(src, dst[:cap(dst)])
			if err != nil {
				return nil, err
			}
			return dst[:n], nil
		}, nil
	case layout.Zstd:
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(2<<20))
		if err != nil {
			return nil, errno.New(syscall.EIO, "squashfs: zstd: %v", err)
		}
		return func(dst, src []byte) ([]byte, error) {
			out, err := d.DecodeAll(src, dst[:0])
			if err != nil {
				return nil, err
			}
			if len(out) > cap(dst) {
				return nil, fmt.Errorf("block decompresses to more than %d bytes", cap(dst))
			}
			return out, nil
		}, nil
	}
	return nil, errno.New(syscall.EIO, "squashfs: unknown compression %d", id)
}

// block reads the compressed or stored block of size bytes at pos and
// returns its contents, at most limit bytes, through the cache when
// cached is set.
func (f *FS) block(pos int64, size int, compressed bool, limit int, cached bool) ([]byte, error) {
	if d, ok := f.cache[pos]; ok && cached {
		return d, nil
	}
	if pos < 0 || uint64(pos)+uint64(size) > f.sb.BytesUsed {
		return nil, errno.New(syscall.EIO, "squashfs: block of %d bytes at %d past the %d bytes used", size, pos, f.sb.BytesUsed)
	}
	if size > limit+limit/8+64 {
		return nil, errno.New(syscall.EIO, "squashfs: block of %d bytes at %d for %d", size, pos, limit)
	}
	raw := make([]byte, size)
	if err := f.readAt(raw, pos); err != nil {
		return nil, err
	}
	d := raw
	if compressed {
		var err error
		if d, err = f.dec(make([]byte, 0, limit), raw); err != nil {
			return nil, errno.New(syscall.EIO, "squashfs: block at %d: %v", pos, err)
		}
	} else if size > limit {
		return nil, errno.New(syscall.EIO, "squashfs: stored block of %d bytes at %d", size, pos)
	}
	if cached {
		if f.cached+len(d) > maxCacheBytes {
			f.cache, f.cached = map[int64][]byte{}, 0
		}
		f.cache[pos] = d
		f.cached += len(d)
	}
	return d, nil
}

// meta returns the metadata block at pos and the position of the next.
func (f *FS) meta(pos int64) ([]byte, int64, error) {
	h := make([]byte, 2)
	if err := f.readAt(h, pos); err != nil {
		return nil, 0, err
	}
	size, compressed := layout.MetaHeader(binary.LittleEndian.Uint16(h))
	d, err := f.block(pos+2, size, compressed, layout.MetadataSize, true)
	return d, pos + 2 + int64(size), err
}

// metaRead reads n bytes of the metadata stream that starts at table,
// from offset in the block at table+block, going on into the next
// blocks.
func (f *FS) metaRead(table, block uint64, offset int, n int) ([]byte, error) {
	pos := int64(table + block)
	if table+block < table {
		return nil, errno.New(syscall.EIO, "squashfs: metadata reference past the end")
	}
	out := make([]byte, 0, min(n, 1<<20))
	for len(out) < n {
		d, next, err := f.meta(pos)
		if err != nil {
			return nil, err
		}
		if offset > len(d) {
			return nil, errno.New(syscall.EIO, "squashfs: offset %d in a metadata block of %d bytes", offset, len(d))
		}
		if len(d) == 0 {
			return nil, errno.New(syscall.EIO, "squashfs: empty metadata block at %d", pos)
		}
		out = append(out, d[offset:min(len(d), offset+n-len(out))]...)
		offset = 0
		pos = next
	}
	return out, nil
}

// stream reads a metadata stream piece by piece.
type stream struct {
	f   *FS
	pos int64 // device position of the current block
	off int   // offset in its uncompressed contents
}

// read returns the next n bytes of the stream.
func (s *stream) read(n int) ([]byte, error) {
	out := make([]byte, 0, min(n, 1<<20))
	for len(out) < n {
		d, next, err := s.f.meta(s.pos)
		if err != nil {
			return nil, err
		}
		if s.off >= len(d) {
			if s.off > len(d) || len(d) == 0 {
				return nil, errno.New(syscall.EIO, "squashfs: offset %d in a metadata block of %d bytes", s.off, len(d))
			}
			s.pos, s.off = next, 0
			continue
		}
		k := min(len(d)-s.off, n-len(out))
		out = append(out, d[s.off:s.off+k]...)
		s.off += k
	}
	return out, nil
}

// index reads the lookup table of count entries of size bytes at start
// and returns the positions of its metadata blocks.
func (f *FS) index(start, count uint64, size int, what string) ([]uint64, error) {
	blocks := (count*uint64(size) + layout.MetadataSize - 1) / layout.MetadataSize
	if start+blocks*8 > f.sb.BytesUsed || start+blocks*8 < start {
		return nil, errno.New(syscall.EIO, "squashfs: %s table of %d entries past the %d bytes used", what, count, f.sb.BytesUsed)
	}
	b := make([]byte, blocks*8)
	if err := f.readAt(b, int64(start)); err != nil {
		return nil, err
	}
	out := make([]uint64, blocks)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out, nil
}

// table reads a whole lookup table (ids) and returns its entries.
func (f *FS) table(start, count uint64, size int, what string) ([][]byte, error) {
	blocks, err := f.index(start, count, size, what)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, pos := range blocks {
		d, _, err := f.meta(int64(pos))
		if err != nil {
			return nil, errno.Wrap("squashfs: "+what+" table", err)
		}
		for i := 0; i+size <= len(d) && uint64(len(out)) < count; i += size {
			out = append(out, d[i:i+size])
		}
	}
	if uint64(len(out)) < count {
		return nil, errno.New(syscall.EIO, "squashfs: %s table holds %d of %d entries", what, len(out), count)
	}
	return out, nil
}

// entry returns entry i of the lookup table whose metadata blocks are at
// blocks, entries being size bytes.
func (f *FS) entry(blocks []uint64, i uint32, size int, what string) ([]byte, error) {
	per := uint32(layout.MetadataSize / size)
	if uint64(i/per) >= uint64(len(blocks)) {
		return nil, errno.New(syscall.EIO, "squashfs: %s %d past the table", what, i)
	}
	d, _, err := f.meta(int64(blocks[i/per]))
	if err != nil {
		return nil, err
	}
	o := int(i%per) * size
	if o+size > len(d) {
		return nil, errno.New(syscall.EIO, "squashfs: %s %d past its metadata block", what, i)
	}
	return d[o : o+size], nil
}

func (f *FS) check() error {
	if f.closed {
		return errno.New(syscall.EBADF, "squashfs: filesystem closed")
	}
	return nil
}

// Sync does nothing: nothing is ever written.
func (f *FS) Sync() error { return f.check() }

// Close releases the filesystem.
func (f *FS) Close() error {
	f.closed = true
	f.cache, f.dirs = nil, nil
	return nil
}

// StatFS is Linux's: blocks of the block size used, none free, the inode
// count, names up to 256 bytes.
func (f *FS) StatFS() (fs.StatFS, error) {
	if err := f.check(); err != nil {
		return fs.StatFS{}, err
	}
	return fs.StatFS{
		Bsize: int64(f.sb.BlockSize), Frsize: int64(f.sb.BlockSize),
		Blocks: (f.sb.BytesUsed-1)>>f.sb.BlockLog + 1,
		Files:  uint64(f.sb.Inodes), Namemax: 256, Flag: 1, // ST_RDONLY
	}, nil
}
