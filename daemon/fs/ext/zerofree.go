package ext

// #include <errno.h>
// #include "ops.h"
import "C"

import (
	"fmt"
	"syscall"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

var _ fs.FreeSpaceZeroer = (*FS)(nil)

// zeroWindow is the span of the block bitmap scanned between two
// progress reports and cancellation checks.
const zeroWindow = 64 << 20

// ZeroFreeSpace makes every block that the block bitmap marks free read
// as zeros on the device (blockdev.Zero: holes where the device can punch
// them). Used blocks, the superblocks, group descriptors, bitmaps and
// inode tables (used in the bitmap too) are never touched. libext2fs's
// dirty state and the block cache are written back first and the cache
// emptied, so that no cached copy of a free block is written over the
// zeros or read back later. progress gets blocks scanned of the
// filesystem's blocks; cancelled is checked every 64 MiB scanned.
func (f *FS) ZeroFreeSpace(progress func(done, total uint64), cancelled func() error) error {
	if err := f.lock("/"); err != nil {
		return err
	}
	defer f.mu.Unlock()
	obj := fmt.Sprintf("%s filesystem", f.typ)
	if f.ro {
		return pathErr(obj, syscall.EROFS)
	}
	if e := C.e2_flush(f.fs); e != 0 {
		return libErr(obj, e)
	}
	if err := f.dev.Drop(); err != nil {
		return errno.Wrap(obj, err)
	}
	bs := uint64(f.fs.blocksize)
	total := blocksCount(f)
	first := uint64(f.fs.super.s_first_data_block)
	window := max(zeroWindow/bs, 1)
	progress(0, total)
	for w := first; w < total; w += window {
		if err := cancelled(); err != nil {
			return err
		}
		last := min(w+window, total) - 1
		for from := w; from <= last; {
			var s, e C.ulonglong
			rc := C.e2_free_run(f.fs, C.ulonglong(from), C.ulonglong(last), &s, &e)
			if rc == C.ENOENT {
				break
			}
			if rc != 0 {
				return libErr(obj, rc)
			}
			if err := blockdev.Zero(f.dev.dev, int64(uint64(s)*bs), int64(uint64(e-s)*bs)); err != nil {
				return errno.Wrap(fmt.Sprintf("%s: zeroing blocks %d-%d", obj, uint64(s), uint64(e)-1), err)
			}
			from = uint64(e)
		}
		progress(last+1, total)
	}
	return errno.Wrap(obj, f.dev.Flush())
}

// blocksCount is the filesystem's size in blocks; f.mu is held.
func blocksCount(f *FS) uint64 { return uint64(C.ext2fs_blocks_count(f.fs.super)) }
