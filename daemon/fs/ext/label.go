package ext

// #include <stdlib.h>
// #include "ops.h"
import "C"

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"syscall"
	"unsafe"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

const labelLen = 16

// Label returns the volume label.
func (f *FS) Label() (string, error) {
	if err := f.lock("/"); err != nil {
		return "", err
	}
	defer f.mu.Unlock()
	b := C.GoBytes(unsafe.Pointer(&f.fs.super.s_volume_name[0]), labelLen)
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b), nil
}

// SetLabel sets the volume label (at most 16 bytes, else EINVAL); it
// reaches the device at Sync or Close.
func (f *FS) SetLabel(label string) error {
	if len(label) > labelLen || strings.IndexByte(label, 0) >= 0 {
		return errno.New(syscall.EINVAL, "%s: an ext label has at most %d bytes", errno.Cut(label), labelLen)
	}
	if err := f.lock("/"); err != nil {
		return err
	}
	defer f.mu.Unlock()
	if err := f.change("/"); err != nil {
		return err
	}
	cs := C.CString(label)
	defer C.free(unsafe.Pointer(cs))
	C.e2_set_label(f.fs, cs, C.size_t(len(label)))
	return nil
}

func (f *FS) uuid() [16]byte {
	var u [16]byte
	copy(u[:], C.GoBytes(unsafe.Pointer(&f.fs.super.s_uuid[0]), 16))
	return u
}

// UUID returns the filesystem UUID, in the 8-4-4-4-12 form.
func (f *FS) UUID() (string, error) {
	if err := f.lock("/"); err != nil {
		return "", err
	}
	defer f.mu.Unlock()
	return uuidString(f.uuid()), nil
}

// parseUUID reads a UUID in the 8-4-4-4-12 form of hex digits (either
// case, as uuid_parse takes it).
func parseUUID(s string) ([]byte, bool) {
	if len(s) != 36 {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		if dash := i == 8 || i == 13 || i == 18 || i == 23; dash != (s[i] == '-') {
			return nil, false
		}
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	return b, err == nil && len(b) == 16
}

// SetUUID sets the filesystem UUID (EINVAL unless it is in the 8-4-4-4-12
// form). The checksums that depend on it stay valid: on a metadata_csum
// filesystem without metadata_csum_seed, the old seed is recorded in the
// superblock and that feature set (tune2fs -O metadata_csum_seed -U; read
// by Linux 4.4 and e2fsprogs 1.43 on), instead of rewriting every
// checksum as tune2fs -U alone does; uninit_bg's group descriptor
// checksums, computed from the UUID itself, are recomputed.
func (f *FS) SetUUID(uuid string) error {
	b, ok := parseUUID(uuid)
	if !ok {
		return errno.New(syscall.EINVAL, "%s: not a UUID (8-4-4-4-12 hex digits)", errno.Cut(uuid))
	}
	if err := f.lock("/"); err != nil {
		return err
	}
	defer f.mu.Unlock()
	if err := f.change("/"); err != nil {
		return err
	}
	C.e2_set_uuid(f.fs, (*C.uchar)(unsafe.Pointer(&b[0])))
	return nil
}

// StatFS reports the filesystem's usage as statvfs does.
func (f *FS) StatFS() (fs.StatFS, error) {
	if err := f.lock("/"); err != nil {
		return fs.StatFS{}, err
	}
	defer f.mu.Unlock()
	var st C.struct_e2_statfs
	C.e2_statfs(f.fs, &st)
	u := f.uuid()
	r := fs.StatFS{
		Bsize: int64(st.bsize), Frsize: int64(st.bsize),
		Blocks: uint64(st.blocks), Bfree: uint64(st.bfree), Bavail: uint64(st.bavail),
		Files: uint64(st.files), Ffree: uint64(st.ffree), Favail: uint64(st.ffree),
		Fsid:    binary.LittleEndian.Uint64(u[0:8]) ^ binary.LittleEndian.Uint64(u[8:16]),
		Namemax: maxName,
	}
	if f.ro {
		r.Flag = 1 // ST_RDONLY
	}
	return r, nil
}
