package fstools

import (
	"bytes"
	"math"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

const (
	// copyChunk is the unit of the copy into a memfd: a chunk that reads
	// as zero on the device is not copied (the memfd stays sparse).
	copyChunk = 64 << 10
	// compareBlock is the unit of what is written back: a block the
	// tool changed.
	compareBlock = 4 << 10
	// ioSize is the size of one read of the device or the memfd.
	ioSize = 1 << 20
)

// zeros is copyChunk zero bytes to compare with.
var zeros [copyChunk]byte

// allZero reports whether b (at most copyChunk bytes) is all zero.
func allZero(b []byte) bool { return bytes.Equal(b, zeros[:len(b)]) }

// newMem returns an empty memfd of size bytes, sealed so that it can
// neither grow nor shrink: a tool that writes past the end fails, as on
// the device itself.
func newMem(name string, size int64) (*os.File, error) {
	fd, err := unix.MemfdCreate("fstools", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, errno.New(errno.Of(err), "%s: memfd_create: %v", name, err)
	}
	f := os.NewFile(uintptr(fd), "memfd")
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, errno.New(errno.Of(err), "%s: memfd: %v", name, err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_GROW|unix.F_SEAL_SHRINK|unix.F_SEAL_SEAL); err != nil {
		f.Close()
		return nil, errno.New(errno.Of(err), "%s: memfd: sealing: %v", name, err)
	}
	return f, nil
}

// memErr wraps an error of the memfd's I/O.
func memErr(name string, err error) error {
	return errno.New(errno.Of(err), "%s: copy in memory: %v", name, err)
}

// seekData returns the first offset at or after off where mem holds data,
// or size when there is none.
func seekData(mem *os.File, off, size int64) (int64, error) {
	d, err := unix.Seek(int(mem.Fd()), off, unix.SEEK_DATA)
	if err == unix.ENXIO {
		return size, nil
	}
	return min(d, size), err
}

// copyOut makes dev hold exactly mem's contents: mem's data is written
// (4 KiB blocks of zeros in it excepted) and everything else of dev is
// zeroed with blockdev.Zero, in as few calls as the runs allow. The
// device's errors name the device already and are returned as they are.
func copyOut(name string, dev fs.Device, mem *os.File) error {
	size := dev.Size()
	buf := make([]byte, ioSize)
	zeroFrom := int64(-1) // start of the run of zeros not yet zeroed
	flushZero := func(end int64) error {
		if zeroFrom < 0 || end <= zeroFrom {
			zeroFrom = -1
			return nil
		}
		err := blockdev.Zero(dev, zeroFrom, end-zeroFrom)
		zeroFrom = -1
		return err
	}
	for pos := int64(0); pos < size; {
		data, err := seekData(mem, pos, size)
		if err != nil {
			return memErr(name, err)
		}
		if data > pos && zeroFrom < 0 {
			zeroFrom = pos
		}
		if data >= size {
			break
		}
		hole, err := unix.Seek(int(mem.Fd()), data, unix.SEEK_HOLE)
		if err != nil {
			return memErr(name, err)
		}
		hole = min(hole, size)
		for off := data; off < hole; {
			b := buf[:min(int64(len(buf)), hole-off)]
			if _, err := mem.ReadAt(b, off); err != nil {
				return memErr(name, err)
			}
			run := -1 // start in b of the run of data not yet written
			for i := 0; i < len(b); i += compareBlock {
				j := min(i+compareBlock, len(b))
				if allZero(b[i:j]) {
					if run >= 0 {
						if _, err := dev.WriteAt(b[run:i], off+int64(run)); err != nil {
							return err
						}
						run = -1
					}
					if zeroFrom < 0 {
						zeroFrom = off + int64(i)
					}
					continue
				}
				if err := flushZero(off + int64(i)); err != nil {
					return err
				}
				if run < 0 {
					run = i
				}
			}
			if run >= 0 {
				if _, err := dev.WriteAt(b[run:], off+int64(run)); err != nil {
					return err
				}
			}
			off += int64(len(b))
		}
		pos = hole
	}
	return flushZero(size)
}

// chunkSet is a bitmap of copyChunk chunks.
type chunkSet []uint64

func (s chunkSet) has(c int64) bool { return s[c/64]&(1<<(c%64)) != 0 }
func (s chunkSet) add(c int64)      { s[c/64] |= 1 << (c % 64) }

// next returns the first chunk at or after c in the set, or n.
func (s chunkSet) next(c, n int64) int64 {
	for ; c < n; c++ {
		if c%64 == 0 && s[c/64] == 0 {
			c += 63
			continue
		}
		if s.has(c) {
			return c
		}
	}
	return n
}

// memBudget returns the most a copy may hold: half the machine's RAM. A
// memfd's pages are not the daemon's resident memory, so a copy larger
// than memory would not make the OOM killer pick the daemon but anything
// else on the host; past the budget the copy fails with ENOMEM instead.
var memBudget = func() int64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return math.MaxInt64
	}
	return int64(si.Totalram) * int64(si.Unit) / 2
}

