package transfer

import (
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
	"goguestfs/daemon/server"
)

// ZeroFreeSpace makes the free space of the filesystem mounted at, or
// holding, the existing directory read as zeros: the filesystem is synced,
// then its driver zeroes every free block on the device (holes where the
// drive allows), with progress and cancellation. A filesystem type that
// cannot do it gives ENOTSUP, a read-only mount EROFS.
func (a *Actions) ZeroFreeSpace(c *server.Call, directory string) error {
	fi, err := a.files.StatPath(directory, true)
	if err != nil {
		return err
	}
	loc, err := a.ns.Resolve(directory, true)
	if err != nil {
		return err
	}
	if !fi.Mode.IsDir() {
		return errno.New(syscall.ENOTDIR, "%s: not a directory", errno.Cut(directory))
	}
	m := loc.Mount
	z, ok := m.FS.(fs.FreeSpaceZeroer)
	if !ok {
		return errno.New(syscall.ENOTSUP, "%s: zeroing the free space of a %s filesystem (%s) is not supported",
			errno.Cut(directory), m.Type, m.Device)
	}
	if m.ReadOnly {
		return errno.New(syscall.EROFS, "%s: %s is mounted read-only", errno.Cut(directory), m.Device)
	}
	if err := m.FS.Sync(); err != nil {
		return err
	}
	return z.ZeroFreeSpace(c.Progress, c.Cancelled)
}
