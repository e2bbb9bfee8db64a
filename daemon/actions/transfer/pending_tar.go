package transfer

import (
	"os"
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/server"
)

// TarInOpts is not written yet.
func (a *Actions) TarInOpts(c *server.Call, tarfile *os.File, directory string, opts *server.TarInOptsOpts) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}

// TarOutOpts is not written yet.
func (a *Actions) TarOutOpts(c *server.Call, directory string, tarfile *os.File, opts *server.TarOutOptsOpts) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}
