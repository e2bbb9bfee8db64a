// Package disk reads the ext2/ext3/ext4 superblock in pure Go: enough to
// probe a device, tell ext2, ext3 and ext4 apart as blkid does, and decide
// what libext2fs may safely write, before any C code sees the device.
package disk

import (
	"encoding/binary"
	"fmt"
	"io"
	"syscall"
)

// Offset and Size locate the primary superblock.
const (
	Offset = 1024
	Size   = 1024
	Magic  = 0xEF53
)

// Feature bits (lib/ext2fs/ext2_fs.h).
const (
	CompatHasJournal = 0x4
	CompatExtAttr    = 0x8
	CompatOrphanFile = 0x1000

	IncompatCompression = 0x1
	IncompatFiletype    = 0x2
	IncompatRecover     = 0x4
	IncompatJournalDev  = 0x8
	IncompatMetaBG      = 0x10
	IncompatExtents     = 0x40
	Incompat64Bit       = 0x80
	IncompatMMP         = 0x100
	IncompatFlexBG      = 0x200
	IncompatEAInode     = 0x400
	IncompatDirData     = 0x1000
	IncompatCsumSeed    = 0x2000
	IncompatLargeDir    = 0x4000
	IncompatInlineData  = 0x8000
	IncompatEncrypt     = 0x10000
	IncompatCasefold    = 0x20000

	ROCompatSparseSuper   = 0x1
	ROCompatLargeFile     = 0x2
	ROCompatBtreeDir      = 0x4
	ROCompatHugeFile      = 0x8
	ROCompatGdtCsum       = 0x10
	ROCompatDirNlink      = 0x20
	ROCompatExtraIsize    = 0x40
	ROCompatSnapshot      = 0x80
	ROCompatQuota         = 0x100
	ROCompatBigalloc      = 0x200
	ROCompatMetadataCsum  = 0x400
	ROCompatReplica       = 0x800
	ROCompatReadonly      = 0x1000
	ROCompatProject       = 0x2000
	ROCompatSharedBlocks  = 0x4000
	ROCompatVerity        = 0x8000
	ROCompatOrphanPresent = 0x10000
)

// State bits of s_state.
const (
	StateValid = 0x1
	StateError = 0x2
)

// Superblock is the part of the superblock this driver looks at.
type Superblock struct {
	InodesCount, InodesPerGroup         uint32
	BlocksCount, RBlocksCount           uint64
	FirstDataBlock, BlocksPerGroup      uint32
	LogBlockSize, LogClusterSize        uint32
	State                               uint16
	RevLevel                            uint32
	InodeSize                           uint16
	Compat, Incompat, ROCompat          uint32
	UUID                                [16]byte
	VolumeName                          [16]byte
	JournalUUID                         [16]byte
	JournalInum, JournalDev, LastOrphan uint32
	ErrorCount                          uint32
	// DefaultMountOpts is s_default_mount_opts (EXT4_DEFM_*).
	DefaultMountOpts uint32
}

// BlockSize is the filesystem block size in bytes.
func (s *Superblock) BlockSize() int64 { return 1024 << s.LogBlockSize }

// Read reads and checks the superblock of dev. A device that does not hold
// a plausible ext superblock gives an error with EINVAL; a read failure
// other than a short device keeps its errno.
func Read(dev io.ReaderAt) (*Superblock, error) {
	b := make([]byte, Size)
	if n, err := dev.ReadAt(b, Offset); n < Size {
		if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("device too small for an ext superblock: %w", syscall.EINVAL)
		}
		return nil, err
	}
	return Parse(b)
}

// Parse decodes a 1024-byte superblock and checks that its fields are sane.
func Parse(b []byte) (*Superblock, error) {
	if len(b) < Size {
		return nil, fmt.Errorf("short superblock: %w", syscall.EINVAL)
	}
	le := binary.LittleEndian
	if le.Uint16(b[0x38:]) != Magic {
		return nil, fmt.Errorf("no ext superblock magic: %w", syscall.EINVAL)
	}
	s := &Superblock{
		InodesCount:      le.Uint32(b[0x00:]),
		BlocksCount:      uint64(le.Uint32(b[0x04:])),
		RBlocksCount:     uint64(le.Uint32(b[0x08:])),
		FirstDataBlock:   le.Uint32(b[0x14:]),
		LogBlockSize:     le.Uint32(b[0x18:]),
		LogClusterSize:   le.Uint32(b[0x1C:]),
		BlocksPerGroup:   le.Uint32(b[0x20:]),
		InodesPerGroup:   le.Uint32(b[0x28:]),
		State:            le.Uint16(b[0x3A:]),
		RevLevel:         le.Uint32(b[0x4C:]),
		InodeSize:        128,
		JournalInum:      le.Uint32(b[0xE0:]),
		JournalDev:       le.Uint32(b[0xE4:]),
		LastOrphan:       le.Uint32(b[0xE8:]),
		ErrorCount:       le.Uint32(b[0x194:]),
		DefaultMountOpts: le.Uint32(b[0x100:]),
	}
	if s.RevLevel >= 1 {
		s.InodeSize = le.Uint16(b[0x58:])
		s.Compat = le.Uint32(b[0x5C:])
		s.Incompat = le.Uint32(b[0x60:])
		s.ROCompat = le.Uint32(b[0x64:])
	}
	copy(s.UUID[:], b[0x68:0x78])
	copy(s.VolumeName[:], b[0x78:0x88])
	copy(s.JournalUUID[:], b[0xD0:0xE0])
	if s.Incompat&Incompat64Bit != 0 {
		s.BlocksCount |= uint64(le.Uint32(b[0x150:])) << 32
		s.RBlocksCount |= uint64(le.Uint32(b[0x154:])) << 32
	}
	switch {
	case s.LogBlockSize > 6:
		return nil, fmt.Errorf("block size 2^%d KiB is not possible: %w", s.LogBlockSize, syscall.EINVAL)
	case s.RevLevel > 1:
		return nil, fmt.Errorf("unknown revision %d: %w", s.RevLevel, syscall.EINVAL)
	case s.BlocksCount == 0 || s.BlocksPerGroup == 0 || s.InodesPerGroup == 0 || s.InodesCount == 0:
		return nil, fmt.Errorf("empty block or inode counts: %w", syscall.EINVAL)
	case s.InodeSize < 128 || s.InodeSize&(s.InodeSize-1) != 0 || int64(s.InodeSize) > s.BlockSize():
		return nil, fmt.Errorf("inode size %d is not possible: %w", s.InodeSize, syscall.EINVAL)
	case uint64(s.FirstDataBlock) >= s.BlocksCount:
		return nil, fmt.Errorf("first data block %d beyond the filesystem: %w", s.FirstDataBlock, syscall.EINVAL)
	}
	return s, nil
}

