package ext

// #include <ext2fs/ext2fs.h>
import "C"

import (
	"errors"
	"io"
	"runtime/cgo"
	"syscall"
	"unsafe"
)

// The io_manager in goio.c calls these with the filesystem's mutex held.
// Each recovers a panic into EIO: a panic must not cross the C frames.

func devOf(h C.uintptr_t) *cachedDev { return cgo.Handle(h).Value().(*cachedDev) }

// errcodeOf turns a device error into what libext2fs expects: a system
// errno, or EXT2_ET_SHORT_READ for a short device.
func errcodeOf(err error) C.errcode_t {
	var en syscall.Errno
	switch {
	case err == nil:
		return 0
	case errors.As(err, &en) && en > 0 && en < 256:
		return C.errcode_t(en)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return C.EXT2_ET_SHORT_READ
	}
	return C.errcode_t(syscall.EIO)
}

func recoverEIO(e *C.errcode_t) {
	if recover() != nil {
		*e = C.errcode_t(syscall.EIO)
	}
}

//export goioRead
func goioRead(h C.uintptr_t, off C.int64_t, buf unsafe.Pointer, n C.size_t) (e C.errcode_t) {
	defer recoverEIO(&e)
	_, err := devOf(h).ReadAt(unsafe.Slice((*byte)(buf), int(n)), int64(off))
	return errcodeOf(err)
}

//export goioWrite
func goioWrite(h C.uintptr_t, off C.int64_t, buf unsafe.Pointer, n C.size_t) (e C.errcode_t) {
	defer recoverEIO(&e)
	_, err := devOf(h).WriteAt(unsafe.Slice((*byte)(buf), int(n)), int64(off))
	return errcodeOf(err)
}

//export goioFlush
func goioFlush(h C.uintptr_t) (e C.errcode_t) {
	defer recoverEIO(&e)
	return errcodeOf(devOf(h).Flush())
}

//export goioZero
func goioZero(h C.uintptr_t, off, n C.int64_t) (e C.errcode_t) {
	defer recoverEIO(&e)
	return errcodeOf(devOf(h).Zero(int64(off), int64(n)))
}
