// Package vfat is the driver of the FAT filesystems (FAT12, FAT16, FAT32
// with VFAT long names), written for this project and judged by fsck.fat
// and mtools. It reads and writes only through the fs.Device it is given.
//
// Semantics follow Linux's vfat driver mounted with shortname=winnt,tz=UTC
// and the default umask 022: names are matched case-insensitively and
// stored with their case, trailing dots of a name are dropped, files are
// 0755 (0555 with the read-only attribute), directories 0755, owned by
// root; there are no symbolic or hard links (EPERM). The FAT is held in
// memory and written to every FAT copy, with the FSInfo sector (free
// count, next-free hint), by Sync and Close; file data and directory
// entries are written through, and directories are cached, coherently
// with every write. Cluster allocation is all or nothing, so ENOSPC
// leaves a file as it was. Hostile images give EINVAL (an inconsistent
// boot sector, or one claiming more than the device holds) or EIO (a
// cluster chain that leaves the FAT, reaches a free cluster or loops).
package vfat

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"
	"syscall"
	"time"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/vfat/layout"
)

func init() { fs.Register(Driver{}) }

// Driver is the vfat driver; it also formats (fs.Formatter).
type Driver struct{}

var (
	_ fs.Driver    = Driver{}
	_ fs.Formatter = Driver{}
	_ fs.FS        = (*FS)(nil)
	_ fs.Writer    = (*FS)(nil)
	_ fs.Labeler   = (*FS)(nil)
	_ fs.StatFSer  = (*FS)(nil)
)

// Name is "vfat".
func (Driver) Name() string { return "vfat" }

func readBoot(dev fs.Device) (*layout.BootSector, *layout.Geometry, []byte, error) {
	if dev.Size() < 512 {
		return nil, nil, nil, errno.New(syscall.EINVAL, "not a FAT filesystem: device too small")
	}
	b := make([]byte, 512)
	if _, err := dev.ReadAt(b, 0); err != nil {
		return nil, nil, nil, errno.New(syscall.EIO, "reading the boot sector: %v", err)
	}
	if b[0] != 0xEB && b[0] != 0xE9 {
		return nil, nil, nil, errno.New(syscall.EINVAL, "not a FAT filesystem")
	}
	bs, err := layout.ParseBoot(b)
	if err != nil {
		return nil, nil, nil, errno.New(syscall.EINVAL, "%v", err)
	}
	g, err := bs.Geometry()
	if err != nil {
		return nil, nil, nil, errno.New(syscall.EINVAL, "%v", err)
	}
	return bs, g, b, nil
}

// Probe reports whether dev starts with a FAT boot sector.
func (Driver) Probe(dev fs.Device) (bool, error) {
	_, _, _, err := readBoot(dev)
	if err != nil {
		if errno.Of(err) == syscall.EIO {
			return false, err
		}
		return false, nil
	}
	return true, nil
}

// FS is a mounted FAT filesystem.
type FS struct {
	dev    fs.Device
	ro     bool
	closed bool
	bs     *layout.BootSector
	g      *layout.Geometry

	fat         []byte
	dirtyFAT    map[uint32]bool
	free, next  uint32
	fsinfoDirty bool

	root  *node
	nodes map[int64]*node // open files, by the device offset of their entry
	// orphans are removed files still open: their clusters are freed
	// at their last close.
	orphans map[*node]bool

	dcache map[uint32]*dir  // directories by dirKey
	owner  map[uint32]owned // cluster -> cached directory holding it
	// maxDirs bounds dcache (maxCachedDirs; a test makes it tiny).
	maxDirs    int
	cacheBytes int64

	// now is the clock (a test may replace it).
	now func() time.Time
}

var knownOptions = map[string]bool{
	"": true, "rw": true, "ro": true, "defaults": true, "utf8": true, "utf8=1": true,
	"iocharset=utf8": true, "shortname=winnt": true, "shortname=mixed": true,
	"tz=UTC": true, "noatime": true, "relatime": true, "nodiratime": true,
}

// Open mounts the FAT filesystem on dev.
func (Driver) Open(dev fs.Device, o fs.OpenOptions) (fs.FS, error) {
	ro := o.ReadOnly
	for _, opt := range strings.Split(o.Options, ",") {
		if !knownOptions[opt] {
			return nil, errno.New(syscall.EINVAL, "vfat: unknown mount option %q", errno.Cut(opt))
		}
		if opt == "ro" {
			ro = true
		}
	}
	return open(dev, ro)
}

