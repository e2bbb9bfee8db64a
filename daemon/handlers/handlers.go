// Package handlers implements the daemon's actions (server.Backend) over
// the drives passed at launch: device listing and block I/O (package
// blockdev), partition tables (package parttable), and debug.
package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/parttable"
	"goguestfs/daemon/server"
)

// MaxTransfer is the largest pread_device/pwrite_device buffer.
const MaxTransfer = 4 << 20

// Handlers is the daemon's server.Backend.
type Handlers struct {
	mu     sync.Mutex
	drives []*blockdev.Drive
	ro     map[string]bool // devices set read-only with blockdev_setro
}

// New returns Handlers with no drives.
func New() *Handlers { return &Handlers{ro: map[string]bool{}} }

var _ server.Backend = (*Handlers)(nil)

// DriveName returns the device name of drive index i: /dev/sda ...
// /dev/sdz, /dev/sdaa, ...
func DriveName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('a'+(i-1)%26)) + s
	}
	return "/dev/sd" + s
}

// AddDrive adds the next drive.
func (h *Handlers) AddDrive(index int, file, overlay *os.File, readonly bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if index != len(h.drives) {
		file.Close()
		if overlay != nil {
			overlay.Close()
		}
		return fmt.Errorf("internal_add_drive: drive %d added out of order (have %d): %w", index, len(h.drives), syscall.EINVAL)
	}
	d, err := blockdev.Open(DriveName(index), file, overlay)
	if err != nil {
		return err
	}
	h.drives = append(h.drives, d)
	return nil
}

