// Package blockdev implements the daemon's blockdev group: listing the
// drives, their sizes and read-only flags, zeroing, and raw reads and
// writes of disks and partitions.
package blockdev

import (
	"bytes"
	"errors"
	"io"
	"syscall"

	bdev "goguestfs/daemon/blockdev"
	"goguestfs/daemon/devices"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/server"
)

// MaxTransfer is the largest pread_device/pwrite_device buffer.
const MaxTransfer = 4 << 20

// Actions is the blockdev group. Its only state, the read-only flags, lives
// with the devices (every group's writes obey it).
type Actions struct {
	devs *devices.Set
}

// New returns the blockdev group over the drives of devs.
func New(devs *devices.Set) *Actions { return &Actions{devs: devs} }

var _ server.BlockdevActions = (*Actions)(nil)

// ListDevices lists the drives.
func (a *Actions) ListDevices(c *server.Call) ([]string, error) {
	out := []string{}
	for _, d := range a.devs.Drives() {
		out = append(out, d.Name)
	}
	return out, nil
}

// DeviceIndex returns the index of a whole disk.
func (a *Actions) DeviceIndex(c *server.Call, device *devices.Device) (int, error) {
	if err := device.Whole(); err != nil {
		return 0, err
	}
	return device.Index, nil
}

// BlockdevGetsize64 returns the size in bytes.
func (a *Actions) BlockdevGetsize64(c *server.Call, device *devices.Device) (int64, error) {
	return device.Size(), nil
}

// BlockdevGetss returns the sector size.
func (a *Actions) BlockdevGetss(c *server.Call, device *devices.Device) (int, error) {
	return int(device.SectorSize()), nil
}

// BlockdevGetsz returns the size in 512-byte sectors.
func (a *Actions) BlockdevGetsz(c *server.Call, device *devices.Device) (int64, error) {
	return device.Size() / 512, nil
}

// BlockdevGetbsz returns the block size.
func (a *Actions) BlockdevGetbsz(c *server.Call, device *devices.Device) (int, error) {
	return bdev.BlockSize, nil
}

// BlockdevGetro reports the read-only flag.
func (a *Actions) BlockdevGetro(c *server.Call, device *devices.Device) (bool, error) {
	return device.ReadOnly(), nil
}

// BlockdevSetro sets the read-only flag.
func (a *Actions) BlockdevSetro(c *server.Call, device *devices.Device) error {
	device.SetReadOnly(true)
	return nil
}

// BlockdevSetrw clears the read-only flag.
func (a *Actions) BlockdevSetrw(c *server.Call, device *devices.Device) error {
	device.SetReadOnly(false)
	return nil
}

// BlockdevFlushbufs flushes the drive holding device.
func (a *Actions) BlockdevFlushbufs(c *server.Call, device *devices.Device) error {
	return device.Drive.Flush()
}

// zeroRange writes zeros over [0, size) of d, skipping blocks that already
// read as zeros, with progress and cancel.
func zeroRange(c *server.Call, d *devices.Device, size int64) error {
	const chunk = 1 << 20
	buf := make([]byte, chunk)
	zeros := make([]byte, chunk)
	for off := int64(0); off < size; off += chunk {
		if err := c.Cancelled(); err != nil {
			return err
		}
		n := int(min(chunk, size-off))
		if _, err := d.ReadAt(buf[:n], off); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if !bytes.Equal(buf[:n], zeros[:n]) {
			if _, err := d.WriteAt(zeros[:n], off); err != nil {
				return err
			}
		}
		c.Progress(uint64(off+int64(n)), uint64(size))
	}
	return nil
}

// Zero zeroes the first 32 sectors.
func (a *Actions) Zero(c *server.Call, device *devices.Device) error {
	return zeroRange(c, device, min(device.Size(), 32*512))
}

// ZeroDevice zeroes the whole device.
func (a *Actions) ZeroDevice(c *server.Call, device *devices.Device) error {
	return zeroRange(c, device, device.Size())
}

// PreadDevice reads part of a device.
func (a *Actions) PreadDevice(c *server.Call, device *devices.Device, count int, offset int64) ([]byte, error) {
	if count < 0 || count > MaxTransfer {
		return nil, errno.New(syscall.EINVAL, "%s: count %d: must be from 0 to %d", device.Name, count, MaxTransfer)
	}
	if offset < 0 {
		return nil, errno.New(syscall.EINVAL, "%s: offset %d: must not be negative", device.Name, offset)
	}
	buf := make([]byte, count)
	n, err := device.ReadAt(buf, offset)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
}

// PwriteDevice writes part of a device.
func (a *Actions) PwriteDevice(c *server.Call, device *devices.Device, content []byte, offset int64) (int, error) {
	if len(content) > MaxTransfer {
		return 0, errno.New(syscall.EINVAL, "%s: %d bytes: at most %d per call", device.Name, len(content), MaxTransfer)
	}
	if offset < 0 {
		return 0, errno.New(syscall.EINVAL, "%s: offset %d: must not be negative", device.Name, offset)
	}
	n, err := device.WriteAt(content, offset)
	if err != nil && !(n > 0 && errors.Is(err, syscall.ENOSPC)) {
		return 0, err
	}
	return n, nil
}