func open(dev fs.Device, ro bool) (*FS, error) {
	bs, g, _, err := readBoot(dev)
	if err != nil {
		return nil, err
	}
	if g.TotalSectors*g.SectorSize > dev.Size() {
		return nil, errno.New(syscall.EINVAL, "not a FAT filesystem: boot sector claims %d sectors of %d bytes, the device holds %d bytes",
			g.TotalSectors, g.SectorSize, dev.Size())
	}
	f := &FS{dev: dev, ro: ro, bs: bs, g: g, dirtyFAT: map[uint32]bool{}, nodes: map[int64]*node{}, orphans: map[*node]bool{},
		dcache: map[uint32]*dir{}, owner: map[uint32]owned{}, maxDirs: maxCachedDirs, now: time.Now}
	need := (int64(g.ClusterCount+2)*int64(g.FATType) + 7) / 8
	need = (need + g.SectorSize - 1) / g.SectorSize * g.SectorSize
	f.fat = make([]byte, need+4)
	active := int64(0)
	if g.FATType == layout.FAT32 && bs.ExtFlags&0x80 != 0 && int(bs.ExtFlags&0x0F) < g.NumFATs {
		active = int64(bs.ExtFlags & 0x0F) // mirroring off: read the active FAT
	}
	if err := f.readAt(f.fat[:need], g.FATStart+active*g.FATSize); err != nil {
		return nil, err
	}
	f.fat = f.fat[:need]
	for c := uint32(2); c <= f.maxCluster(); c++ {
		if f.fatGet(c) == 0 {
			f.free++
		}
	}
	f.next = 2
	if g.FSInfoSector != 0 {
		b := make([]byte, g.SectorSize)
		if err := f.readAt(b, g.FSInfoSector*g.SectorSize); err != nil {
			return nil, err
		}
		if _, next, ok := layout.ParseFSInfo(b); ok && f.validCluster(next) {
			f.next = next
		}
	}
	f.root = &node{pos: -1, de: layout.DirEntry{Attr: layout.AttrDir, FirstClus: g.RootCluster}, name: "/"}
	if g.FATType == layout.FAT32 {
		if _, err := f.chain(g.RootCluster); err != nil {
			return nil, errno.Wrap("root directory", err)
		}
	}
	return f, nil
}

func (f *FS) readAt(b []byte, off int64) error {
	if off < 0 || off+int64(len(b)) > f.dev.Size() {
		return errno.New(syscall.EIO, "read past the end of the device at %d", off)
	}
	if _, err := f.dev.ReadAt(b, off); err != nil {
		return errno.New(syscall.EIO, "device read at %d: %v", off, err)
	}
	return nil
}

func (f *FS) writeAt(b []byte, off int64) error {
	if err := f.writeRaw(b, off); err != nil {
		return err
	}
	f.patchCache(b, off, nil)
	return nil
}

// writeRaw writes without patching the directory cache (for a cached
// directory's own slots).
func (f *FS) writeRaw(b []byte, off int64) error {
	if f.ro {
		return errno.New(syscall.EROFS, "read-only filesystem")
	}
	if off < 0 || off+int64(len(b)) > f.g.TotalSectors*f.g.SectorSize {
		return errno.New(syscall.EIO, "write past the end of the filesystem at %d", off)
	}
	if _, err := f.dev.WriteAt(b, off); err != nil {
		return errno.New(syscall.EIO, "device write at %d: %v", off, err)
	}
	return nil
}

var zeros = make([]byte, 64<<10)

func (f *FS) zero(off, n int64) error {
	for n > 0 {
		k := int64(len(zeros))
		if k > n {
			k = n
		}
		if err := f.writeAt(zeros[:k], off); err != nil {
			return err
		}
		off += k
		n -= k
	}
	return nil
}

func (f *FS) check(write bool) error {
	if f.closed {
		return errno.New(syscall.EBADF, "filesystem closed")
	}
	if write && f.ro {
		return errno.New(syscall.EROFS, "read-only filesystem")
	}
	return nil
}

// Sync writes the FATs and the FSInfo sector.
func (f *FS) Sync() error {
	if err := f.check(false); err != nil {
		return err
	}
	if f.ro {
		return nil
	}
	return f.flushFAT()
}

// Close syncs and releases the filesystem.
func (f *FS) Close() error {
	if f.closed {
		return nil
	}
	var err error
	for n := range f.orphans {
		if e := f.freeOrphan(n); e != nil && err == nil {
			err = e
		}
	}
	if e := f.Sync(); e != nil && err == nil {
		err = e
	}
	f.closed = true
	return err
}