// Flush flushes every drive.
func (h *Handlers) Flush() error {
	h.mu.Lock()
	drives := append([]*blockdev.Drive(nil), h.drives...)
	h.mu.Unlock()
	var errs []error
	for _, d := range drives {
		if err := d.Flush(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// opError is an action's error: "op: obj: msg", carrying errno.
type opError struct {
	msg   string
	errno syscall.Errno
}

func (e *opError) Error() string { return e.msg }
func (e *opError) Unwrap() error { return e.errno }

// errf makes an error "op: obj: msg" carrying errno.
func errf(op, obj string, errno syscall.Errno, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if obj != "" {
		msg = obj + ": " + msg
	}
	return &opError{op + ": " + msg, errno}
}

var aliasRE = regexp.MustCompile(`^/dev/(h|v|xv)d([a-z]+)(p?[0-9]*)$`)

// canonical maps /dev/hdX, /dev/vdX and /dev/xvdX to /dev/sdX.
func canonical(name string) string {
	if m := aliasRE.FindStringSubmatch(name); m != nil {
		return "/dev/sd" + m[2] + m[3]
	}
	return name
}

// drive returns the whole-disk drive named name.
func (h *Handlers) drive(op, name string) (*blockdev.Drive, error) {
	cn := canonical(name)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range h.drives {
		if d.Name == cn {
			return d, nil
		}
	}
	if strings.HasPrefix(cn, "/dev/sd") && cn[len(cn)-1] >= '0' && cn[len(cn)-1] <= '9' {
		return nil, errf(op, name, syscall.EINVAL, "is a partition, not a whole device")
	}
	return nil, errf(op, name, syscall.ENOENT, "no such device")
}

// guarded is a device whose writes fail with EROFS while it (or, for a
// partition, its drive) is set read-only.
type guarded struct {
	blockdev.Dev
	h     *Handlers
	names []string
}

// WriteAt refuses writes to read-only devices.
func (g guarded) WriteAt(p []byte, off int64) (int, error) {
	g.h.mu.Lock()
	ro := false
	for _, n := range g.names {
		ro = ro || g.h.ro[n]
	}
	g.h.mu.Unlock()
	if ro {
		return 0, fmt.Errorf("%s: device is read-only (blockdev_setro): %w", g.names[0], syscall.EROFS)
	}
	return g.Dev.WriteAt(p, off)
}

// device resolves a whole device or a partition name.
func (h *Handlers) device(op, name string) (blockdev.Dev, string, error) {
	d, derr := h.drive(op, name)
	if derr == nil {
		return guarded{d, h, []string{d.Name}}, d.Name, nil
	}
	cn := canonical(name)
	devName, err := parttable.PartToDev(cn)
	if err != nil {
		return nil, "", errf(op, name, syscall.ENOENT, "no such device")
	}
	n, _ := parttable.PartToPartnum(cn)
	d, err = h.drive(op, devName)
	if err != nil {
		return nil, "", errf(op, name, syscall.ENOENT, "no such device or partition")
	}
	parts, err := parttable.New(d.Name, d).PartList()
	if err != nil {
		return nil, "", errf(op, name, syscall.ENOENT, "no such partition (the partition table of %s cannot be read)", d.Name)
	}
	for _, p := range parts {
		if int(p.PartNum) == n {
			start := int64(p.PartStart)
			length := min(int64(p.PartSize), max(0, d.Size()-start))
			part := &blockdev.Part{Name: cn, Drive: d, Start: start, Length: length}
			return guarded{part, h, []string{cn, d.Name}}, cn, nil
		}
	}
	return nil, "", errf(op, name, syscall.ENOENT, "no such partition")
}

// table returns the parttable device for a whole disk, with writes guarded.
func (h *Handlers) table(op, name string) (*parttable.Device, error) {
	d, err := h.drive(op, name)
	if err != nil {
		return nil, err
	}
	return parttable.New(d.Name, guarded{d, h, []string{d.Name}}), nil
}

// Sync flushes every drive.
func (h *Handlers) Sync(c *server.Call) error {
	if err := h.Flush(); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	return nil
}

// Debug runs a debug subcommand.
func (h *Handlers) Debug(c *server.Call, subcmd string, extraargs []string) (string, error) {
	switch subcmd {
	case "echo":
		return strings.Join(extraargs, " "), nil
	case "progress":
		secs := 5
		if len(extraargs) > 0 {
			n, err := strconv.Atoi(extraargs[0])
			if err != nil || n < 0 || n > 3600 {
				return "", errf("debug", "progress", syscall.EINVAL, "%q: seconds must be a number from 0 to 3600", extraargs[0])
			}
			secs = n
		}
		total := uint64(secs) * 1000
		start := time.Now()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			pos := uint64(time.Since(start).Milliseconds())
			if pos >= total {
				c.Progress(total, total)
				return "ok", nil
			}
			c.Progress(pos, total)
			select {
			case <-c.Ctx.Done():
				return "", c.Cancelled()
			case <-tick.C:
			}
		}
	}
	return "", errf("debug", subcmd, syscall.EINVAL, "unknown debug subcommand (known: echo, progress)")
}

// ListDevices lists the drives.
func (h *Handlers) ListDevices(c *server.Call) ([]string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := []string{}
	for _, d := range h.drives {
		out = append(out, d.Name)
	}
	return out, nil
}

// ListPartitions lists the partitions of every drive.
func (h *Handlers) ListPartitions(c *server.Call) ([]string, error) {
	h.mu.Lock()
	drives := append([]*blockdev.Drive(nil), h.drives...)
	h.mu.Unlock()
	out := []string{}
	for _, d := range drives {
		parts, err := parttable.New(d.Name, d).PartList()
		if err != nil {
			continue
		}
		for _, p := range parts {
			out = append(out, fmt.Sprintf("%s%d", d.Name, p.PartNum))
		}
	}
	return out, nil
}

// DeviceIndex returns the index of a drive.
func (h *Handlers) DeviceIndex(c *server.Call, device string) (int, error) {
	d, err := h.drive("device_index", device)
	if err != nil {
		return 0, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, x := range h.drives {
		if x == d {
			return i, nil
		}
	}
	return 0, errf("device_index", device, syscall.ENOENT, "no such device")
}

// BlockdevGetsize64 returns the size in bytes.
func (h *Handlers) BlockdevGetsize64(c *server.Call, device string) (int64, error) {
	d, _, err := h.device("blockdev_getsize64", device)
	if err != nil {
		return 0, err
	}
	return d.Size(), nil
}

// BlockdevGetss returns the sector size.
func (h *Handlers) BlockdevGetss(c *server.Call, device string) (int, error) {
	d, _, err := h.device("blockdev_getss", device)
	if err != nil {
		return 0, err
	}
	return int(d.SectorSize()), nil
}

// BlockdevGetsz returns the size in 512-byte sectors.
func (h *Handlers) BlockdevGetsz(c *server.Call, device string) (int64, error) {
	d, _, err := h.device("blockdev_getsz", device)
	if err != nil {
		return 0, err
	}
	return d.Size() / 512, nil
}

// BlockdevGetbsz returns the block size.
func (h *Handlers) BlockdevGetbsz(c *server.Call, device string) (int, error) {
	if _, _, err := h.device("blockdev_getbsz", device); err != nil {
		return 0, err
	}
	return blockdev.BlockSize, nil
}

// BlockdevGetro reports the read-only flag.
func (h *Handlers) BlockdevGetro(c *server.Call, device string) (bool, error) {
	_, name, err := h.device("blockdev_getro", device)
	if err != nil {
		return false, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ro[name], nil
}

func (h *Handlers) setro(op, device string, ro bool) error {
	_, name, err := h.device(op, device)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if ro {
		h.ro[name] = true
	} else {
		delete(h.ro, name)
	}
	return nil
}

// BlockdevSetro sets the read-only flag.
func (h *Handlers) BlockdevSetro(c *server.Call, device string) error {
	return h.setro("blockdev_setro", device, true)
}

// BlockdevSetrw clears the read-only flag.
func (h *Handlers) BlockdevSetrw(c *server.Call, device string) error {
	return h.setro("blockdev_setrw", device, false)
}

// BlockdevFlushbufs flushes the drive holding device.
func (h *Handlers) BlockdevFlushbufs(c *server.Call, device string) error {
	d, _, err := h.device("blockdev_flushbufs", device)
	if err != nil {
		return err
	}
	drive := d.(guarded).Dev
	if p, ok := drive.(*blockdev.Part); ok {
		return p.Drive.Flush()
	}
	return drive.(*blockdev.Drive).Flush()
}

// zeroRange writes zeros over [0, size) of d, skipping blocks that already
// read as zeros, with progress and cancel.
func zeroRange(c *server.Call, op, name string, d blockdev.Dev, size int64) error {
	const chunk = 1 << 20
	buf := make([]byte, chunk)
	zeros := make([]byte, chunk)
	for off := int64(0); off < size; off += chunk {
		if err := c.Cancelled(); err != nil {
			return err
		}
		n := int(min(chunk, size-off))
		if _, err := d.ReadAt(buf[:n], off); err != nil && !errors.Is(err, io.EOF) {
			return errf(op, "", syscall.EIO, "%v", err)
		}
		if !bytes.Equal(buf[:n], zeros[:n]) {
			if _, err := d.WriteAt(zeros[:n], off); err != nil {
				return errf(op, "", errnoOf(err), "%v", err)
			}
		}
		c.Progress(uint64(off+int64(n)), uint64(size))
	}
	return nil
}

// Zero zeroes the first 32 sectors.
func (h *Handlers) Zero(c *server.Call, device string) error {
	d, name, err := h.device("zero", device)
	if err != nil {
		return err
	}
	return zeroRange(c, "zero", name, d, min(d.Size(), 32*512))
}

// ZeroDevice zeroes the whole device.
func (h *Handlers) ZeroDevice(c *server.Call, device string) error {
	d, name, err := h.device("zero_device", device)
	if err != nil {
		return err
	}
	return zeroRange(c, "zero_device", name, d, d.Size())
}

// PreadDevice reads part of a device.
func (h *Handlers) PreadDevice(c *server.Call, device string, count int, offset int64) ([]byte, error) {
	d, name, err := h.device("pread_device", device)
	if err != nil {
		return nil, err
	}
	if count < 0 || count > MaxTransfer {
		return nil, errf("pread_device", name, syscall.EINVAL, "count %d: must be from 0 to %d", count, MaxTransfer)
	}
	if offset < 0 {
		return nil, errf("pread_device", name, syscall.EINVAL, "offset %d: must not be negative", offset)
	}
	buf := make([]byte, count)
	n, err := d.ReadAt(buf, offset)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, errf("pread_device", "", errnoOf(err), "%v", err)
	}
	return buf[:n], nil
}

// PwriteDevice writes part of a device.
func (h *Handlers) PwriteDevice(c *server.Call, device string, content []byte, offset int64) (int, error) {
	d, name, err := h.device("pwrite_device", device)
	if err != nil {
		return 0, err
	}
	if len(content) > MaxTransfer {
		return 0, errf("pwrite_device", name, syscall.EINVAL, "%d bytes: at most %d per call", len(content), MaxTransfer)
	}
	if offset < 0 {
		return 0, errf("pwrite_device", name, syscall.EINVAL, "offset %d: must not be negative", offset)
	}
	n, err := d.WriteAt(content, offset)
	if err != nil && !(n > 0 && errors.Is(err, syscall.ENOSPC)) {
		return 0, errf("pwrite_device", "", errnoOf(err), "%v", err)
	}
	return n, nil
}

// errnoOf returns the errno in err's chain, or EIO.
func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return syscall.EIO
}
