package ext

// #cgo pkg-config: ext2fs com_err
// #include <ext2fs/ext2fs.h>
// #include <et/com_err.h>
// #include "ops.h"
import "C"

import (
	"fmt"
	"sync"
	"syscall"

	"goguestfs/daemon/errno"
)

var initErrors sync.Once

// errnoOf maps a libext2fs error code to the errno the POSIX call would
// give (fuse2fs translate_error, with the upstream fixes; corruption is
// EIO).
func errnoOf(e C.errcode_t) syscall.Errno {
	if e > 0 && e < 256 {
		return syscall.Errno(e)
	}
	switch e {
	case C.EXT2_ET_NO_MEMORY:
		return syscall.ENOMEM
	case C.EXT2_ET_INVALID_ARGUMENT, C.EXT2_ET_LLSEEK_FAILED, C.EXT2_ET_UNSUPP_FEATURE,
		C.EXT2_ET_BAD_MAGIC, C.EXT2_ET_UNEXPECTED_BLOCK_SIZE:
		return syscall.EINVAL
	case C.EXT2_ET_NO_DIRECTORY:
		return syscall.ENOTDIR
	case C.EXT2_ET_FILE_NOT_FOUND:
		return syscall.ENOENT
	case C.EXT2_ET_DIR_NO_SPACE, C.EXT2_ET_TOOSMALL, C.EXT2_ET_BLOCK_ALLOC_FAIL,
		C.EXT2_ET_INODE_ALLOC_FAIL, C.EXT2_ET_EA_NO_SPACE:
		return syscall.ENOSPC
	case C.EXT2_ET_SYMLINK_LOOP:
		return syscall.ELOOP
	case C.EXT2_ET_FILE_TOO_BIG:
		return syscall.EFBIG
	case C.EXT2_ET_FILE_EXISTS, C.EXT2_ET_DIR_EXISTS:
		return syscall.EEXIST
	case C.EXT2_ET_TOO_MANY_REFS:
		return syscall.EMLINK
	case C.EXT2_ET_MMP_FAILED, C.EXT2_ET_MMP_FSCK_ON:
		return syscall.EBUSY
	case C.EXT2_ET_EA_KEY_NOT_FOUND:
		return syscall.ENODATA
	case C.EXT2_ET_RO_FILSYS, C.EXT2_ET_FILE_RO, C.EXT2_ET_RO_UNSUPP_FEATURE:
		return syscall.EROFS
	case C.EXT2_ET_UNIMPLEMENTED, C.EXT2_ET_OP_NOT_SUPPORTED, C.EXT2_ET_MISSING_EA_FEATURE:
		return syscall.EOPNOTSUPP
	}
	return syscall.EIO
}

// message is the text of a libext2fs error code.
func message(e C.errcode_t) string {
	if e > 0 && e < 256 {
		return syscall.Errno(e).Error()
	}
	if e >= C.EXT2_ET_BASE && e < C.EXT2_ET_BASE+256 {
		initErrors.Do(func() { C.initialize_ext2_error_table() })
		return C.GoString(C.e2_message(e))
	}
	return fmt.Sprintf("libext2fs error %d", int64(e))
}

// libErr is the error of a failed libext2fs call on obj (a path).
func libErr(obj string, e C.errcode_t) error {
	return errno.New(errnoOf(e), "%s: %s", errno.Cut(obj), message(e))
}

// pathErr is an errno about obj, with the errno's own text.
func pathErr(obj string, en syscall.Errno) error {
	return errno.New(en, "%s: %s", errno.Cut(obj), en.Error())
}
