// Package layout holds the on-disk structures of the FAT filesystem
// (FAT12, FAT16, FAT32 with VFAT long names): the boot sector and its BIOS
// parameter block, the FAT32 FSInfo sector, 32-byte directory entries,
// long-name entries with their checksum, DOS dates, and the rules for
// short (8.3) names as Linux's vfat driver applies them.
package layout

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// FAT types.
const (
	FAT12 = 12
	FAT16 = 16
	FAT32 = 32
)

// Cluster-count limits (Microsoft's rule, as Linux and mkfs.fat apply it).
const (
	MaxClust12 = 4084
	MaxClust16 = 65524
	MaxClust32 = 0x0FFFFFF5
)

// Attribute bits of a directory entry.
const (
	AttrReadOnly  = 0x01
	AttrHidden    = 0x02
	AttrSystem    = 0x04
	AttrVolume    = 0x08
	AttrDir       = 0x10
	AttrArchive   = 0x20
	AttrLFN       = 0x0F
	AttrValidMask = 0x3F
)

// NT-byte case flags of a short entry.
const (
	CaseLowerBase = 0x08
	CaseLowerExt  = 0x10
)

// Special first bytes of a directory entry's name.
const (
	EntryEnd     = 0x00
	EntryDeleted = 0xE5
	EntryKanji   = 0x05 // a name really starting with 0xE5
)

// DirEntrySize is the size of one directory entry.
const DirEntrySize = 32

// ErrNotFAT is returned for a boot sector that is not a FAT filesystem's.
var ErrNotFAT = errors.New("not a FAT filesystem")

// BootSector is the decoded boot sector.
type BootSector struct {
	Jump           [3]byte
	OEM            [8]byte
	BytesPerSector uint16
	SecPerClus     uint8
	Reserved       uint16
	NumFATs        uint8
	RootEntries    uint16
	TotSec16       uint16
	Media          uint8
	FATSz16        uint16
	SecPerTrk      uint16
	Heads          uint16
	Hidden         uint32
	TotSec32       uint32
	// FAT32 only.
	FATSz32    uint32
	ExtFlags   uint16
	FSVer      uint16
	RootClus   uint32
	FSInfo     uint16
	BkBootSec  uint16
	DriveNum   uint8
	BootFlags  uint8
	BootSig    uint8
	VolID      uint32
	VolLab     [11]byte
	FSType     [8]byte
	IsFAT32BPB bool // FATSz16 == 0: the FAT32 extended layout
}

// Geometry is what a valid boot sector implies.
type Geometry struct {
	FATType       int
	SectorSize    int64
	ClusterSize   int64
	TotalSectors  int64
	FATStart      int64 // byte offset of the first FAT
	FATSize       int64 // bytes of one FAT
	NumFATs       int
	RootStart     int64 // byte offset of the fixed root (FAT12/16)
	RootEntries   int
	DataStart     int64 // byte offset of cluster 2
	ClusterCount  uint32
	RootCluster   uint32 // FAT32
	FSInfoSector  int64  // FAT32, 0 when none
	BackupBootSec int64  // FAT32, 0 when none
}

// ParseBoot decodes a boot sector (at least 512 bytes).
func ParseBoot(b []byte) (*BootSector, error) {
	if len(b) < 512 {
		return nil, ErrNotFAT
	}
	le := binary.LittleEndian
	bs := &BootSector{}
	copy(bs.Jump[:], b[0:3])
	copy(bs.OEM[:], b[3:11])
	bs.BytesPerSector = le.Uint16(b[11:])
	bs.SecPerClus = b[13]
	bs.Reserved = le.Uint16(b[14:])
	bs.NumFATs = b[16]
	bs.RootEntries = le.Uint16(b[17:])
	bs.TotSec16 = le.Uint16(b[19:])
	bs.Media = b[21]
	bs.FATSz16 = le.Uint16(b[22:])
	bs.SecPerTrk = le.Uint16(b[24:])
	bs.Heads = le.Uint16(b[26:])
	bs.Hidden = le.Uint32(b[28:])
	bs.TotSec32 = le.Uint32(b[32:])
	ext := b[36:]
	if bs.FATSz16 == 0 {
		bs.IsFAT32BPB = true
		bs.FATSz32 = le.Uint32(b[36:])
		bs.ExtFlags = le.Uint16(b[40:])
		bs.FSVer = le.Uint16(b[42:])
		bs.RootClus = le.Uint32(b[44:])
		bs.FSInfo = le.Uint16(b[48:])
		bs.BkBootSec = le.Uint16(b[50:])
		ext = b[64:]
	}
	bs.DriveNum = ext[0]
	bs.BootFlags = ext[1]
	bs.BootSig = ext[2]
	if bs.BootSig == 0x29 {
		bs.VolID = le.Uint32(ext[3:])
		copy(bs.VolLab[:], ext[7:18])
		copy(bs.FSType[:], ext[18:26])
	}
	return bs, nil
}

