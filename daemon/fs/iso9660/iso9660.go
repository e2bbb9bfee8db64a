// Package iso9660 is the read-only driver of ISO 9660 filesystems (CD and
// DVD images) with the Rock Ridge and Joliet extensions, written for this
// project on its own parser (package layout) and judged by xorriso,
// genisoimage and isoinfo. It reads only through the fs.Device it is given.
//
// What it shows is what Linux's isofs shows with its default mount
// options: Rock Ridge when the root directory carries a SUSP "SP" entry
// (names, modes, owners, link counts, device numbers, symbolic links,
// times, relocated deep directories), else the Joliet tree when there is
// one (UCS-2 names, a trailing ";1" and trailing dots dropped), else the
// plain names lower-cased with a trailing ";1" or ".;1" dropped
// (map=normal). Without Rock Ridge, files and directories are 0555, owned
// by root, with one link. Associated files are hidden; multi-extent files
// (over 4 GiB) are one file. Inode numbers are the byte offset of the
// file's directory record divided by 32, as in Linux.
//
// There is no fs.Writer: every change is EROFS, whatever the mount's
// ReadOnly option, as the kernel mounts such an image read-only in effect.
// Hostile images give EIO (or EINVAL for a descriptor that is not ISO
// 9660); a panic in a parser is recovered and turned into EIO.
package iso9660

import (
	"fmt"
	"strings"
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/iso9660/layout"
)

func init() { fs.Register(Driver{}) }

// Driver is the iso9660 driver.
type Driver struct{}

var (
	_ fs.Driver     = Driver{}
	_ fs.FS         = (*FS)(nil)
	_ fs.Labeler    = (*FS)(nil)
	_ fs.StatFSer   = (*FS)(nil)
	_ fs.Readlinker = (*FS)(nil)
)

// maxDescriptors bounds the volume descriptor set that Open reads.
const maxDescriptors = 64

// Name is "iso9660".
func (Driver) Name() string { return "iso9660" }

// Probe reports whether sector 16 of dev is an ISO 9660 volume descriptor.
func (Driver) Probe(dev fs.Device) (bool, error) {
	if dev.Size() < (layout.FirstDescriptor+1)*layout.SectorSize {
		return false, nil
	}
	b := make([]byte, 7)
	if _, err := dev.ReadAt(b, layout.FirstDescriptor*layout.SectorSize); err != nil {
		return false, errno.New(syscall.EIO, "reading the first volume descriptor: %v", err)
	}
	return layout.IsDescriptor(b), nil
}

// tree is the directory hierarchy an FS shows.
type tree int

const (
	treePlain tree = iota
	treeJoliet
	treeRock
)

// FS is a mounted ISO 9660 filesystem.
type FS struct {
	dev    fs.Device
	closed bool
	pvd    *layout.Volume
	joliet *layout.Volume
	tree   tree
	// skip is the SUSP skip count of every system use area (from SP).
	skip int
	root *node
	dirs dirCache
}

// Open mounts the filesystem on dev. The options understood are those of
// Linux's isofs that change nothing here or that choose the tree:
// "norock" and "nojoliet".
func (Driver) Open(dev fs.Device, o fs.OpenOptions) (x fs.FS, err error) {
	defer recoverEIO(&err, "iso9660")
	norock, nojoliet := false, false
	for _, opt := range strings.Split(o.Options, ",") {
		switch opt {
		case "", "ro", "rw", "defaults", "noatime", "relatime", "nodiratime", "map=normal", "map=n", "utf8", "iocharset=utf8", "check=relaxed", "check=r":
		case "norock":
			norock = true
		case "nojoliet":
			nojoliet = true
		default:
			return nil, errno.New(syscall.EINVAL, "iso9660: unknown mount option %q", errno.Cut(opt))
		}
	}
	return open(dev, norock, nojoliet)
}

