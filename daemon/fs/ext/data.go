package ext

// #include "ops.h"
import "C"

import (
	"io"
	"syscall"

	"goguestfs/daemon/fs"
)

var _ fs.DataFile = (*file)(nil)

// NextData returns the first range [start, end) at or after off that
// holds the file's data, from its extent tree (uninitialized extents are
// holes) or, on a block-mapped inode, its block map: whole blocks, merged
// while they follow each other, clipped to the file's size; off inside a
// range gives [off, end). An inline-data file is data from 0 to its size.
// io.EOF when no data follows off before the end of the file.
func (h *file) NextData(off int64) (start, end int64, err error) {
	if err := h.lock(); err != nil {
		return 0, 0, err
	}
	defer h.f.mu.Unlock()
	if off < 0 {
		return 0, 0, pathErr(h.path, syscall.EINVAL)
	}
	var s, e C.ulonglong
	var found C.int
	if rc := C.e2_next_data(h.f.fs, h.ino, C.ulonglong(off), &s, &e, &found); rc != 0 {
		return 0, 0, libErr(h.path, rc)
	}
	if found == 0 {
		return 0, 0, io.EOF
	}
	return int64(s), int64(e), nil
}
