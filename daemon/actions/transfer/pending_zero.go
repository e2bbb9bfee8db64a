package transfer

import (
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/server"
)

// ZeroFreeSpace is not written yet.
func (a *Actions) ZeroFreeSpace(c *server.Call, directory string) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}
