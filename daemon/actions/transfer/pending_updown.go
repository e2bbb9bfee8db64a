package transfer

import (
	"os"
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/server"
)

// Upload is not written yet.
func (a *Actions) Upload(c *server.Call, filename *os.File, remotefilename server.DevOrPath) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}

// Download is not written yet.
func (a *Actions) Download(c *server.Call, remotefilename server.DevOrPath, filename *os.File) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}

// UploadOffset is not written yet.
func (a *Actions) UploadOffset(c *server.Call, filename *os.File, remotefilename server.DevOrPath, offset int64) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}

// DownloadOffset is not written yet.
func (a *Actions) DownloadOffset(c *server.Call, remotefilename server.DevOrPath, filename *os.File, offset int64, size int64) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}
