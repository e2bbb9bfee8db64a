package layout

import (
	"errors"
	"strings"
	"syscall"
)

// NoName is the label field of an unlabelled volume.
var NoName = [11]byte{'N', 'O', ' ', 'N', 'A', 'M', 'E', ' ', ' ', ' ', ' '}

// LabelField checks a volume label as mkfs.fat and fatlabel do (at most
// 11 characters, none below 0x20 nor of *?.,;:/\|+=<>[]", not starting
// with a space) and returns it padded; "" gives NoName.
func LabelField(label string) ([11]byte, error) {
	var f [11]byte
	if label == "" {
		return NoName, nil
	}
	if len(label) > 11 {
		return f, syscall.EINVAL
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if c < 0x20 || c >= 0x7F || strings.IndexByte(`*?.,;:/\|+=<>[]"`, c) >= 0 {
			return f, syscall.EINVAL
		}
	}
	if label[0] == ' ' {
		return f, syscall.EINVAL
	}
	for i := range f {
		f[i] = ' '
	}
	copy(f[:], label)
	return f, nil
}

// LabelString is the label of a label field ("" for NoName).
func LabelString(f [11]byte) string {
	if f == NoName {
		return ""
	}
	if f[0] == EntryKanji {
		f[0] = 0xE5
	}
	return strings.TrimRight(string(latin(f[:])), " \x00")
}

// bootCode is mkfs.fat's boot program, which prints a message.
var bootCode = []byte("\x0e\x1f\xbe\x5b\x7c\xac\x22\xc0\x74\x0b\x56\xb4\x0e\xbb\x07\x00\xcd\x10\x5e\xeb\xf0\x32\xe4\xcd\x16\xcd\x19\xeb\xfe" +
	"This is not a bootable disk.  Please insert a bootable floppy and\r\npress any key to try again ... \r\n")

// Mkfs is a new filesystem's layout, as mkfs.fat 4.2 would choose it with
// its defaults for a file of the same size.
type Mkfs struct {
	Boot      []byte // the boot sector, one sector
	BS        *BootSector
	Geo       *Geometry
	FATType   int
	Clusters  uint32
	FATLength uint32 // sectors per FAT
	Label     [11]byte
}

// ErrTooSmall is returned for a device too small (or too large) for FAT.
var ErrTooSmall = errors.New("device size unsuitable for a FAT filesystem")

