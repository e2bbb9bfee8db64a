// Package ext is the ext2/ext3/ext4 filesystem driver: libext2fs 1.47.0
// through cgo, over an io_manager of our own (goio.c) that reads and writes
// the fs.Device given to Open through a bounded write-back cache, never an
// image file. Journals that need recovery are replayed in Go (package
// jbd2) at every Open. docs/notes/ext-libext2fs.md is the design note.
//
// There are three drivers, Ext2, Ext3 and Ext4, one per name vfs_type
// reports: each Probe recognises only its own type (decided from the
// features, as blkid decides), and each Open mounts any of the three, as
// the kernel's ext4 driver does. Type tells the exact type of a device.
package ext

import (
	"strings"
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/ext/disk"
)

// Driver is the ext driver under one name.
type Driver struct{ name string }

// The three drivers, to register in this order.
var (
	Ext4 = &Driver{name: "ext4"}
	Ext3 = &Driver{name: "ext3"}
	Ext2 = &Driver{name: "ext2"}
)

// Name is "ext2", "ext3" or "ext4".
func (d *Driver) Name() string { return d.name }

// Probe reports whether dev holds an ext filesystem of this driver's exact
// type. Garbage is false, nil; a read error other than a short device is
// returned.
func (d *Driver) Probe(dev fs.Device) (bool, error) {
	t, err := Type(dev)
	if errno.Of(err) == syscall.EINVAL {
		return false, nil
	}
	return t == d.name, err
}

// Open mounts the ext2, ext3 or ext4 filesystem on dev.
func (d *Driver) Open(dev fs.Device, o fs.OpenOptions) (fs.FS, error) {
	f, err := Open(dev, o)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Type returns "ext2", "ext3" or "ext4" for the filesystem on dev, or an
// error with EINVAL when dev holds none (an external journal device is
// none either).
func Type(dev fs.Device) (string, error) {
	sb, err := disk.Read(dev)
	if err != nil {
		return "", errno.Wrap("device", err)
	}
	t := sb.Type()
	if t == "jbd" {
		return "", errno.New(syscall.EINVAL, "device: an external ext journal, not a filesystem")
	}
	return t, nil
}

// options is what Open understands of the mount options.
type options struct {
	readOnly   bool
	noRecovery bool
}

// ignoredOptions are mount options with nothing to do here.
var ignoredOptions = map[string]bool{
	"": true, "defaults": true, "rw": true, "async": true, "sync": true, "atime": true,
	"noatime": true, "relatime": true, "strictatime": true, "nodiratime": true,
	"diratime": true, "user_xattr": true, "acl": true, "noacl": true, "barrier": true,
	"nobarrier": true, "dev": true, "nodev": true, "exec": true, "noexec": true,
	"suid": true, "nosuid": true, "errors=remount-ro": true, "errors=continue": true,
}

func parseOptions(o fs.OpenOptions) (options, error) {
	r := options{readOnly: o.ReadOnly}
	for _, opt := range strings.Split(o.Options, ",") {
		switch {
		case opt == "ro":
			r.readOnly = true
		case opt == "norecovery" || opt == "noload":
			r.noRecovery = true
		case ignoredOptions[opt]:
		default:
			return r, errno.New(syscall.EINVAL, "mount option %q: not understood by the ext driver", errno.Cut(opt))
		}
	}
	if r.noRecovery && !r.readOnly {
		return r, errno.New(syscall.EINVAL, "mount option norecovery: needs a read-only mount")
	}
	return r, nil
}