// ext2/ext3 feature sets of blkid (libblkid superblocks/ext.c): a
// filesystem using a bit outside them is ext4.
const (
	ext3ROCompatSupp = ROCompatSparseSuper | ROCompatLargeFile | ROCompatBtreeDir
	ext2IncompatSupp = IncompatFiletype | IncompatMetaBG
	ext3IncompatSupp = IncompatFiletype | IncompatRecover | IncompatMetaBG
)

// Type is "ext2", "ext3" or "ext4", decided as blkid decides it, or "jbd"
// for an external journal device.
func (s *Superblock) Type() string {
	switch {
	case s.Incompat&IncompatJournalDev != 0:
		return "jbd"
	case s.ROCompat&^ext3ROCompatSupp != 0 || s.Incompat&^ext3IncompatSupp != 0:
		return "ext4"
	case s.Compat&CompatHasJournal != 0:
		return "ext3"
	case s.Incompat&^ext2IncompatSupp != 0:
		return "ext4"
	}
	return "ext2"
}

// Bits libext2fs 1.47.0 writes correctly (with this driver's workarounds).
const (
	rwIncompat = IncompatFiletype | IncompatRecover | IncompatMetaBG | IncompatExtents |
		Incompat64Bit | IncompatFlexBG | IncompatCsumSeed | IncompatLargeDir | IncompatInlineData
	rwROCompat = ROCompatSparseSuper | ROCompatLargeFile | ROCompatBtreeDir | ROCompatHugeFile |
		ROCompatGdtCsum | ROCompatDirNlink | ROCompatExtraIsize | ROCompatMetadataCsum
)

var featureNames = map[uint32]string{
	IncompatCompression: "compression", IncompatJournalDev: "journal_dev", IncompatMMP: "mmp",
	IncompatEAInode: "ea_inode", IncompatDirData: "dirdata", IncompatEncrypt: "encrypt",
	IncompatCasefold: "casefold",
}

var roFeatureNames = map[uint32]string{
	ROCompatSnapshot: "snapshot", ROCompatQuota: "quota", ROCompatBigalloc: "bigalloc",
	ROCompatReplica: "replica", ROCompatReadonly: "read-only", ROCompatProject: "project",
	ROCompatSharedBlocks: "shared_blocks", ROCompatVerity: "verity",
	ROCompatOrphanPresent: "orphan_present",
}

// WriteBlockers lists why the filesystem may only be opened read-only:
// features libext2fs cannot write safely, an error state or an external
// journal. Empty means read-write is safe; the orphan list and the orphan
// file (orphan_present with orphan_file) are processed by a read-write
// open.
func (s *Superblock) WriteBlockers() []string {
	var r []string
	for bit := uint32(1); bit != 0; bit <<= 1 {
		if s.Incompat&bit != 0 && rwIncompat&bit == 0 {
			r = append(r, name(featureNames, bit, "incompat"))
		}
	}
	for bit := uint32(1); bit != 0; bit <<= 1 {
		if bit == ROCompatOrphanPresent && s.Compat&CompatOrphanFile != 0 {
			continue // a read-write open processes the orphan file
		}
		if s.ROCompat&bit != 0 && rwROCompat&bit == 0 {
			r = append(r, name(roFeatureNames, bit, "ro_compat"))
		}
	}
	if s.State&StateError != 0 || s.ErrorCount != 0 {
		r = append(r, "errors recorded (run e2fsck)")
	}
	if s.ExternalJournal() {
		r = append(r, "external journal")
	}
	return r
}

func name(m map[uint32]string, bit uint32, kind string) string {
	if n, ok := m[bit]; ok {
		return n
	}
	return fmt.Sprintf("unknown %s feature 0x%x", kind, bit)
}

// NeedsRecovery reports whether the journal holds transactions to replay.
func (s *Superblock) NeedsRecovery() bool { return s.Incompat&IncompatRecover != 0 }

// ExternalJournal reports whether the journal lives on another device.
func (s *Superblock) ExternalJournal() bool {
	return s.Compat&CompatHasJournal != 0 && (s.JournalInum == 0 || s.JournalDev != 0 || s.JournalUUID != [16]byte{})
}
