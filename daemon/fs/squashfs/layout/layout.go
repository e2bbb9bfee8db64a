// Package layout holds the on-disk structures of squashfs 4.0 as Linux's
// squashfs reads them: the superblock, metadata block headers and
// references, the fourteen inode kinds, directory listings, fragment
// entries and extended attributes. Every parser checks its bounds and
// returns an error wrapping ErrCorrupt for a structure that does not fit.
package layout

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Magic is "hsqs", the superblock's first four bytes.
const Magic = 0x73717368

// SuperblockSize is the size of the superblock at byte 0.
const SuperblockSize = 96

// MetadataSize is the uncompressed size of a full metadata block.
const MetadataSize = 8192

// NoTable is the start of an absent table (no xattrs, no fragments...).
const NoTable = ^uint64(0)

// NoFragment is a file's fragment index when its tail has a block of its
// own; NoXattr an inode's xattr index when it has none.
const (
	NoFragment = ^uint32(0)
	NoXattr    = ^uint32(0)
)

// Compression identifiers.
const (
	Gzip = 1
	LZMA = 2
	LZO  = 3
	XZ   = 4
	LZ4  = 5
	Zstd = 6
)

// Inode types.
const (
	Dir = iota + 1
	File
	Symlink
	BlockDev
	CharDev
	Fifo
	Socket
	LDir
	LFile
	LSymlink
	LBlockDev
	LCharDev
	LFifo
	LSocket
)

// ErrCorrupt is wrapped by every parse error.
var ErrCorrupt = errors.New("corrupt squashfs structure")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// Superblock is the squashfs 4.0 superblock.
type Superblock struct {
	Inodes, ModTime, BlockSize, Fragments uint32
	Compression, BlockLog, Flags, IDs     uint16
	Major, Minor                          uint16
	RootInode, BytesUsed                  uint64
	IDTable, XattrTable, InodeTable       uint64
	DirTable, FragmentTable, ExportTable  uint64
}

// IsSuperblock reports whether b starts with the magic of squashfs 4.
func IsSuperblock(b []byte) bool {
	return len(b) >= 30 && binary.LittleEndian.Uint32(b) == Magic && binary.LittleEndian.Uint16(b[28:]) == 4
}

// ParseSuperblock parses and checks the superblock: version 4.0, a block
// size that is a power of two from 4 KiB to 1 MiB matching its log, and
// tables inside the bytes used.
func ParseSuperblock(b []byte) (*Superblock, error) {
	if len(b) < SuperblockSize || binary.LittleEndian.Uint32(b) != Magic {
		return nil, corrupt("no squashfs magic")
	}
	le := binary.LittleEndian
	s := &Superblock{
		Inodes: le.Uint32(b[4:]), ModTime: le.Uint32(b[8:]), BlockSize: le.Uint32(b[12:]),
		Fragments: le.Uint32(b[16:]), Compression: le.Uint16(b[20:]), BlockLog: le.Uint16(b[22:]),
		Flags: le.Uint16(b[24:]), IDs: le.Uint16(b[26:]), Major: le.Uint16(b[28:]), Minor: le.Uint16(b[30:]),
		RootInode: le.Uint64(b[32:]), BytesUsed: le.Uint64(b[40:]), IDTable: le.Uint64(b[48:]),
		XattrTable: le.Uint64(b[56:]), InodeTable: le.Uint64(b[64:]), DirTable: le.Uint64(b[72:]),
		FragmentTable: le.Uint64(b[80:]), ExportTable: le.Uint64(b[88:]),
	}
	if s.Major != 4 || s.Minor != 0 {
		return nil, corrupt("version %d.%d (only 4.0 is read)", s.Major, s.Minor)
	}
	if s.BlockLog < 12 || s.BlockLog > 20 || s.BlockSize != 1<<s.BlockLog {
		return nil, corrupt("block size %d with log %d", s.BlockSize, s.BlockLog)
	}
	if s.InodeTable >= s.BytesUsed || s.DirTable >= s.BytesUsed || s.IDTable >= s.BytesUsed || s.InodeTable > s.DirTable {
		return nil, corrupt("tables past the %d bytes used", s.BytesUsed)
	}
	if s.IDs == 0 {
		return nil, corrupt("no owner ids")
	}
	return s, nil
}

// MetaHeader decodes a metadata block header: its size on disk and
// whether it is stored uncompressed.
func MetaHeader(h uint16) (size int, compressed bool) {
	return int(h & 0x7FFF), h&0x8000 == 0
}