func open(dev fs.Device, norock, nojoliet bool) (*FS, error) {
	f := &FS{dev: dev, dirs: dirCache{m: map[int64]*dirList{}}}
	b := make([]byte, layout.SectorSize)
	for i := int64(0); ; i++ {
		if i == maxDescriptors {
			return nil, errno.New(syscall.EIO, "iso9660: no volume descriptor set terminator in %d descriptors", maxDescriptors)
		}
		off := (layout.FirstDescriptor + i) * layout.SectorSize
		if off+layout.SectorSize > dev.Size() {
			if i == 0 {
				return nil, errno.New(syscall.EINVAL, "not an ISO 9660 filesystem: device too small")
			}
			return nil, errno.New(syscall.EIO, "iso9660: the volume descriptor set runs past the end of the device")
		}
		if err := f.readAt(b, off); err != nil {
			return nil, err
		}
		if !layout.IsDescriptor(b) {
			if i == 0 {
				return nil, errno.New(syscall.EINVAL, "not an ISO 9660 filesystem")
			}
			return nil, errno.New(syscall.EIO, "iso9660: volume descriptor %d is not one", i)
		}
		if b[0] == layout.TypeTerminator {
			break
		}
		switch b[0] {
		case layout.TypePrimary:
			if f.pvd != nil {
				continue
			}
			v, err := layout.ParseVolume(b)
			if err != nil {
				return nil, errno.New(syscall.EIO, "iso9660: primary volume descriptor: %v", err)
			}
			f.pvd = v
		case layout.TypeSupplementary:
			v, err := layout.ParseVolume(b)
			if err != nil || v.Joliet == 0 || f.joliet != nil {
				continue // not Joliet, or unreadable: Linux ignores it too
			}
			f.joliet = v
		}
	}
	if f.pvd == nil {
		return nil, errno.New(syscall.EIO, "iso9660: no primary volume descriptor")
	}
	root, err := f.rootNode(f.pvd, !norock)
	if err != nil {
		return nil, err
	}
	switch {
	case f.tree == treeRock:
	case f.joliet != nil && !nojoliet:
		f.tree = treeJoliet
		if root, err = f.rootNode(f.joliet, false); err != nil {
			return nil, err
		}
	}
	f.root = root
	return f, nil
}

// recoverEIO turns a panic in a parser into EIO for obj.
func recoverEIO(err *error, obj string) {
	if r := recover(); r != nil {
		*err = errno.New(syscall.EIO, "%s: corrupt filesystem (internal error: %v)", obj, r)
	}
}

func (f *FS) readAt(b []byte, off int64) error {
	if off < 0 || off+int64(len(b)) > f.dev.Size() {
		return errno.New(syscall.EIO, "iso9660: read of %d bytes at %d past the end of the device (%d bytes)", len(b), off, f.dev.Size())
	}
	if _, err := f.dev.ReadAt(b, off); err != nil {
		return errno.New(syscall.EIO, "iso9660: device read at %d: %v", off, err)
	}
	return nil
}

func (f *FS) check() error {
	if f.closed {
		return errno.New(syscall.EBADF, "iso9660: filesystem closed")
	}
	return nil
}

// Sync does nothing: nothing is ever written.
func (f *FS) Sync() error { return f.check() }

// Close releases the filesystem.
func (f *FS) Close() error {
	f.closed = true
	f.dirs = dirCache{}
	return nil
}

// Label is the volume identifier of the primary descriptor, trailing
// spaces removed, or the Joliet one when it is the same name in another
// case (as blkid merges them).
func (f *FS) Label() (string, error) {
	if err := f.check(); err != nil {
		return "", err
	}
	l := f.pvd.VolumeID
	if f.joliet != nil && f.joliet.VolumeID != l && strings.EqualFold(f.joliet.VolumeID, l) {
		l = f.joliet.VolumeID
	}
	return l, nil
}

// UUID is blkid's: the primary descriptor's modification date, or its
// creation date when that is unset, as "YYYY-MM-DD-HH-MM-SS-cc".
func (f *FS) UUID() (string, error) {
	if err := f.check(); err != nil {
		return "", err
	}
	d := f.pvd.Modified
	if !dateSet(d) {
		d = f.pvd.Created
	}
	if !dateSet(d) {
		return "", nil
	}
	return fmt.Sprintf("%s-%s-%s-%s-%s-%s-%s", d[0:4], d[4:6], d[6:8], d[8:10], d[10:12], d[12:14], d[14:16]), nil
}

func dateSet(d [17]byte) bool {
	for _, c := range d[:16] {
		if c != '0' && c != 0 && c != ' ' {
			return true
		}
	}
	return false
}

// SetLabel is EROFS.
func (f *FS) SetLabel(string) error { return f.erofs("/") }

// SetUUID is EROFS.
func (f *FS) SetUUID(string) error { return f.erofs("/") }

func (f *FS) erofs(p string) error {
	if err := f.check(); err != nil {
		return err
	}
	return errno.New(syscall.EROFS, "%s: read-only filesystem", errno.Cut(p))
}

// StatFS reports the volume's size in 2048-byte blocks, none free.
func (f *FS) StatFS() (fs.StatFS, error) {
	if err := f.check(); err != nil {
		return fs.StatFS{}, err
	}
	return fs.StatFS{
		Bsize: layout.SectorSize, Frsize: layout.SectorSize,
		Blocks:  uint64(f.pvd.Blocks),
		Namemax: 255,
		Flag:    1, // ST_RDONLY
	}, nil
}
