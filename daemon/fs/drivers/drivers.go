// Package drivers registers every filesystem driver of this project with
// package daemon/fs, in probing order: importing it for its side effect
// (import _ "goguestfs/daemon/fs/drivers") is how the daemon, and tests
// that run its actions, get them all.
package drivers

import (
	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/ext"
	_ "goguestfs/daemon/fs/iso9660"  // registers itself
	_ "goguestfs/daemon/fs/squashfs" // registers itself
	_ "goguestfs/daemon/fs/vfat"     // registers itself
)

func init() {
	fs.Register(ext.Ext4)
	fs.Register(ext.Ext3)
	fs.Register(ext.Ext2)
}