// copyIn copies dev into mem (of dev's size, all zero), leaving out the
// chunks that read as zero, and returns the set of chunks it copied. It
// fails with ENOMEM when the chunks to copy are more than memBudget.
func copyIn(name string, dev fs.Device, mem *os.File) (chunkSet, error) {
	size := dev.Size()
	n := (size + copyChunk - 1) / copyChunk
	copied := make(chunkSet, (n+63)/64)
	buf := make([]byte, ioSize)
	budget, held := memBudget(), int64(0)
	for off := int64(0); off < size; {
		b := buf[:min(int64(len(buf)), size-off)]
		if _, err := dev.ReadAt(b, off); err != nil {
			return nil, err
		}
		for i := 0; i < len(b); i += copyChunk {
			c := b[i:min(i+copyChunk, len(b))]
			if allZero(c) {
				continue
			}
			if held += int64(len(c)); held > budget {
				return nil, errno.New(syscall.ENOMEM, "%s: the device holds more data than a copy in memory may (%d MiB, half the RAM)", name, budget>>20)
			}
			if _, err := mem.WriteAt(c, off+int64(i)); err != nil {
				return nil, memErr(name, err)
			}
			copied.add((off + int64(i)) / copyChunk)
		}
		off += int64(len(b))
	}
	return copied, nil
}

// writeBack writes to dev every 4 KiB block of mem that differs from dev,
// whose chunks in copied were copied into mem by copyIn (the others read
// as zero on dev). Only copied chunks are read again from dev; the others
// are skipped where mem has no data.
func writeBack(name string, dev fs.Device, mem *os.File, copied chunkSet) error {
	size := dev.Size()
	n := (size + copyChunk - 1) / copyChunk
	mb := make([]byte, copyChunk)
	db := make([]byte, copyChunk)
	for c := int64(0); c < n; {
		off := c * copyChunk
		if !copied.has(c) {
			d, err := seekData(mem, off, size)
			if err != nil {
				return memErr(name, err)
			}
			if dc := d / copyChunk; dc > c {
				c = min(dc, copied.next(c, n))
				continue
			}
		}
		m := mb[:min(copyChunk, size-off)]
		if _, err := mem.ReadAt(m, off); err != nil {
			return memErr(name, err)
		}
		d := zeros[:len(m)]
		if copied.has(c) {
			d = db[:len(m)]
			if _, err := dev.ReadAt(d, off); err != nil {
				return err
			}
		}
		run := -1 // start in m of the run of changed blocks not yet written
		for i := 0; i < len(m); i += compareBlock {
			j := min(i+compareBlock, len(m))
			if !bytes.Equal(m[i:j], d[i:j]) {
				if run < 0 {
					run = i
				}
				continue
			}
			if run >= 0 {
				if _, err := dev.WriteAt(m[run:i], off+int64(run)); err != nil {
					return err
				}
				run = -1
			}
		}
		if run >= 0 {
			if _, err := dev.WriteAt(m[run:], off+int64(run)); err != nil {
				return err
			}
		}
		c++
	}
	return nil
}
