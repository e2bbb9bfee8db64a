package fstools

// #cgo pkg-config: ext2fs com_err e2p
// #include <stdlib.h>
// #include "ftio.h"
import "C"

import (
	"errors"
	"fmt"
	"io"
	"runtime/cgo"
	"strings"
	"syscall"
	"unsafe"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// The com_err table is registered at init, before any goroutine can ask
// another package (daemon/fs/ext) to register it too: registering is
// idempotent but not safe concurrently.
func init() { C.ft_init() }

//export ftioRead
func ftioRead(h C.uintptr_t, off C.int64_t, buf unsafe.Pointer, n C.size_t) (e C.errcode_t) {
	defer func() {
		if recover() != nil {
			e = C.errcode_t(syscall.EIO)
		}
	}()
	dev := cgo.Handle(h).Value().(fs.Device)
	_, err := dev.ReadAt(unsafe.Slice((*byte)(buf), int(n)), int64(off))
	var en syscall.Errno
	switch {
	case err == nil:
		return 0
	case errors.Is(err, io.EOF):
		return C.EXT2_ET_SHORT_READ
	case errors.As(err, &en) && en > 0 && en < 256:
		return C.errcode_t(en)
	}
	return C.errcode_t(syscall.EIO)
}

// libError is the error of a failed libext2fs call on the device name:
// an errno for a system error, EINVAL for what is not a (supported) ext
// filesystem, EIO for the rest (a corrupt one).
func libError(name string, e C.errcode_t) error {
	if e > 0 && e < 256 {
		return errno.New(syscall.Errno(e), "%s: %s", name, syscall.Errno(e).Error())
	}
	msg := fmt.Sprintf("libext2fs error %d", int64(e))
	if e >= C.EXT2_ET_BASE && e < C.EXT2_ET_BASE+256 {
		msg = C.GoString(C.ft_message(e))
	}
	en := syscall.EIO
	switch e {
	case C.EXT2_ET_BAD_MAGIC, C.EXT2_ET_UNSUPP_FEATURE, C.EXT2_ET_RO_UNSUPP_FEATURE,
		C.EXT2_ET_REV_TOO_HIGH, C.EXT2_ET_UNEXPECTED_BLOCK_SIZE:
		en = syscall.EINVAL
	case C.EXT2_ET_NO_MEMORY:
		en = syscall.ENOMEM
	}
	return errno.New(en, "%s: %s", name, msg)
}

// extFS is a filesystem opened read-only with libext2fs over a device.
type extFS struct {
	fs     C.ext2_filsys
	handle cgo.Handle
}

// openExt opens the filesystem on dev read-only; with journalDevOK an
// external journal device opens too, as for tune2fs -l.
func openExt(name string, dev fs.Device, journalDevOK bool) (*extFS, error) {
	h := cgo.NewHandle(dev)
	cname := C.CString(fmt.Sprintf("fstools:%d", uintptr(h)))
	defer C.free(unsafe.Pointer(cname))
	ok := C.int(0)
	if journalDevOK {
		ok = 1
	}
	f := &extFS{handle: h}
	if e := C.ft_open(cname, ok, &f.fs); e != 0 {
		h.Delete()
		return nil, libError(name, e)
	}
	return f, nil
}

// close releases the filesystem; it writes nothing.
func (f *extFS) close() {
	C.ext2fs_close_free(&f.fs)
	f.handle.Delete()
}

// Tune2fsL is libguestfs's tune2fs_l: the superblock of the ext2/3/4
// filesystem on dev as tune2fs -l lists it, as key -> value ("Block
// size" -> "4096"), with "<none>", "<not available>" and "(none)" as ""
// and a line without a colon as a key with an empty value (libguestfs
// daemon/ext2.c). It does what tune2fs -l does in libext2fs and libe2p
// (ext2fs_open2 with tune2fs's flags, then list_super2) in the daemon,
// over the device: it reads the superblock and group descriptors only,
// with no copy. What is not an ext filesystem fails with EINVAL, an
// external journal device too (tune2fs: "Cannot modify a journal
// device.").
func Tune2fsL(dev fs.Device) (map[string]string, error) {
	name := devName(dev)
	f, err := openExt(name, dev, true)
	if err != nil {
		return nil, err
	}
	defer f.close()
	if C.ft_journal_dev(f.fs) != 0 {
		return nil, errno.New(syscall.EINVAL, "%s: Cannot modify a journal device.", name)
	}
	var out *C.char
	var n C.size_t
	if e := C.ft_list_super(f.fs, &out, &n); e != 0 {
		return nil, libError(name, e)
	}
	text := C.GoStringN(out, C.int(n))
	C.free(unsafe.Pointer(out))
	return parseTune2fsL(text), nil
}

// parseTune2fsL splits tune2fs -l's output as libguestfs's do_tune2fs_l
// does.
func parseTune2fsL(out string) map[string]string {
	if strings.HasPrefix(out, "tune2fs ") || strings.HasPrefix(out, "tune4fs ") {
		_, out, _ = strings.Cut(out, "\n")
	}
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			m[line] = ""
			continue
		}
		v = strings.TrimLeft(v, " \t\n\v\f\r")
		switch v {
		case "<none>", "<not available>", "(none)":
			v = ""
		}
		m[k] = v
	}
	return m
}