// NewMkfs computes the layout for a device of size bytes. fatType 0 lets
// the size choose (FAT32 from 512 MiB, as mkfs.fat does).
func NewMkfs(size int64, fatType, secPerClus int, label [11]byte, volID uint32) (*Mkfs, error) {
	const sectorSize = 512
	blocks := uint64(size) / 1024
	orphaned := uint64(size) % 1024 / sectorSize
	numSectors := blocks*2 + orphaned
	if numSectors > 0xFFFFFFFF {
		numSectors = 0xFFFFFFFF
		blocks = numSectors / 2
	}
	// establish_params
	var secPerTrk, heads uint64
	if numSectors <= 524288 {
		switch {
		case numSectors <= 32768:
			heads = 2
		case numSectors <= 65536:
			heads = 4
		case numSectors <= 262144:
			heads = 8
		default:
			heads = 16
		}
		secPerTrk = 32
		if numSectors <= 4096 {
			secPerTrk = 16
		}
	} else {
		switch {
		case numSectors <= 16*63*1024:
			heads = 16
		case numSectors <= 32*63*1024:
			heads = 32
		case numSectors <= 64*63*1024:
			heads = 64
		case numSectors <= 128*63*1024:
			heads = 128
		default:
			heads = 255
		}
		secPerTrk = 63
	}
	media := uint8(0xF8)
	clusterSize := uint64(4)
	rootEntries := uint64(512)
	switch uint64(size) / 1024 {
	case 360:
		secPerTrk, heads, media, clusterSize, rootEntries = 9, 2, 0xFD, 2, 112
	case 720:
		secPerTrk, heads, media, clusterSize, rootEntries = 9, 2, 0xF9, 2, 112
	case 1200:
		secPerTrk, heads, media, clusterSize, rootEntries = 15, 2, 0xF9, 1, 224
	case 1440:
		secPerTrk, heads, media, clusterSize, rootEntries = 18, 2, 0xF0, 1, 224
	case 2880:
		secPerTrk, heads, media, clusterSize, rootEntries = 36, 2, 0xF0, 2, 224
	}
	if fatType == 0 && size >= 512<<20 {
		fatType = FAT32
	}
	if fatType == FAT32 {
		s := uint64(size) / sectorSize
		switch {
		case s > 32*1024*1024*2:
			clusterSize = 64
		case s > 16*1024*1024*2:
			clusterSize = 32
		case s > 8*1024*1024*2:
			clusterSize = 16
		case s > 260*1024*2:
			clusterSize = 8
		default:
			clusterSize = 1
		}
		rootEntries = 0
	}
	// setup_tables
	maxClust := uint64(128)
	if secPerClus > 0 {
		clusterSize, maxClust = uint64(secPerClus), uint64(secPerClus)
	}
	reserved := uint64(1)
	if fatType == FAT32 {
		reserved = 32
	}
	const nrFats = 2
	align := true
	numSectors = numSectors / secPerTrk * secPerTrk
	if numSectors <= 8192 {
		align = false
	}
	alignObj := func(v, c uint64) uint64 {
		if align {
			return (v + c - 1) &^ (c - 1)
		}
		return v
	}
	cdiv := func(a, b uint64) uint64 { return (a + b - 1) / b }
	rootDirSectors := cdiv(rootEntries*32, sectorSize)
	var clust12, clust16, clust32, fl12, fl16, fl32 uint64
	for clusterSize != 0 && clusterSize <= maxClust {
		fatdata32 := int64(numSectors) - int64(alignObj(reserved, clusterSize))
		fatdata1216 := fatdata32 - int64(alignObj(rootDirSectors, clusterSize))
		if fatdata1216 < 0 {
			fatdata1216 = 0
		}
		if fatdata32 < 0 {
			fatdata32 = 0
		}
		f1216, f32 := uint64(fatdata1216), uint64(fatdata32)
		sub := func(a, b uint64) uint64 {
			if b > a {
				return 0
			}
			return a - b
		}
		clust12 = 2 * (f1216*sectorSize + nrFats*3) / (2*clusterSize*sectorSize + nrFats*3)
		fl12 = alignObj(cdiv(((clust12+2)*3+1)>>1, sectorSize), clusterSize)
		clust12 = sub(f1216, nrFats*fl12) / clusterSize
		max12 := fl12 * 2 * sectorSize / 3
		if max12 > MaxClust12 {
			max12 = MaxClust12
		}
		if clust12 > max12 {
			clust12 = 0
		}
		clust16 = (f1216*sectorSize + nrFats*4) / (clusterSize*sectorSize + nrFats*2)
		fl16 = alignObj(cdiv((clust16+2)*2, sectorSize), clusterSize)
		clust16 = sub(f1216, nrFats*fl16) / clusterSize
		max16 := fl16 * sectorSize / 2
		if max16 > MaxClust16 {
			max16 = MaxClust16
		}
		if clust16 > max16 {
			clust16 = 0
		}
		if clust16 != 0 && clust16 < MaxClust12+1 {
			clust16 = 0
		}
		clust32 = (f32*sectorSize + nrFats*8) / (clusterSize*sectorSize + nrFats*4)
		fl32 = alignObj(cdiv((clust32+2)*4, sectorSize), clusterSize)
		clust32 = sub(f32, nrFats*fl32) / clusterSize
		max32 := fl32 * sectorSize / 4
		if max32 > 268435446 {
			max32 = 268435446
		}
		if clust32 > max32 {
			clust32 = 0
		}
		if clust32 != 0 && clust32 < MaxClust16+1 && fatType != FAT32 {
			clust32 = 0
		}
		if (clust12 != 0 && (fatType == 0 || fatType == FAT12)) ||
			(clust16 != 0 && (fatType == 0 || fatType == FAT16)) ||
			(clust32 != 0 && fatType == FAT32) {
			break
		}
		clusterSize <<= 1
	}
	if clusterSize == 0 || clusterSize > maxClust {
		return nil, ErrTooSmall
	}
	if fatType == 0 {
		fatType = FAT12
		if clust16 > clust12 {
			fatType = FAT16
		}
	}
	var count, fatLength uint64
	switch fatType {
	case FAT12:
		count, fatLength = clust12, fl12
	case FAT16:
		count, fatLength = clust16, fl16
	default:
		count, fatLength = clust32, fl32
	}
	if count == 0 {
		return nil, ErrTooSmall
	}
	reserved = alignObj(reserved, clusterSize)
	if align && fatType != FAT32 {
		rootEntries = alignObj(rootDirSectors, clusterSize) * (sectorSize >> 5)
	}
	startData := reserved + nrFats*fatLength + cdiv(rootEntries*32, sectorSize)
	if blocks < (startData+1)/2+32 {
		return nil, ErrTooSmall
	}
	bs := &BootSector{
		Jump:           [3]byte{0xEB, 0x3C, 0x90},
		BytesPerSector: sectorSize,
		SecPerClus:     uint8(clusterSize),
		Reserved:       uint16(reserved),
		NumFATs:        nrFats,
		RootEntries:    uint16(rootEntries),
		Media:          media,
		SecPerTrk:      uint16(secPerTrk),
		Heads:          uint16(heads),
		BootSig:        0x29,
		VolID:          volID,
		VolLab:         label,
	}
	copy(bs.OEM[:], "mkfs.fat")
	if media == 0xF8 {
		bs.DriveNum = 0x80
	}
	if numSectors >= 65536 {
		bs.TotSec32 = uint32(numSectors)
	} else {
		bs.TotSec16 = uint16(numSectors)
	}
	boot := make([]byte, sectorSize)
	codeOff := 62
	switch fatType {
	case FAT12:
		bs.FATSz16 = uint16(fatLength)
		copy(bs.FSType[:], "FAT12   ")
	case FAT16:
		bs.FATSz16 = uint16(fatLength)
		copy(bs.FSType[:], "FAT16   ")
	case FAT32:
		bs.IsFAT32BPB = true
		bs.FATSz32 = uint32(fatLength)
		bs.RootClus = 2
		bs.FSInfo = 1
		bs.BkBootSec = 6
		copy(bs.FSType[:], "FAT32   ")
		codeOff = 90
		bs.Jump[1] = 0x58
	}
	code := make([]byte, len(bootCode))
	copy(code, bootCode)
	if fatType == FAT32 {
		off := codeOff + 29 + 0x7C00
		code[3], code[4] = byte(off), byte(off>>8)
	}
	copy(boot[codeOff:], code)
	bs.Encode(boot)
	geo, err := bs.Geometry()
	if err != nil {
		return nil, err
	}
	return &Mkfs{Boot: boot, BS: bs, Geo: geo, FATType: fatType, Clusters: uint32(count), FATLength: uint32(fatLength), Label: label}, nil
}
