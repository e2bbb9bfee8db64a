package transfer

import (
	"os"
	"syscall"

	"goguestfs/daemon/devices"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/server"
)

// Fill is not written yet.
func (a *Actions) Fill(c *server.Call, c_ int, len_ int, path string) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}

// FillPattern is not written yet.
func (a *Actions) FillPattern(c *server.Call, pattern string, len_ int, path string) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}

// FillDir is not written yet.
func (a *Actions) FillDir(c *server.Call, dir string, nr int) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}

// CopyDeviceToDevice is not written yet.
func (a *Actions) CopyDeviceToDevice(c *server.Call, src *devices.Device, dest *devices.Device, opts *server.CopyDeviceToDeviceOpts) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}

// CopyDeviceToFile is not written yet.
func (a *Actions) CopyDeviceToFile(c *server.Call, src *devices.Device, dest string, opts *server.CopyDeviceToFileOpts) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}

// CopyFileToDevice is not written yet.
func (a *Actions) CopyFileToDevice(c *server.Call, src string, dest *devices.Device, opts *server.CopyFileToDeviceOpts) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}

// CopyFileToFile is not written yet.
func (a *Actions) CopyFileToFile(c *server.Call, src string, dest string, opts *server.CopyFileToFileOpts) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}

// ChecksumDevice is not written yet.
func (a *Actions) ChecksumDevice(c *server.Call, csumtype string, device *devices.Device) (string, error) {
	return "", errno.New(syscall.ENOSYS, "not written yet")
}

// ChecksumsOut is not written yet.
func (a *Actions) ChecksumsOut(c *server.Call, csumtype string, directory string, sumsfile *os.File) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}

// CompressOut is not written yet.
func (a *Actions) CompressOut(c *server.Call, ctype string, file string, zfile *os.File, opts *server.CompressOutOpts) error {
	return errno.New(syscall.ENOSYS, "not written yet")
}
