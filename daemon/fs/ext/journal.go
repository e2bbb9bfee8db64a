package ext

// #include "ops.h"
import "C"

import (
	"unsafe"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs/ext/jbd2"
)

// maxJournalBlocks bounds the journal map (a 4 GiB journal of 1 KiB blocks).
const maxJournalBlocks = 1 << 22

// replay replays the journal through the cache, writes it back, drops the
// cache and clears needs_recovery.
func (f *FS) replay(obj string) error {
	var fs C.ext2_filsys
	if e := C.e2_open(f.cname, 0, &fs); e != 0 {
		return libErr(obj, e)
	}
	phys, e := journalMap(fs)
	bs := int64(fs.blocksize)
	blocks := uint64(C.ext2fs_blocks_count(fs.super))
	if e2 := C.e2_close(fs); e == 0 {
		e = e2
	}
	if e != 0 {
		return libErr(obj+" journal", e)
	}
	if _, err := jbd2.Replay(f.dev, bs, phys, blocks); err != nil {
		return errno.Wrap(obj, err)
	}
	if err := f.dev.Drop(); err != nil {
		return errno.Wrap(obj, err)
	}
	if e := C.e2_clear_recover(f.cname); e != 0 {
		return libErr(obj, e)
	}
	return errno.Wrap(obj, f.dev.Drop())
}

// journalMap returns the filesystem blocks of the journal inode.
func journalMap(fs C.ext2_filsys) ([]uint64, C.errcode_t) {
	var inode C.struct_ext2_inode
	if e := C.ext2fs_read_inode(fs, fs.super.s_journal_inum, &inode); e != 0 {
		return nil, e
	}
	size := uint64(inode.i_size) | uint64(inode.i_size_high)<<32
	n := size / uint64(fs.blocksize)
	if n < 2 || n > maxJournalBlocks {
		return nil, C.EXT2_ET_JOURNAL_TOO_SMALL
	}
	phys := make([]uint64, n)
	e := C.e2_journal_map(fs, (*C.ulonglong)(unsafe.Pointer(&phys[0])), C.uint(n))
	return phys, e
}