// DataSize decodes a data block or fragment size word: its size on disk
// (0 for a sparse block) and whether it is compressed.
func DataSize(w uint32) (size int, compressed bool) {
	return int(w &^ (1 << 24)), w&(1<<24) == 0
}

// Ref splits an inode reference into its metadata block (from the start
// of the table) and the offset in the uncompressed block.
func Ref(r uint64) (block uint64, offset int) {
	return r >> 16, int(r & 0xFFFF)
}

// Inode is any of the fourteen inode kinds, with the fields that apply.
type Inode struct {
	Type                 uint16
	Perm                 uint16
	UIDIndex, GIDIndex   uint16
	Mtime, Number, Nlink uint32
	Xattr                uint32
	// Directory: where its listing is and its size (3 more than the
	// listing, for "." and "..").
	DirBlock  uint32
	DirOffset uint16
	DirSize   uint32
	Parent    uint32
	// File.
	BlocksStart uint64
	Size        uint64
	Sparse      uint64
	Fragment    uint32
	FragOffset  uint32
	BlockSizes  []uint32
	// Symlink target; device number (Linux's new encoding).
	Target []byte
	Rdev   uint32
}

// HeaderSize is the common inode header.
const HeaderSize = 16

// ParseInode parses the inode at the start of b, which must hold all of
// it; blockSize is the filesystem's. It returns the inode's length.
func ParseInode(b []byte, blockSize uint32) (*Inode, int, error) {
	if len(b) < HeaderSize {
		return nil, 0, corrupt("inode header of %d bytes", len(b))
	}
	le := binary.LittleEndian
	in := &Inode{Type: le.Uint16(b), Perm: le.Uint16(b[2:]), UIDIndex: le.Uint16(b[4:]), GIDIndex: le.Uint16(b[6:]),
		Mtime: le.Uint32(b[8:]), Number: le.Uint32(b[12:]), Nlink: 1, Xattr: NoXattr}
	p := b[HeaderSize:]
	need := func(n int) error {
		if len(p) < n {
			return corrupt("inode of type %d: %d bytes, %d needed", in.Type, len(p), n)
		}
		return nil
	}
	n := HeaderSize
	switch in.Type {
	case Dir:
		if err := need(16); err != nil {
			return nil, 0, err
		}
		in.DirBlock, in.Nlink = le.Uint32(p), le.Uint32(p[4:])
		in.DirSize, in.DirOffset, in.Parent = uint32(le.Uint16(p[8:])), le.Uint16(p[10:]), le.Uint32(p[12:])
		n += 16
	case LDir:
		if err := need(24); err != nil {
			return nil, 0, err
		}
		in.Nlink, in.DirSize, in.DirBlock, in.Parent = le.Uint32(p), le.Uint32(p[4:]), le.Uint32(p[8:]), le.Uint32(p[12:])
		in.DirOffset, in.Xattr = le.Uint16(p[18:]), le.Uint32(p[20:])
		n += 24 // the directory index that follows is not needed to list
	case File, LFile:
		var hdr int
		if in.Type == File {
			if err := need(16); err != nil {
				return nil, 0, err
			}
			in.BlocksStart, in.Fragment, in.FragOffset, in.Size = uint64(le.Uint32(p)), le.Uint32(p[4:]), le.Uint32(p[8:]), uint64(le.Uint32(p[12:]))
			hdr = 16
		} else {
			if err := need(40); err != nil {
				return nil, 0, err
			}
			in.BlocksStart, in.Size, in.Sparse = le.Uint64(p), le.Uint64(p[8:]), le.Uint64(p[16:])
			in.Nlink, in.Fragment, in.FragOffset, in.Xattr = le.Uint32(p[24:]), le.Uint32(p[28:]), le.Uint32(p[32:]), le.Uint32(p[36:])
			hdr = 40
		}
		if in.Size > 1<<62 {
			return nil, 0, corrupt("file of %d bytes", in.Size)
		}
		count := in.Size / uint64(blockSize)
		if in.Fragment == NoFragment && in.Size%uint64(blockSize) != 0 {
			count++
		}
		if uint64(len(p)-hdr)/4 < count {
			return nil, 0, corrupt("file of %d bytes: %d block sizes, %d bytes left", in.Size, count, len(p)-hdr)
		}
		in.BlockSizes = make([]uint32, count)
		for i := range in.BlockSizes {
			in.BlockSizes[i] = le.Uint32(p[hdr+4*i:])
		}
		n += hdr + 4*int(count)
	case Symlink, LSymlink:
		if err := need(8); err != nil {
			return nil, 0, err
		}
		in.Nlink = le.Uint32(p)
		size := le.Uint32(p[4:])
		if size > 4096 {
			return nil, 0, corrupt("symbolic link target of %d bytes", size)
		}
		if err := need(8 + int(size)); err != nil {
			return nil, 0, err
		}
		in.Target = append([]byte(nil), p[8:8+size]...)
		n += 8 + int(size)
		if in.Type == LSymlink {
			if err := need(12 + int(size)); err != nil {
				return nil, 0, err
			}
			in.Xattr = le.Uint32(p[8+size:])
			n += 4
		}
	case BlockDev, CharDev, LBlockDev, LCharDev:
		if err := need(8); err != nil {
			return nil, 0, err
		}
		in.Nlink, in.Rdev = le.Uint32(p), le.Uint32(p[4:])
		n += 8
		if in.Type >= LDir {
			if err := need(12); err != nil {
				return nil, 0, err
			}
			in.Xattr = le.Uint32(p[8:])
			n += 4
		}
	case Fifo, Socket, LFifo, LSocket:
		if err := need(4); err != nil {
			return nil, 0, err
		}
		in.Nlink = le.Uint32(p)
		n += 4
		if in.Type >= LDir {
			if err := need(8); err != nil {
				return nil, 0, err
			}
			in.Xattr = le.Uint32(p[4:])
			n += 4
		}
	default:
		return nil, 0, corrupt("inode type %d", in.Type)
	}
	return in, n, nil
}

