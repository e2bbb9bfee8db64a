package devices

import (
	"syscall"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/errno"
)

// Device is a resolved device: a whole disk or one of its partitions. It is
// a blockdev.Dev whose writes fail with EROFS while it (or its disk) is set
// read-only. Valid for the call that resolved it: a later partition table
// change may move the partition.
type Device struct {
	// Name is the canonical name, e.g. "/dev/sda1".
	Name string
	// Index is the drive's index; Partnum the partition number, 0 for a
	// whole disk.
	Index, Partnum int
	// Drive is the whole disk holding the device.
	Drive *blockdev.Drive

	dev blockdev.Dev
	set *Set
}

var (
	_ blockdev.Dev    = (*Device)(nil)
	_ blockdev.Zeroer = (*Device)(nil)
)

// IsPartition reports whether d is a partition rather than a whole disk.
func (d *Device) IsPartition() bool { return d.Partnum != 0 }

// Whole fails with EINVAL when d is a partition: for actions that need a
// whole disk (partition tables).
func (d *Device) Whole() error {
	if d.IsPartition() {
		return errno.New(syscall.EINVAL, "%s: is a partition, not a whole device", d.Name)
	}
	return nil
}

// Size returns the device's size in bytes.
func (d *Device) Size() int64 { return d.dev.Size() }

// DriveOffset returns where the device starts on its drive (Drive): 0
// for a whole disk, a partition's first byte.
func (d *Device) DriveOffset() int64 {
	if p, ok := d.dev.(*blockdev.Part); ok {
		return p.Start
	}
	return 0
}

// SectorSize returns the logical sector size.
func (d *Device) SectorSize() int64 { return d.dev.SectorSize() }

// ReadAt reads from the device.
func (d *Device) ReadAt(p []byte, off int64) (int, error) { return d.dev.ReadAt(p, off) }

// WriteAt writes to the device unless it is set read-only (EROFS).
func (d *Device) WriteAt(p []byte, off int64) (int, error) {
	if d.set.ReadOnly(d) {
		return 0, errno.New(syscall.EROFS, "%s: device is read-only (blockdev_setro)", d.Name)
	}
	return d.dev.WriteAt(p, off)
}

// Zero makes n bytes at off read as zeros (blockdev.Zero: a hole punched
// where the device can) unless the device is set read-only (EROFS).
func (d *Device) Zero(off, n int64) error {
	if d.set.ReadOnly(d) {
		return errno.New(syscall.EROFS, "%s: device is read-only (blockdev_setro)", d.Name)
	}
	return blockdev.Zero(d.dev, off, n)
}

// ReadOnly reports whether d (or its disk) is set read-only.
func (d *Device) ReadOnly() bool { return d.set.ReadOnly(d) }

// SetReadOnly sets or clears d's read-only flag.
func (d *Device) SetReadOnly(ro bool) { d.set.SetReadOnly(d, ro) }
