package parttable

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// Disk is the block device the partition actions work on. Writes go straight
// to the WriterAt; the package keeps no cache, so a successful action only
// needs the caller's fsync to be durable.
type Disk interface {
	io.ReaderAt
	io.WriterAt
	// Size is the current size of the disk in bytes.
	Size() int64
	// SectorSize is the logical sector size in bytes (512 or 4096).
	SectorSize() int64
}

// FileDisk is a Disk backed by an *os.File with 512-byte sectors. Its size is
// read from the file on every call, so a file that grew is seen at once.
type FileDisk struct {
	F *os.File // the image file or block device, opened by the caller
}

// NewFileDisk wraps an open file as a Disk.
func NewFileDisk(f *os.File) *FileDisk { return &FileDisk{F: f} }

// ReadAt reads from the file.
func (d *FileDisk) ReadAt(p []byte, off int64) (int, error) { return d.F.ReadAt(p, off) }

// WriteAt writes to the file.
func (d *FileDisk) WriteAt(p []byte, off int64) (int, error) { return d.F.WriteAt(p, off) }

// Size returns the current size of the file (of the device, for a block
// device), or 0 if it cannot be determined.
func (d *FileDisk) Size() int64 {
	fi, err := d.F.Stat()
	if err != nil {
		return 0
	}
	if fi.Mode()&os.ModeDevice != 0 {
		// Stat says 0 for a block device; its end offset is its size. Only
		// ReadAt/WriteAt use the file, so moving the offset is harmless.
		if end, err := d.F.Seek(0, io.SeekEnd); err == nil {
			return end
		}
		return 0
	}
	return fi.Size()
}

// SectorSize returns 512.
func (d *FileDisk) SectorSize() int64 { return 512 }

// geometry is a snapshot of a disk's size taken at the start of an action.
type geometry struct {
	d       Disk
	ss      int64 // sector size in bytes
	sectors int64 // number of whole sectors
}

func newGeometry(d Disk) (geometry, error) {
	ss := d.SectorSize()
	if ss != 512 && ss != 4096 {
		return geometry{}, invalid("unsupported sector size %d", ss)
	}
	size := d.Size()
	if size < 0 {
		size = 0
	}
	return geometry{d: d, ss: ss, sectors: size / ss}, nil
}

// readSectors reads n sectors starting at lba.
func (g geometry) readSectors(lba, n int64) ([]byte, error) {
	if lba < 0 || n < 0 || lba+n > g.sectors {
		return nil, corrupt("sectors %d..%d are beyond the end of the disk (%d sectors)", lba, lba+n-1, g.sectors)
	}
	buf := make([]byte, n*g.ss)
	if _, err := g.d.ReadAt(buf, lba*g.ss); err != nil {
		return nil, ioError(err, "read of sector %d failed: %v", lba, err)
	}
	return buf, nil
}

// writeSectors writes buf (a whole number of sectors) at lba.
func (g geometry) writeSectors(lba int64, buf []byte) error {
	n := int64(len(buf)) / g.ss
	if int64(len(buf))%g.ss != 0 || lba < 0 || lba+n > g.sectors {
		return fmt.Errorf("internal error: bad write of %d bytes at sector %d", len(buf), lba)
	}
	if _, err := g.d.WriteAt(buf, lba*g.ss); err != nil {
		return ioError(err, "write of sector %d failed: %v", lba, err)
	}
	return nil
}

// ioError keeps the errno of a failed read or write (EROFS, ENOSPC, ...),
// EIO when it has none.
func ioError(err error, format string, a ...any) error {
	errno := syscall.EIO
	var e syscall.Errno
	if errors.As(err, &e) {
		errno = e
	}
	return &tableError{errno, fmt.Sprintf(format, a...)}
}
