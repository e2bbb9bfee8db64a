package fs

import (
	"syscall"

	"goguestfs/daemon/devices"
	"goguestfs/daemon/errno"
	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/server"
)

// MkfsOpts makes a filesystem: ext2/3/4 with mke2fs, vfat with the vfat
// driver's formatter.
func (a *Actions) MkfsOpts(c *server.Call, fstype string, d *devices.Device, o *server.MkfsOptsOpts) error {
	if err := a.busy(d); err != nil {
		return err
	}
	if d.ReadOnly() {
		return errno.New(syscall.EROFS, "%s: read-only device", d.Name)
	}
	switch fstype {
	case "ext2", "ext3", "ext4":
		return a.makeExt(c, fstype, d, o)
	case "vfat", "fat":
		if o.Sectorsize != nil && *o.Sectorsize != 512 {
			return errno.New(syscall.EINVAL, "%s: vfat sector size %d: only 512 is supported", d.Name, *o.Sectorsize)
		}
		if o.Inode != nil {
			return errno.New(syscall.EINVAL, "%s: vfat has no inodes (inode option)", d.Name)
		}
		drv, ok := vfs.Lookup("vfat")
		if !ok {
			return errno.New(syscall.EINVAL, "%s: no vfat driver", d.Name)
		}
		f := drv.(vfs.Formatter)
		opts := vfs.FormatOptions{Type: "vfat", Label: deref(o.Label), Features: deref(o.Features)}
		if o.Blocksize != nil {
			opts.Blocksize = *o.Blocksize
		}
		return errno.Wrap(d.Name, f.Format(d, opts))
	}
	return errno.New(syscall.EINVAL, "%s: cannot make a filesystem of type %q", d.Name, errno.Cut(fstype))
}

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
