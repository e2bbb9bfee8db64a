// Package blockdev is the daemon's view of the drives: a Drive is an image
// file of fixed size, optionally read-only with a copy-on-write overlay
// file; a Part is a byte range of a Drive (a partition). Both satisfy
// parttable.Disk, and both are Zeroers: they make a range read as zeros
// by punching a hole rather than by writing.
package blockdev

import (
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// BlockSize is the copy-on-write granularity of an overlay.
const BlockSize = 4096

// SectorSize is the logical sector size of every drive.
const SectorSize = 512

// Dev is a device: a whole drive or a partition.
type Dev interface {
	io.ReaderAt
	io.WriterAt
	// Size is the size in bytes.
	Size() int64
	// SectorSize is the logical sector size (512).
	SectorSize() int64
}

// Drive is one drive. Reads and writes are limited to its size, which is
// fixed when it is opened. Safe for concurrent use.
type Drive struct {
	// Name is the device name, e.g. "/dev/sda".
	Name string

	file    *os.File
	overlay *os.File // nil for a writable drive
	size    int64

	mu  sync.RWMutex
	cow cowSet // overlay blocks written
}

// Open makes a Drive of file. A non-nil overlay makes the drive's writes go
// to the overlay file (copy on write, in BlockSize blocks), leaving file
// untouched. The Drive owns both files.
func Open(name string, file, overlay *os.File) (*Drive, error) {
	size, err := file.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot find the size of the drive: %w", name, err)
	}
	d := &Drive{Name: name, file: file, overlay: overlay, size: size}
	if overlay != nil {
		d.cow = cowSet{}
		if err := overlay.Truncate(size); err != nil {
			return nil, fmt.Errorf("%s: cannot size the overlay: %w", name, err)
		}
	}
	return d, nil
}

// Size returns the drive's size in bytes.
func (d *Drive) Size() int64 { return d.size }

// SectorSize returns 512.
func (d *Drive) SectorSize() int64 { return SectorSize }

// ReadOnlyFile reports whether the drive's file was opened read-only (its
// writes go to an overlay).
func (d *Drive) ReadOnlyFile() bool { return d.overlay != nil }

// clip limits a transfer of n bytes at off to the drive.
func (d *Drive) clip(n int, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%s: negative offset %d: %w", d.Name, off, syscall.EINVAL)
	}
	if off >= d.size {
		return 0, nil
	}
	return int(min(int64(n), d.size-off)), nil
}

