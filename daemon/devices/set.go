package devices

import (
	"errors"
	"os"
	"strconv"
	"sync"
	"syscall"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/parttable"
)

// Set is the daemon's drives, in the order they were added, and the
// read-only flags of blockdev_setro. Safe for concurrent use.
type Set struct {
	mu     sync.Mutex
	drives []*blockdev.Drive
	ro     map[string]bool // canonical names set read-only
}

// NewSet returns a Set without drives.
func NewSet() *Set { return &Set{ro: map[string]bool{}} }

// Add adds drive index (the next one, counting from 0) backed by file;
// overlay is the copy-on-write file of a read-only drive, else nil. The
// Set owns both files from then on, also when Add fails.
func (s *Set) Add(index int, file, overlay *os.File) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	closeAll := func() {
		file.Close()
		if overlay != nil {
			overlay.Close()
		}
	}
	switch {
	case index != len(s.drives):
		closeAll()
		return errno.New(syscall.EINVAL, "drive %d added out of order (have %d)", index, len(s.drives))
	case index > MaxIndex:
		closeAll()
		return errno.New(syscall.ENOSPC, "drive %d: too many drives (device names end at %s)", index, DiskName(MaxIndex))
	}
	d, err := blockdev.Open(DiskName(index), file, overlay)
	if err != nil {
		closeAll()
		return err
	}
	s.drives = append(s.drives, d)
	return nil
}

// Drives returns the drives in order.
func (s *Set) Drives() []*blockdev.Drive {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*blockdev.Drive(nil), s.drives...)
}

// Flush writes every drive to stable storage.
func (s *Set) Flush() error {
	var errs []error
	for _, d := range s.Drives() {
		if err := d.Flush(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Resolve returns the device named name: a whole disk, or a partition that
// exists in its disk's partition table. Aliases resolve to the canonical
// name. Errors: EINVAL for a name outside /dev/, ENOENT for a device or
// partition that does not exist.
func (s *Set) Resolve(name string) (*Device, error) {
	n, err := Parse(name)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	var drive *blockdev.Drive
	if n.Index < len(s.drives) {
		drive = s.drives[n.Index]
	}
	s.mu.Unlock()
	if drive == nil {
		return nil, errno.New(syscall.ENOENT, "%s: no such device", errno.Cut(name))
	}
	d := &Device{Name: n.String(), Index: n.Index, Partnum: n.Part, Drive: drive, set: s}
	if n.Part == 0 {
		d.dev = drive
		return d, nil
	}
	p, err := partition(drive, n.Part)
	if err != nil {
		return nil, errno.Wrap(errno.Cut(name), err)
	}
	d.dev = p
	return d, nil
}

// partition returns partition partnum of drive as a byte range of it,
// clipped to the drive. ENOENT when the table has no such partition or
// cannot be read.
func partition(drive *blockdev.Drive, partnum int) (*blockdev.Part, error) {
	parts, err := parttable.New(drive.Name, drive).PartList()
	if err != nil {
		return nil, errno.New(syscall.ENOENT, "no such partition (the partition table of %s cannot be read)", drive.Name)
	}
	for _, p := range parts {
		if int(p.PartNum) == partnum {
			start := int64(p.PartStart)
			length := min(int64(p.PartSize), max(0, drive.Size()-start))
			return &blockdev.Part{Name: drive.Name + strconv.Itoa(partnum), Drive: drive, Start: start, Length: length}, nil
		}
	}
	return nil, errno.New(syscall.ENOENT, "no such partition")
}

// SetReadOnly sets or clears the read-only flag of d.
func (s *Set) SetReadOnly(d *Device, ro bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ro {
		s.ro[d.Name] = true
	} else {
		delete(s.ro, d.Name)
	}
}

// ReadOnly reports whether d was set read-only (a partition also when its
// disk was).
func (s *Set) ReadOnly(d *Device) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ro[d.Name] || s.ro[d.Drive.Name]
}