// StatFS reports the usage in clusters.
func (f *FS) StatFS() (fs.StatFS, error) {
	if err := f.check(false); err != nil {
		return fs.StatFS{}, err
	}
	return fs.StatFS{
		Bsize: f.g.ClusterSize, Frsize: f.g.ClusterSize,
		Blocks: uint64(f.g.ClusterCount), Bfree: uint64(f.free), Bavail: uint64(f.free),
		Fsid: uint64(f.bs.VolID), Namemax: layout.MaxNameUnits,
	}, nil
}

// Label returns the volume label: the root directory's label entry, else
// the boot sector's.
func (f *FS) Label() (string, error) {
	if err := f.check(false); err != nil {
		return "", err
	}
	d, err := f.loadDir(f.root)
	if err != nil {
		return "", err
	}
	if i := d.labelSlot(); i >= 0 {
		var n [11]byte
		copy(n[:], d.data[i*32:])
		return layout.LabelString(n), nil
	}
	if f.bs.BootSig == 0x29 {
		return layout.LabelString(f.bs.VolLab), nil
	}
	return "", nil
}

// SetLabel sets the label in the boot sector (and its backup) and in the
// root directory; "" removes it.
func (f *FS) SetLabel(label string) error {
	if err := f.check(true); err != nil {
		return err
	}
	field, err := layout.LabelField(label)
	if err != nil {
		return errno.New(syscall.EINVAL, "invalid FAT label %q", errno.Cut(label))
	}
	d, err := f.loadDir(f.root)
	if err != nil {
		return err
	}
	i := d.labelSlot()
	switch {
	case label == "" && i >= 0:
		d.data[i*32] = layout.EntryDeleted
		if err := f.writeDir(d, i, i+1); err != nil {
			return err
		}
	case label != "":
		if i < 0 {
			if i, err = f.slotsFor(d, 1); err != nil {
				return err
			}
		}
		date, tim, _ := layout.ToDOS(f.now())
		e := layout.DirEntry{Name: field, Attr: layout.AttrVolume, WrtDate: date, WrtTime: tim}
		if e.Name[0] == 0xE5 {
			e.Name[0] = layout.EntryKanji
		}
		e.Encode(d.data[i*32:])
		if err := f.writeDir(d, i, i+1); err != nil {
			return err
		}
	}
	f.bs.BootSig = 0x29
	f.bs.VolLab = field
	return f.writeBoot()
}

// UUID is the volume serial, "XXXX-XXXX".
func (f *FS) UUID() (string, error) {
	if err := f.check(false); err != nil {
		return "", err
	}
	if f.bs.BootSig != 0x29 {
		return "", nil
	}
	return fmt.Sprintf("%04X-%04X", f.bs.VolID>>16, f.bs.VolID&0xFFFF), nil
}

// SetUUID sets the volume serial from "XXXX-XXXX" or eight hex digits.
func (f *FS) SetUUID(uuid string) error {
	if err := f.check(true); err != nil {
		return err
	}
	s := strings.ReplaceAll(uuid, "-", "")
	var v uint32
	if len(s) != 8 || (strings.Contains(uuid, "-") && (len(uuid) != 9 || uuid[4] != '-')) {
		return errno.New(syscall.EINVAL, "invalid FAT volume serial %q: want XXXX-XXXX", errno.Cut(uuid))
	}
	if _, err := fmt.Sscanf(s, "%08x", &v); err != nil {
		return errno.New(syscall.EINVAL, "invalid FAT volume serial %q: want XXXX-XXXX", errno.Cut(uuid))
	}
	if f.bs.BootSig != 0x29 {
		f.bs.BootSig = 0x29
		f.bs.VolLab = layout.NoName
	}
	f.bs.VolID = v
	return f.writeBoot()
}

// writeBoot rewrites the boot sector and its FAT32 backup.
func (f *FS) writeBoot() error {
	b := make([]byte, f.g.SectorSize)
	if err := f.readAt(b, 0); err != nil {
		return err
	}
	if f.bs.BootSig == 0x29 && f.bs.FSType == [8]byte{} {
		copy(f.bs.FSType[:], fmt.Sprintf("FAT%-5d", f.g.FATType))
	}
	f.bs.Encode(b)
	if err := f.writeAt(b, 0); err != nil {
		return err
	}
	if f.g.BackupBootSec != 0 {
		return f.writeAt(b, f.g.BackupBootSec*f.g.SectorSize)
	}
	return nil
}