// ExtOffset is the byte offset of the extended boot record (drive number,
// serial, label) in the boot sector.
func (bs *BootSector) ExtOffset() int {
	if bs.IsFAT32BPB {
		return 64
	}
	return 36
}

// Encode writes the BPB fields of bs into b (a whole boot sector), keeping
// b's boot code.
func (bs *BootSector) Encode(b []byte) {
	le := binary.LittleEndian
	copy(b[0:3], bs.Jump[:])
	copy(b[3:11], bs.OEM[:])
	le.PutUint16(b[11:], bs.BytesPerSector)
	b[13] = bs.SecPerClus
	le.PutUint16(b[14:], bs.Reserved)
	b[16] = bs.NumFATs
	le.PutUint16(b[17:], bs.RootEntries)
	le.PutUint16(b[19:], bs.TotSec16)
	b[21] = bs.Media
	le.PutUint16(b[22:], bs.FATSz16)
	le.PutUint16(b[24:], bs.SecPerTrk)
	le.PutUint16(b[26:], bs.Heads)
	le.PutUint32(b[28:], bs.Hidden)
	le.PutUint32(b[32:], bs.TotSec32)
	if bs.IsFAT32BPB {
		le.PutUint32(b[36:], bs.FATSz32)
		le.PutUint16(b[40:], bs.ExtFlags)
		le.PutUint16(b[42:], bs.FSVer)
		le.PutUint32(b[44:], bs.RootClus)
		le.PutUint16(b[48:], bs.FSInfo)
		le.PutUint16(b[50:], bs.BkBootSec)
	}
	ext := b[bs.ExtOffset():]
	ext[0] = bs.DriveNum
	ext[1] = bs.BootFlags
	ext[2] = bs.BootSig
	if bs.BootSig == 0x29 {
		le.PutUint32(ext[3:], bs.VolID)
		copy(ext[7:18], bs.VolLab[:])
		copy(ext[18:26], bs.FSType[:])
	}
	b[510], b[511] = 0x55, 0xAA
}

func isPow2(v uint64) bool { return v != 0 && v&(v-1) == 0 }

// Geometry checks the BPB and returns the layout it implies, or an error
// wrapping ErrNotFAT with the inconsistency found.
func (bs *BootSector) Geometry() (*Geometry, error) {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrNotFAT, fmt.Sprintf(f, a...))
	}
	bps := uint64(bs.BytesPerSector)
	if !isPow2(bps) || bps < 512 || bps > 4096 {
		return nil, bad("bytes per sector %d", bps)
	}
	if !isPow2(uint64(bs.SecPerClus)) {
		return nil, bad("sectors per cluster %d", bs.SecPerClus)
	}
	if bs.Reserved == 0 {
		return nil, bad("no reserved sectors")
	}
	if bs.NumFATs == 0 || bs.NumFATs > 4 {
		return nil, bad("%d FATs", bs.NumFATs)
	}
	if bs.Media != 0xF0 && bs.Media < 0xF8 {
		return nil, bad("media byte %#x", bs.Media)
	}
	total := uint64(bs.TotSec16)
	if total == 0 {
		total = uint64(bs.TotSec32)
	}
	if total == 0 {
		return nil, bad("no sectors")
	}
	fatsz := uint64(bs.FATSz16)
	if fatsz == 0 {
		fatsz = uint64(bs.FATSz32)
	}
	if fatsz == 0 {
		return nil, bad("empty FAT")
	}
	rootSecs := (uint64(bs.RootEntries)*32 + bps - 1) / bps
	if bs.IsFAT32BPB && bs.RootEntries != 0 {
		return nil, bad("FAT32 with a fixed root directory")
	}
	if !bs.IsFAT32BPB && bs.RootEntries == 0 {
		return nil, bad("no root directory entries")
	}
	meta := uint64(bs.Reserved) + uint64(bs.NumFATs)*fatsz + rootSecs
	if meta >= total {
		return nil, bad("metadata of %d sectors in %d", meta, total)
	}
	count := (total - meta) / uint64(bs.SecPerClus)
	g := &Geometry{
		SectorSize:   int64(bps),
		ClusterSize:  int64(bps) * int64(bs.SecPerClus),
		TotalSectors: int64(total),
		FATStart:     int64(bs.Reserved) * int64(bps),
		FATSize:      int64(fatsz * bps),
		NumFATs:      int(bs.NumFATs),
		RootEntries:  int(bs.RootEntries),
		DataStart:    int64(meta * bps),
	}
	g.RootStart = g.FATStart + int64(g.NumFATs)*g.FATSize
	switch {
	case bs.IsFAT32BPB:
		g.FATType = FAT32
		if count > MaxClust32 {
			count = MaxClust32
		}
	case count <= MaxClust12:
		g.FATType = FAT12
	case count <= MaxClust16:
		g.FATType = FAT16
	default:
		return nil, bad("%d clusters for FAT16", count)
	}
	if count == 0 {
		return nil, bad("no clusters")
	}
	g.ClusterCount = uint32(count)
	if need := (uint64(count+2)*uint64(g.FATType) + 7) / 8; need > fatsz*bps {
		return nil, bad("FAT of %d bytes for %d clusters", fatsz*bps, count)
	}
	if g.FATType == FAT32 {
		if bs.RootClus < 2 || uint64(bs.RootClus) > count+1 {
			return nil, bad("root cluster %d", bs.RootClus)
		}
		g.RootCluster = bs.RootClus
		if bs.FSInfo != 0 && bs.FSInfo != 0xFFFF && bs.FSInfo < bs.Reserved {
			g.FSInfoSector = int64(bs.FSInfo)
		}
		if bs.BkBootSec != 0 && bs.BkBootSec != 0xFFFF && bs.BkBootSec < bs.Reserved && bs.BkBootSec != bs.FSInfo {
			g.BackupBootSec = int64(bs.BkBootSec)
		}
	}
	return g, nil
}