// Zerofree is libguestfs's zerofree: it makes every free block of the
// ext2/3/4 filesystem on dev read as zero, as Debian's zerofree does,
// implemented here on libext2fs rather than run: zerofree cannot run in
// the sandbox (it refuses when the mount table, which it may not read,
// cannot say the device is unmounted), and this way costs no copy. It
// reads the block bitmap (an rbtree: small for a mostly used or mostly
// free filesystem) and zeros each run of free blocks with blockdev.Zero,
// which punches holes where the device can (zerofree reads each block and
// writes the ones not yet zero). Unlike zerofree it refuses a filesystem
// whose bitmaps may not say what is free (needs journal recovery, not
// cleanly unmounted, errors recorded) with EINVAL: run e2fsck first. A
// device set read-only fails with EROFS; dev must not be mounted.
func Zerofree(dev fs.Device) error {
	name := devName(dev)
	if err := checkWritable(name, dev); err != nil {
		return err
	}
	f, err := openExt(name, dev, false)
	if err != nil {
		return err
	}
	defer f.close()
	var blocks, first C.ulonglong
	var bs C.uint
	state := C.ft_state(f.fs, &blocks, &bs, &first)
	var why []string
	if state&C.FT_NEEDS_RECOVERY != 0 {
		why = append(why, "its journal needs recovery")
	}
	if state&C.FT_NOT_CLEAN != 0 {
		why = append(why, "it was not cleanly unmounted")
	}
	if state&C.FT_ERRORS != 0 {
		why = append(why, "it has errors")
	}
	if len(why) > 0 {
		return errno.New(syscall.EINVAL, "%s: the filesystem's free blocks are not known (%s): run e2fsck first", name, strings.Join(why, ", "))
	}
	bsize := int64(bs)
	if int64(blocks)*bsize > dev.Size() {
		return errno.New(syscall.EINVAL, "%s: the filesystem (%d blocks of %d bytes) is larger than the device (%d bytes)", name, uint64(blocks), bsize, dev.Size())
	}
	if e := C.ft_read_block_bitmap(f.fs); e != 0 {
		return libError(name, e)
	}
	for start := first; ; {
		var from, to C.ulonglong
		if e := C.ft_next_free(f.fs, start, &from, &to); e != 0 {
			return libError(name, e)
		}
		if to == 0 {
			return nil
		}
		if err := blockdev.Zero(dev, int64(from)*bsize, int64(to-from)*bsize); err != nil {
			return err
		}
		start = to
	}
}
