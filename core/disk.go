package core

import (
	"encoding/binary"
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/devices"
)

func (h *Handle) diskCreate(filename, format string, size int64, o *DiskCreateOpts) error {
	if o == nil {
		o = &DiskCreateOpts{}
	}
	if format != "raw" {
		return errorf(syscall.ENOTSUP, "%s: format %q is not supported, only \"raw\"", filename, format)
	}
	if size < 0 || size%512 != 0 {
		return errorf(syscall.EINVAL, "%s: size %d: must be a non-negative multiple of 512", filename, size)
	}
	for _, q := range []struct {
		name string
		set  bool
	}{{"backingfile", o.Backingfile != nil}, {"backingformat", o.Backingformat != nil},
		{"compat", o.Compat != nil}, {"clustersize", o.Clustersize != nil}} {
		if q.set {
			return errorf(syscall.EINVAL, "%s: option %s applies to qcow2 only, not to raw", filename, q.name)
		}
	}
	full := false
	if p := o.Preallocation; p != nil {
		switch *p {
		case "off", "sparse":
		case "full":
			full = true
		default:
			return errorf(syscall.EINVAL, "%s: preallocation %q: must be off, sparse or full", filename, *p)
		}
	}
	f, err := os.OpenFile(filename, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return errorf(errnoOf(err), "%s: %v", filename, errors.Unwrap(err))
	}
	err = f.Truncate(size)
	if err == nil && full && size > 0 {
		err = unix.Fallocate(int(f.Fd()), 0, 0, size)
		if err == unix.EOPNOTSUPP {
			err = writeZeros(f, size)
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(filename)
		return errorf(errnoOf(err), "%s: %v", filename, err)
	}
	return nil
}

// writeZeros writes size zero bytes to f from its start.
func writeZeros(f *os.File, size int64) error {
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(buf)) {
		n := min(int64(len(buf)), size-off)
		if _, err := f.WriteAt(buf[:n], off); err != nil {
			return err
		}
	}
	return nil
}

// openImage opens an image file for reading, for the disk_* actions.
func openImage(filename string) (*os.File, error) {
	f, err := os.Open(filename)
	if err != nil {
		return nil, errorf(errnoOf(err), "%s: %v", filename, errors.Unwrap(err))
	}
	return f, nil
}

func (h *Handle) diskFormat(filename string) (string, error) {
	f, err := openImage(filename)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return sniffFormat(f), nil
}

func (h *Handle) diskVirtualSize(filename string) (int64, error) {
	f, err := openImage(filename)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	switch format := sniffFormat(f); format {
	case "raw":
		return fileSize(f)
	case "qcow2":
		var b [8]byte
		if _, err := f.ReadAt(b[:], 24); err != nil {
			return 0, errorf(syscall.EINVAL, "%s: truncated qcow2 header", filename)
		}
		return int64(binary.BigEndian.Uint64(b[:]) & (1<<63 - 1)), nil
	default:
		return 0, errorf(syscall.ENOTSUP, "%s: cannot read the size of a %s image", filename, format)
	}
}

// fileSize is the size of a file or block device.
func fileSize(f *os.File) (int64, error) {
	n, err := f.Seek(0, 2)
	if err != nil {
		return 0, errorf(errnoOf(err), "%s: %v", f.Name(), err)
	}
	return n, nil
}

func (h *Handle) diskHasBackingFile(filename string) (bool, error) {
	f, err := openImage(filename)
	if err != nil {
		return false, err
	}
	defer f.Close()
	switch format := sniffFormat(f); format {
	case "raw":
		return false, nil
	case "qcow2":
		var b [8]byte
		if _, err := f.ReadAt(b[:], 8); err != nil {
			return false, errorf(syscall.EINVAL, "%s: truncated qcow2 header", filename)
		}
		return binary.BigEndian.Uint64(b[:]) != 0, nil
	default:
		return false, errorf(syscall.ENOTSUP, "%s: cannot inspect a %s image", filename, format)
	}
}

func (h *Handle) canonicalDeviceName(device string) (string, error) {
	return devices.Canonical(device), nil
}