// MaxInodeSize is the most a file inode can take for a file of size
// bytes: its fixed part and one size word per block.
func MaxInodeSize(size uint64, blockSize uint32) uint64 {
	return HeaderSize + 40 + 4*(size/uint64(blockSize)+1)
}

// DirEntry is one entry of a directory listing.
type DirEntry struct {
	Name []byte
	// Block and Offset are the entry's inode reference.
	Block  uint32
	Offset uint16
	Number uint32
	Type   uint16
}

// ParseDir parses a directory listing (headers and entries) of exactly
// len(b) bytes.
func ParseDir(b []byte) ([]DirEntry, error) {
	le := binary.LittleEndian
	var out []DirEntry
	for len(b) > 0 {
		if len(b) < 12 {
			return nil, corrupt("directory header of %d bytes", len(b))
		}
		count, start, base := le.Uint32(b)+1, le.Uint32(b[4:]), le.Uint32(b[8:])
		b = b[12:]
		if count > 256 {
			return nil, corrupt("directory header of %d entries", count)
		}
		for i := uint32(0); i < count; i++ {
			if len(b) < 8 {
				return nil, corrupt("directory entry of %d bytes", len(b))
			}
			off, delta, typ, nl := le.Uint16(b), int16(le.Uint16(b[2:])), le.Uint16(b[4:]), int(le.Uint16(b[6:]))+1
			if 8+nl > len(b) {
				return nil, corrupt("directory entry name of %d bytes, %d left", nl, len(b)-8)
			}
			out = append(out, DirEntry{Name: b[8 : 8+nl], Block: start, Offset: off, Number: uint32(int64(base) + int64(delta)), Type: typ})
			b = b[8+nl:]
		}
	}
	return out, nil
}

// Fragment is a fragment table entry: where a block of tails is.
type Fragment struct {
	Start uint64
	Size  uint32
}

// ParseFragment parses a 16-byte fragment table entry.
func ParseFragment(b []byte) Fragment {
	return Fragment{Start: binary.LittleEndian.Uint64(b), Size: binary.LittleEndian.Uint32(b[8:])}
}

// XattrID is an xattr id table entry: where an inode's attributes are.
type XattrID struct {
	Ref   uint64
	Count uint32
	Size  uint32
}

// ParseXattrID parses a 16-byte xattr id table entry.
func ParseXattrID(b []byte) XattrID {
	return XattrID{Ref: binary.LittleEndian.Uint64(b), Count: binary.LittleEndian.Uint32(b[8:]), Size: binary.LittleEndian.Uint32(b[12:])}
}

// XattrPrefix is the name prefix of an xattr type (the low byte of the
// key's type); ok is false for an unknown one.
func XattrPrefix(t uint16) (string, bool) {
	switch t & 0xFF {
	case 0:
		return "user.", true
	case 1:
		return "trusted.", true
	case 2:
		return "security.", true
	}
	return "", false
}

// XattrOutOfLine is the key type flag of a value stored elsewhere (its
// value is then an 8-byte reference).
const XattrOutOfLine = 0x100

// NewDecodeDev splits Linux's new device encoding into major and minor.
func NewDecodeDev(d uint32) (major, minor uint32) {
	return (d & 0xFFF00) >> 8, (d & 0xFF) | ((d >> 12) & 0xFFF00)
}