// ClusterOffset is the byte offset of cluster c (>= 2).
func (g *Geometry) ClusterOffset(c uint32) int64 {
	return g.DataStart + int64(c-2)*g.ClusterSize
}

// FSInfo signatures and offsets.
const (
	FSInfoLead   = 0x41615252
	FSInfoStruct = 0x61417272
	FSInfoTrail  = 0xAA550000
	FSUnknown    = 0xFFFFFFFF
)

// ParseFSInfo returns the free count and next-free hint of an FSInfo
// sector, ok false when its signatures are wrong.
func ParseFSInfo(b []byte) (free, next uint32, ok bool) {
	le := binary.LittleEndian
	if len(b) < 512 || le.Uint32(b[0:]) != FSInfoLead || le.Uint32(b[484:]) != FSInfoStruct || le.Uint32(b[508:]) != FSInfoTrail {
		return 0, 0, false
	}
	return le.Uint32(b[488:]), le.Uint32(b[492:]), true
}

// EncodeFSInfo fills b (one sector) as an FSInfo sector.
func EncodeFSInfo(b []byte, free, next uint32) {
	le := binary.LittleEndian
	le.PutUint32(b[0:], FSInfoLead)
	le.PutUint32(b[484:], FSInfoStruct)
	le.PutUint32(b[488:], free)
	le.PutUint32(b[492:], next)
	le.PutUint32(b[508:], FSInfoTrail)
}

// DirEntry is a decoded 32-byte short directory entry.
type DirEntry struct {
	Name      [11]byte
	Attr      uint8
	NTRes     uint8
	CrtTenth  uint8
	CrtTime   uint16
	CrtDate   uint16
	AccDate   uint16
	WrtTime   uint16
	WrtDate   uint16
	FirstClus uint32
	Size      uint32
}

// ParseDirEntry decodes a short entry.
func ParseDirEntry(b []byte) DirEntry {
	le := binary.LittleEndian
	var d DirEntry
	copy(d.Name[:], b[0:11])
	d.Attr = b[11]
	d.NTRes = b[12]
	d.CrtTenth = b[13]
	d.CrtTime = le.Uint16(b[14:])
	d.CrtDate = le.Uint16(b[16:])
	d.AccDate = le.Uint16(b[18:])
	d.FirstClus = uint32(le.Uint16(b[20:]))<<16 | uint32(le.Uint16(b[26:]))
	d.WrtTime = le.Uint16(b[22:])
	d.WrtDate = le.Uint16(b[24:])
	d.Size = le.Uint32(b[28:])
	return d
}

