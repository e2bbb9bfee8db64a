package core

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	errnopkg "goguestfs/daemon/errno"
)

// drive is one added drive. Guarded by the handle lock.
type drive struct {
	filename string
	readonly bool
	format   string // "" when not given
	name     string
	// scratch is the temporary file of add_drive_scratch, open from the
	// add on and closed at close.
	scratch *os.File
}

// MaxDrives is the largest number of drives a handle accepts.
const MaxDrives = 255

func (h *Handle) addDrive(filename string) error { return h.addDriveOpts(filename, nil) }

func (h *Handle) addDriveRO(filename string) error {
	ro := true
	return h.addDriveOpts(filename, &AddDriveOptsOpts{Readonly: &ro})
}

func (h *Handle) addCdrom(filename string) error { return h.addDriveRO(filename) }

// oneOf fails unless the optional string is unset or one of the values.
func oneOf(opt, v *string, values ...string) error {
	if v == nil {
		return nil
	}
	for _, ok := range values {
		if *v == ok {
			return nil
		}
	}
	return errorf(syscall.EINVAL, "%s: %q: must be one of %q", *opt, *v, values)
}

// knownFormats are the format names add_drive_opts understands; only raw
// can be used.
var knownFormats = []string{"raw", "qcow2", "vmdk", "vdi", "vhdx", "qed", "vpc", "luks"}

// checkBlocksize accepts 512 and 4096.
func checkBlocksize(bs *int) error {
	if bs != nil && *bs != 512 && *bs != 4096 {
		return errorf(syscall.EINVAL, "blocksize: %d: must be 512 or 4096", *bs)
	}
	return nil
}

func (h *Handle) addDriveOpts(filename string, o *AddDriveOptsOpts) error {
	if o == nil {
		o = &AddDriveOptsOpts{}
	}
	if err := h.checkAddDrive(); err != nil {
		return err
	}
	if filename == "" {
		return errorf(syscall.EINVAL, "filename: must not be empty")
	}
	if o.Protocol != nil && *o.Protocol != "file" {
		return errorf(syscall.ENOTSUP, "protocol: %q: remote drives are not supported (only \"file\")", *o.Protocol)
	}
	for _, ref := range []struct {
		name string
		set  bool
	}{{"server", o.Server != nil}, {"username", o.Username != nil}, {"secret", o.Secret != nil}} {
		if ref.set {
			return errorf(syscall.ENOTSUP, "%s: remote drives are not supported", ref.name)
		}
	}
	fmtName, cacheName, discardName := "format", "cachemode", "discard"
	if err := oneOf(&fmtName, o.Format, knownFormats...); err != nil {
		return err
	}
	if err := oneOf(&cacheName, o.Cachemode, "writeback", "unsafe"); err != nil {
		return err
	}
	if err := oneOf(&discardName, o.Discard, "disable", "enable", "besteffort"); err != nil {
		return err
	}
	if err := checkBlocksize(o.Blocksize); err != nil {
		return err
	}
	if o.Label != nil && !labelRE.MatchString(*o.Label) {
		return errorf(syscall.EINVAL, "label: %q: must be 1 to 20 letters, digits or '_'", *o.Label)
	}
	if o.Iface != nil && *o.Iface == "" {
		return errorf(syscall.EINVAL, "iface: must not be empty")
	}
	d := &drive{filename: filename, readonly: o.Readonly != nil && *o.Readonly}
	if err := checkDriveFile(filename, d.readonly); err != nil {
		return err
	}
	if o.Format != nil {
		d.format = *o.Format
	}
	if o.Name != nil {
		d.name = *o.Name
	}
	h.drives = append(h.drives, d)
	return nil
}

var labelRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,20}$`)

// checkDriveFile refuses, at add_drive time as libguestfs does, a drive file
// that launch could not open: one that does not exist (ENOENT, "FILE: No
// such file or directory"), a directory (EISDIR), or a file the caller may
// not read, or not write when the drive is not read-only (EACCES, EROFS).
// It uses stat and access(2) with the effective ids, never open: opening a
// FIFO or a device can block or have side effects. launch opens the file
// and checks again.
func checkDriveFile(filename string, readonly bool) error {
	var st unix.Stat_t
	if err := unix.Stat(filename, &st); err != nil {
		return driveFileError(filename, err, "")
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return driveFileError(filename, syscall.EISDIR, ", not a disk image")
	}
	if err := unix.Faccessat(unix.AT_FDCWD, filename, unix.R_OK, unix.AT_EACCESS); err != nil {
		return driveFileError(filename, err, " (the file cannot be read)")
	}
	if !readonly {
		if err := unix.Faccessat(unix.AT_FDCWD, filename, unix.W_OK, unix.AT_EACCESS); err != nil {
			return driveFileError(filename, err, " (the file cannot be written: add it read-only with add_drive_ro or readonly=true)")
		}
	}
	return nil
}

// driveFileError is "FILE: Strerror" (libguestfs's wording, from perror)
// plus a hint, with errno err. A very long file name is cut.
func driveFileError(filename string, err error, hint string) *Error {
	errno := errnoOf(err)
	msg := errno.Error()
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return errorf(errno, "%s: %s%s", errnopkg.Cut(filename), msg, hint)
}

// checkAddDrive fails unless a drive may be added now.
func (h *Handle) checkAddDrive() error {
	if h.state != StateConfig || h.shutDown {
		return errorf(syscall.EINVAL, "drives can only be added before launch")
	}
	if len(h.drives) >= MaxDrives {
		return errorf(syscall.ENOSPC, "too many drives (the maximum is %d)", MaxDrives)
	}
	return nil
}

func (h *Handle) addDriveScratch(size int64, o *AddDriveScratchOpts) error {
	if err := h.checkAddDrive(); err != nil {
		return err
	}
	if size < 0 {
		return errorf(syscall.EINVAL, "size: %d: must not be negative", size)
	}
	if o != nil {
		if err := checkBlocksize(o.Blocksize); err != nil {
			return err
		}
	}
	dir, _ := h.getTmpdir()
	f, err := tempFile(dir)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return errorf(errnoOf(err), "%s: cannot make a scratch file of %d bytes: %v", dir, size, err)
	}
	d := &drive{filename: fmt.Sprintf("(scratch drive of %d bytes)", size), scratch: f, format: "raw"}
	h.drives = append(h.drives, d)
	return nil
}

// tempFile makes an anonymous temporary file in dir (O_TMPFILE: it
// disappears when closed); where the filesystem cannot, a named file that is
// removed at once.
func tempFile(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err == nil {
		return os.NewFile(uintptr(fd), dir+"/(temporary file)"), nil
	}
	f, err := os.CreateTemp(dir, "goguestfs-*")
	if err != nil {
		return nil, errorf(errnoOf(err), "%s: cannot create a temporary file: %v", dir, err)
	}
	os.Remove(f.Name())
	return f, nil
}

// errnoOf returns the errno in err's chain, or EIO.
func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return syscall.EIO
}

// sniffFormat names the image format from the first bytes of r: qcow2,
// vmdk, vdi, vhdx, or raw.
func sniffFormat(r io.ReaderAt) string {
	var b [512]byte
	n, _ := r.ReadAt(b[:], 0)
	p := b[:n]
	switch {
	case bytes.HasPrefix(p, []byte("QFI\xfb")):
		return "qcow2"
	case bytes.HasPrefix(p, []byte("KDMV")), bytes.HasPrefix(p, []byte("# Disk DescriptorFile")):
		return "vmdk"
	case bytes.HasPrefix(p, []byte("vhdxfile")):
		return "vhdx"
	case n >= 68 && binary.LittleEndian.Uint32(p[64:68]) == 0xbeda107f:
		return "vdi"
	}
	return "raw"
}

// openDrive opens a drive's file for launch and checks its format.
func (h *Handle) openDrive(i int, d *drive) (*os.File, error) {
	if d.scratch != nil {
		return d.scratch, nil
	}
	flags := os.O_RDWR
	if d.readonly {
		flags = os.O_RDONLY
	}
	f, err := os.OpenFile(d.filename, flags|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, errorf(errnoOf(err), "%s: cannot open drive %d: %v", d.filename, i, errors.Unwrap(err))
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		f.Close()
		return nil, errorf(syscall.EISDIR, "%s: is a directory, not a disk image", d.filename)
	}
	found := sniffFormat(f)
	switch {
	case d.format == "raw":
	case d.format != "":
		f.Close()
		if d.format != found {
			return nil, errorf(syscall.EINVAL, "%s: format %q was given but the file is %s", d.filename, d.format, found)
		}
		return nil, errorf(syscall.ENOTSUP, "%s: format %s is not supported, only raw (convert it with `qemu-img convert -O raw`)", d.filename, d.format)
	case found != "raw":
		f.Close()
		return nil, errorf(syscall.EINVAL, "%s: the file looks like a %s image, which is not supported; if it really is a raw disk image, add it with format \"raw\"", d.filename, found)
	}
	return f, nil
}

// closeDrives releases the scratch files. The caller holds the lock.
func (h *Handle) closeDrives() {
	for _, d := range h.drives {
		if d.scratch != nil {
			d.scratch.Close()
			d.scratch = nil
		}
	}
}
