package blockdev

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Zeroer is a Dev that can make a byte range read as zeros faster than by
// writing zeros (Drive, Part, and devices.Device over them).
type Zeroer interface {
	// Zero makes the n bytes at off read as zeros. A range past the end
	// zeros what fits and fails with ENOSPC.
	Zero(off, n int64) error
}

// zeroChunk is the size of the zeros written or compared at a time.
const zeroChunk = 1 << 20

// Zero makes the n bytes of dev at off read as zeros: with dev's own Zero
// when it is a Zeroer, else by reading the range and writing zeros over
// each chunk that is not zero already.
func Zero(dev Dev, off, n int64) error {
	if z, ok := dev.(Zeroer); ok {
		return z.Zero(off, n)
	}
	if off < 0 || n < 0 {
		return fmt.Errorf("zero %d bytes at %d: %w", n, off, syscall.EINVAL)
	}
	size := dev.Size()
	if off+n > size {
		if err := Zero(dev, off, max(0, size-off)); err != nil {
			return err
		}
		return fmt.Errorf("zero %d bytes at %d goes past the end of the device (%d bytes): %w", n, off, size, syscall.ENOSPC)
	}
	buf := make([]byte, min(n, zeroChunk))
	zeros := make([]byte, len(buf))
	for n > 0 {
		b := buf[:min(n, int64(len(buf)))]
		if _, err := dev.ReadAt(b, off); err != nil {
			return err
		}
		if !bytes.Equal(b, zeros[:len(b)]) {
			if _, err := dev.WriteAt(zeros[:len(b)], off); err != nil {
				return err
			}
		}
		off, n = off+int64(len(b)), n-int64(len(b))
	}
	return nil
}

// Zero makes the n bytes at off read as zeros. The BlockSize-aligned part
// of the range becomes a hole (fallocate PUNCH_HOLE|KEEP_SIZE) in the
// drive's file or, on a read-only drive, in its overlay, whose blocks are
// then marked as written, so that the file stays untouched; the unaligned
// edges (unless they read as zeros already) and the whole range where the
// file cannot punch holes are written with zeros. A range past the end zeros what fits and fails with
// ENOSPC.
func (d *Drive) Zero(off, n int64) error {
	if off < 0 || n < 0 {
		return fmt.Errorf("%s: zero %d bytes at %d: %w", d.Name, n, off, syscall.EINVAL)
	}
	end := min(off+n, d.size)
	if off < end {
		a := min((off+BlockSize-1)/BlockSize*BlockSize, end)
		b := max(end/BlockSize*BlockSize, a)
		if err := d.zeroEdge(off, a); err != nil {
			return err
		}
		if a < b {
			if err := d.punch(a, b); err != nil {
				return err
			}
		}
		if err := d.zeroEdge(b, end); err != nil {
			return err
		}
	}
	if off+n > d.size {
		return fmt.Errorf("%s: zero %d bytes at %d goes past the end of the device (%d bytes): %w", d.Name, n, off, d.size, syscall.ENOSPC)
	}
	return nil
}

// zeroEdge zeros [off, end), less than a block, unless it reads as zeros
// already: writing zeros over a hole of the file would allocate it, so
// that zeroing many small ranges (free runs of a filesystem) would grow a
// sparse image.
func (d *Drive) zeroEdge(off, end int64) error {
	if off >= end {
		return nil
	}
	buf := make([]byte, end-off)
	if _, err := d.ReadAt(buf, off); err != nil && err != io.EOF {
		return err
	}
	for _, c := range buf {
		if c != 0 {
			return d.writeZeros(off, end)
		}
	}
	return nil
}

// writeZeros writes zeros over [off, end) through WriteAt (so through the
// overlay on a read-only drive).
func (d *Drive) writeZeros(off, end int64) error {
	return writeZerosTo(end-off, off, d.WriteAt)
}

// writeZerosTo writes n zeros at off with write, in chunks.
func writeZerosTo(n, off int64, write func([]byte, int64) (int, error)) error {
	if n <= 0 {
		return nil
	}
	zeros := make([]byte, min(n, zeroChunk))
	for n > 0 {
		m := min(n, int64(len(zeros)))
		if _, err := write(zeros[:m], off); err != nil {
			return err
		}
		off, n = off+m, n-m
	}
	return nil
}

// punch makes the BlockSize-aligned range [a, b) read as zeros.
func (d *Drive) punch(a, b int64) error {
	if d.overlay == nil {
		if ok, err := punchFile(d.file, a, b); err != nil {
			return fmt.Errorf("%s: zero %d bytes at %d: %w", d.Name, b-a, a, err)
		} else if !ok {
			return d.writeZeros(a, b)
		}
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if ok, err := punchFile(d.overlay, a, b); err != nil {
		return fmt.Errorf("%s: overlay: zero %d bytes at %d: %w", d.Name, b-a, a, err)
	} else if !ok {
		// Whole blocks: no part of the file's blocks to copy first.
		if err := writeZerosTo(b-a, a, d.overlay.WriteAt); err != nil {
			return fmt.Errorf("%s: overlay write at %d: %w", d.Name, a, err)
		}
	}
	d.cow.add(a/BlockSize, b/BlockSize)
	return nil
}

// punchFile punches a hole over [a, b) of f, keeping its size. It reports
// false when f's filesystem (or device) cannot punch holes, so that the
// caller writes zeros instead.
func punchFile(f *os.File, a, b int64) (bool, error) {
	for {
		err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, a, b-a)
		switch err {
		case nil:
			return true, nil
		case unix.EINTR:
			continue
		case unix.EOPNOTSUPP, unix.ENOSYS, unix.ENODEV, unix.EINVAL:
			return false, nil
		}
		return false, err
	}
}

// Zero makes the n bytes of the partition at off read as zeros (see
// Drive.Zero); a range past its end zeros what fits and fails with ENOSPC.
func (p *Part) Zero(off, n int64) error {
	if off < 0 || n < 0 {
		return fmt.Errorf("%s: zero %d bytes at %d: %w", p.Name, n, off, syscall.EINVAL)
	}
	m := max(0, min(n, p.Length-off))
	if err := p.Drive.Zero(p.Start+off, m); err != nil {
		return err
	}
	if m < n {
		return fmt.Errorf("%s: zero %d bytes at %d goes past the end of the partition (%d bytes): %w", p.Name, n, off, p.Length, syscall.ENOSPC)
	}
	return nil
}

// cowSet is the set of an overlay's written blocks: a sparse bitmap of
// leaves of leafBlocks blocks (16 MiB of drive per 512-byte leaf), each
// allocated at its first write, so that neither a few scattered writes to
// a large drive nor zeroing all of it costs much memory.
type cowSet map[int64]*[leafBlocks / 64]uint64

const leafBlocks = 4096

// has reports whether block blk is in the set.
func (s cowSet) has(blk int64) bool {
	l := s[blk/leafBlocks]
	if l == nil {
		return false
	}
	i := blk % leafBlocks
	return l[i/64]&(1<<(i%64)) != 0
}

// add adds the blocks [b0, b1).
func (s cowSet) add(b0, b1 int64) {
	for b0 < b1 {
		k := b0 / leafBlocks
		l := s[k]
		if l == nil {
			l = new([leafBlocks / 64]uint64)
			s[k] = l
		}
		i, j := b0%leafBlocks, min(b1-k*leafBlocks, leafBlocks)
		for i < j {
			if i%64 == 0 && j-i >= 64 {
				l[i/64] = ^uint64(0)
				i += 64
				continue
			}
			l[i/64] |= 1 << (i % 64)
			i++
		}
		b0 = k*leafBlocks + j
	}
}