// Encode writes d into b (32 bytes).
func (d *DirEntry) Encode(b []byte) {
	le := binary.LittleEndian
	copy(b[0:11], d.Name[:])
	b[11] = d.Attr
	b[12] = d.NTRes
	b[13] = d.CrtTenth
	le.PutUint16(b[14:], d.CrtTime)
	le.PutUint16(b[16:], d.CrtDate)
	le.PutUint16(b[18:], d.AccDate)
	le.PutUint16(b[20:], uint16(d.FirstClus>>16))
	le.PutUint16(b[22:], d.WrtTime)
	le.PutUint16(b[24:], d.WrtDate)
	le.PutUint16(b[26:], uint16(d.FirstClus))
	le.PutUint32(b[28:], d.Size)
}

// ShortDisplay is the short name as a file name ("README.TXT", with the
// NT case flags applied).
func (d *DirEntry) ShortDisplay() string {
	n := d.Name
	if n[0] == EntryKanji {
		n[0] = 0xE5
	}
	base := strings.TrimRight(string(latin(n[:8])), " ")
	ext := strings.TrimRight(string(latin(n[8:11])), " ")
	if d.NTRes&CaseLowerBase != 0 {
		base = strings.ToLower(base)
	}
	if d.NTRes&CaseLowerExt != 0 {
		ext = strings.ToLower(ext)
	}
	if ext == "" {
		return base
	}
	return base + "." + ext
}

// latin maps bytes of a short name to runes (ASCII as itself, others as
// the Latin-1 rune, so that every name decodes to valid UTF-8).
func latin(b []byte) []rune {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return r
}

// Checksum is the long-name checksum of a short name.
func Checksum(name [11]byte) uint8 {
	var s uint8
	for _, c := range name {
		s = (s>>1 | s<<7) + c
	}
	return s
}

// LFN entries hold 13 UTF-16 units each.
const LFNChars = 13

var lfnOffsets = [LFNChars]int{1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30}

// EncodeLFN returns the long-name entries for name (UTF-16 units) and the
// short name's checksum, in on-disk order (last part first).
func EncodeLFN(u []uint16, sum uint8) [][DirEntrySize]byte {
	n := (len(u) + LFNChars - 1) / LFNChars
	out := make([][DirEntrySize]byte, n)
	for i := 0; i < n; i++ {
		var e [DirEntrySize]byte
		ord := uint8(i + 1)
		if i == n-1 {
			ord |= 0x40
		}
		e[0] = ord
		e[11] = AttrLFN
		e[13] = sum
		for j := 0; j < LFNChars; j++ {
			k := i*LFNChars + j
			var c uint16
			switch {
			case k < len(u):
				c = u[k]
			case k == len(u):
				c = 0
			default:
				c = 0xFFFF
			}
			binary.LittleEndian.PutUint16(e[lfnOffsets[j]:], c)
		}
		out[n-1-i] = e
	}
	return out
}

// LFNPart decodes one long-name entry: its order byte and its 13 units.
func LFNPart(b []byte) (ord uint8, sum uint8, u [LFNChars]uint16) {
	for j := 0; j < LFNChars; j++ {
		u[j] = binary.LittleEndian.Uint16(b[lfnOffsets[j]:])
	}
	return b[0], b[13], u
}

// LFNString trims a long name's units at the terminator and decodes it.
func LFNString(u []uint16) string {
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	return string(utf16.Decode(u))
}

// DOS dates: the epoch is 1980-01-01, the last representable instant
// 2107-12-31 23:59:58.
var (
	dosMin = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	dosMax = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
)

// ToDOS converts t (in UTC) to a DOS date, time and 10 ms units (0-199).
func ToDOS(t time.Time) (date, tim uint16, tenth uint8) {
	t = t.UTC()
	if t.Before(dosMin) {
		t = dosMin
	}
	if t.After(dosMax) {
		t = dosMax
	}
	date = uint16(t.Year()-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day())
	tim = uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2)
	tenth = uint8((t.Second()%2)*100 + t.Nanosecond()/10000000)
	return
}

// FromDOS converts a DOS date and time (UTC) to a time; an invalid date
// gives the epoch.
func FromDOS(date, tim uint16, tenth uint8) time.Time {
	y := int(date>>9) + 1980
	m := int(date>>5) & 15
	d := int(date) & 31
	if m < 1 || m > 12 || d < 1 {
		return dosMin
	}
	h := int(tim >> 11)
	mi := int(tim>>5) & 63
	s := int(tim&31) * 2
	if tenth > 199 {
		tenth = 0
	}
	ns := int(tenth%100) * 10000000
	s += int(tenth) / 100
	return time.Date(y, time.Month(m), d, h, mi, s, ns, time.UTC)
}