// ReadAt reads from the drive; it returns io.EOF when p reaches past the
// end.
func (d *Drive) ReadAt(p []byte, off int64) (int, error) {
	n, err := d.clip(len(p), off)
	if err != nil {
		return 0, err
	}
	if d.overlay == nil {
		if err := readFull(d.file, p[:n], off); err != nil {
			return 0, fmt.Errorf("%s: read at %d: %w", d.Name, off, err)
		}
	} else if err := d.readCOW(p[:n], off); err != nil {
		return 0, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// readFull reads exactly len(p) bytes at off; a short file reads as zeros
// past its end (it cannot shrink under us, but be safe).
func readFull(f *os.File, p []byte, off int64) error {
	n, err := f.ReadAt(p, off)
	if err == io.EOF {
		clear(p[n:])
		return nil
	}
	return err
}

// readCOW reads through the overlay: blocks written since launch come from
// the overlay, the rest from the file.
func (d *Drive) readCOW(p []byte, off int64) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for len(p) > 0 {
		blk := off / BlockSize
		inOverlay := d.cow.has(blk)
		// Extend the run over following blocks from the same source.
		end := (blk + 1) * BlockSize
		for end < off+int64(len(p)) {
			if d.cow.has(end/BlockSize) != inOverlay {
				break
			}
			end += BlockSize
		}
		n := int(min(end-off, int64(len(p))))
		src := d.file
		if inOverlay {
			src = d.overlay
		}
		if err := readFull(src, p[:n], off); err != nil {
			return fmt.Errorf("%s: read at %d: %w", d.Name, off, err)
		}
		p, off = p[n:], off+int64(n)
	}
	return nil
}

// WriteAt writes to the drive. A write past the end writes what fits and
// fails with ENOSPC.
func (d *Drive) WriteAt(p []byte, off int64) (int, error) {
	n, err := d.clip(len(p), off)
	if err != nil {
		return 0, err
	}
	if d.overlay == nil {
		if _, err := d.file.WriteAt(p[:n], off); err != nil {
			return 0, fmt.Errorf("%s: write at %d: %w", d.Name, off, err)
		}
	} else if err := d.writeCOW(p[:n], off); err != nil {
		return 0, err
	}
	if n < len(p) {
		return n, fmt.Errorf("%s: write of %d bytes at %d goes past the end of the device (%d bytes): %w", d.Name, len(p), off, d.size, syscall.ENOSPC)
	}
	return n, nil
}

// writeCOW writes into the overlay, first copying the rest of every block
// that is partly written and not yet in the overlay.
func (d *Drive) writeCOW(p []byte, off int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	end := off + int64(len(p))
	var buf []byte
	for blk := off / BlockSize; blk*BlockSize < end; blk++ {
		if d.cow.has(blk) {
			continue
		}
		bs, be := blk*BlockSize, min((blk+1)*BlockSize, d.size)
		if bs >= off && be <= end {
			continue // fully overwritten below
		}
		if buf == nil {
			buf = make([]byte, BlockSize)
		}
		b := buf[:be-bs]
		if err := readFull(d.file, b, bs); err != nil {
			return fmt.Errorf("%s: read at %d: %w", d.Name, bs, err)
		}
		if _, err := d.overlay.WriteAt(b, bs); err != nil {
			return fmt.Errorf("%s: overlay write at %d: %w", d.Name, bs, err)
		}
	}
	if _, err := d.overlay.WriteAt(p, off); err != nil {
		return fmt.Errorf("%s: overlay write at %d: %w", d.Name, off, err)
	}
	d.cow.add(off/BlockSize, (end+BlockSize-1)/BlockSize)
	return nil
}

// Flush writes the drive to stable storage. A read-only drive's overlay is
// discarded at close, so there is nothing to flush.
func (d *Drive) Flush() error {
	if d.overlay != nil {
		return nil
	}
	if err := unix.Fdatasync(int(d.file.Fd())); err != nil && err != unix.EINVAL {
		return fmt.Errorf("%s: flush: %w", d.Name, err)
	}
	return nil
}

// Close closes the drive's files.
func (d *Drive) Close() error {
	if d.overlay != nil {
		d.overlay.Close()
	}
	return d.file.Close()
}

// Part is a byte range of a drive: a partition.
type Part struct {
	// Name is the partition's device name, e.g. "/dev/sda1".
	Name  string
	Drive *Drive
	// Start and Length are the partition's first byte and size.
	Start, Length int64
}

// Size returns the partition's size in bytes.
func (p *Part) Size() int64 { return p.Length }

// SectorSize returns 512.
func (p *Part) SectorSize() int64 { return SectorSize }

// ReadAt reads from the partition.
func (p *Part) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%s: negative offset %d: %w", p.Name, off, syscall.EINVAL)
	}
	if off >= p.Length {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.Length-off))
	m, err := p.Drive.ReadAt(b[:n], p.Start+off)
	if err == nil && n < len(b) {
		err = io.EOF
	}
	return m, err
}

// WriteAt writes to the partition; a write past its end writes what fits
// and fails with ENOSPC.
func (p *Part) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%s: negative offset %d: %w", p.Name, off, syscall.EINVAL)
	}
	n := int(max(0, min(int64(len(b)), p.Length-off)))
	m, err := p.Drive.WriteAt(b[:n], p.Start+off)
	if err == nil && n < len(b) {
		err = fmt.Errorf("%s: write of %d bytes at %d goes past the end of the partition (%d bytes): %w", p.Name, len(b), off, p.Length, syscall.ENOSPC)
	}
	return m, err
}