// Format makes a FAT filesystem on dev as mkfs.fat 4.2 would with its
// defaults for a file of that size: FAT12/16 below 512 MiB, FAT32 from
// there. o.Features may ask for "fat12", "fat16" or "fat32"; o.Blocksize
// is the cluster size in bytes.
func (Driver) Format(dev fs.Device, o fs.FormatOptions) error {
	switch o.Type {
	case "", "vfat", "fat", "msdos":
	default:
		return errno.New(syscall.EINVAL, "vfat cannot make a %q filesystem", errno.Cut(o.Type))
	}
	fatType := 0
	switch strings.ToLower(o.Features) {
	case "":
	case "fat12":
		fatType = 12
	case "fat16":
		fatType = 16
	case "fat32":
		fatType = 32
	default:
		return errno.New(syscall.EINVAL, "vfat: unknown features %q", errno.Cut(o.Features))
	}
	spc := 0
	if o.Blocksize != 0 {
		if o.Blocksize < 512 || o.Blocksize > 65536 || o.Blocksize&(o.Blocksize-1) != 0 {
			return errno.New(syscall.EINVAL, "vfat: cluster size %d is not a power of two from 512 to 65536", o.Blocksize)
		}
		spc = o.Blocksize / 512
	}
	label, err := layout.LabelField(o.Label)
	if err != nil {
		return errno.New(syscall.EINVAL, "invalid FAT label %q", errno.Cut(o.Label))
	}
	var idb [4]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return errno.New(syscall.EIO, "volume serial: %v", err)
	}
	m, err := layout.NewMkfs(dev.Size(), fatType, spc, label, binary.LittleEndian.Uint32(idb[:]))
	if err != nil {
		return errno.New(syscall.EINVAL, "device of %d bytes: %v", dev.Size(), err)
	}
	return format(dev, m, time.Now())
}

func format(dev fs.Device, m *layout.Mkfs, now time.Time) error {
	g := m.Geo
	w := func(b []byte, off int64) error {
		if _, err := dev.WriteAt(b, off); err != nil {
			return errno.New(syscall.EIO, "device write at %d: %v", off, err)
		}
		return nil
	}
	wz := func(off, n int64) error {
		for n > 0 {
			k := min(int64(len(zeros)), n)
			if err := w(zeros[:k], off); err != nil {
				return err
			}
			off += k
			n -= k
		}
		return nil
	}
	if err := wz(0, g.FATStart); err != nil {
		return err
	}
	if err := w(m.Boot, 0); err != nil {
		return err
	}
	if m.FATType == layout.FAT32 {
		info := make([]byte, 512)
		layout.EncodeFSInfo(info, m.Clusters-1, 2)
		for _, s := range []int64{1, 6, 7} {
			b := info
			if s == 6 {
				b = m.Boot
			}
			if err := w(b, s*512); err != nil {
				return err
			}
		}
	}
	first := make([]byte, 512)
	switch m.FATType {
	case layout.FAT12:
		first[0], first[1], first[2] = m.BS.Media, 0xFF, 0xFF
	case layout.FAT16:
		binary.LittleEndian.PutUint16(first[0:], 0xFF00|uint16(m.BS.Media))
		binary.LittleEndian.PutUint16(first[2:], 0xFFFF)
	case layout.FAT32:
		binary.LittleEndian.PutUint32(first[0:], 0x0FFFFF00|uint32(m.BS.Media))
		binary.LittleEndian.PutUint32(first[4:], 0x0FFFFFFF)
		binary.LittleEndian.PutUint32(first[8:], 0x0FFFFFF8)
	}
	for i := 0; i < g.NumFATs; i++ {
		off := g.FATStart + int64(i)*g.FATSize
		if err := wz(off, g.FATSize); err != nil {
			return err
		}
		if err := w(first, off); err != nil {
			return err
		}
	}
	rootOff, rootLen := g.RootStart, int64(g.RootEntries)*32
	if m.FATType == layout.FAT32 {
		rootOff, rootLen = g.ClusterOffset(2), g.ClusterSize
	}
	root := make([]byte, rootLen)
	if m.Label != layout.NoName {
		date, tim, _ := layout.ToDOS(now)
		e := layout.DirEntry{Name: m.Label, Attr: layout.AttrVolume, WrtDate: date, WrtTime: tim, CrtDate: date, CrtTime: tim, AccDate: date}
		if e.Name[0] == 0xE5 {
			e.Name[0] = layout.EntryKanji
		}
		e.Encode(root)
	}
	return w(root, rootOff)
}
