package transfer

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"syscall"

	"goguestfs/daemon/devices"
	"goguestfs/daemon/errno"
	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/server"
)

// cpChunk is how much one step of a copy reads and writes: the
// cancellation is checked and progress reported between steps.
const cpChunk = 1 << 20

// cpSparseBlock is the granularity at which a sparse copy looks for zeros:
// a block of zeros inside a chunk is not written.
const cpSparseBlock = 64 << 10

// cpOpts are the optional arguments the four copy actions share (nil
// pointers are unset).
type cpOpts struct {
	srcoffset, destoffset, size *int64
	sparse, append              bool
}

// cpOptsOf gathers the copy options from one action's generated opts.
func cpOptsOf(srcoffset, destoffset, size *int64, sparse, append *bool) cpOpts {
	return cpOpts{srcoffset: srcoffset, destoffset: destoffset, size: size,
		sparse: sparse != nil && *sparse, append: append != nil && *append}
}

// cpEnd is a copy's source or destination: a device, or else the
// guest file at path.
type cpEnd struct {
	dev  *devices.Device
	path string
}

// name is the cpEnd as the caller named it, for messages.
func (e cpEnd) name() string {
	if e.dev != nil {
		return e.dev.Name
	}
	return errno.Cut(e.path)
}

// CopyDeviceToDevice copies bytes from the device src to the device dest
// (see copyData).
func (a *Actions) CopyDeviceToDevice(c *server.Call, src *devices.Device, dest *devices.Device, opts *server.CopyDeviceToDeviceOpts) error {
	if opts == nil {
		opts = &server.CopyDeviceToDeviceOpts{}
	}
	return a.copyData(c, cpEnd{dev: src}, cpEnd{dev: dest},
		cpOptsOf(opts.Srcoffset, opts.Destoffset, opts.Size, opts.Sparse, opts.Append))
}

// CopyDeviceToFile copies bytes from the device src to the guest file dest
// (see copyData).
func (a *Actions) CopyDeviceToFile(c *server.Call, src *devices.Device, dest string, opts *server.CopyDeviceToFileOpts) error {
	if opts == nil {
		opts = &server.CopyDeviceToFileOpts{}
	}
	return a.copyData(c, cpEnd{dev: src}, cpEnd{path: dest},
		cpOptsOf(opts.Srcoffset, opts.Destoffset, opts.Size, opts.Sparse, opts.Append))
}

// CopyFileToDevice copies bytes from the guest file src to the device dest
// (see copyData).
func (a *Actions) CopyFileToDevice(c *server.Call, src string, dest *devices.Device, opts *server.CopyFileToDeviceOpts) error {
	if opts == nil {
		opts = &server.CopyFileToDeviceOpts{}
	}
	return a.copyData(c, cpEnd{path: src}, cpEnd{dev: dest},
		cpOptsOf(opts.Srcoffset, opts.Destoffset, opts.Size, opts.Sparse, opts.Append))
}

// CopyFileToFile copies bytes from the guest file src to the guest file
// dest (see copyData).
func (a *Actions) CopyFileToFile(c *server.Call, src string, dest string, opts *server.CopyFileToFileOpts) error {
	if opts == nil {
		opts = &server.CopyFileToFileOpts{}
	}
	return a.copyData(c, cpEnd{path: src}, cpEnd{path: dest},
		cpOptsOf(opts.Srcoffset, opts.Destoffset, opts.Size, opts.Sparse, opts.Append))
}

// copyData is the four copy actions: size bytes (default: to the source's
// end) of src at srcoffset go to dest at destoffset, in chunks, forward.
// Everything that can be checked before a byte is written is: negative
// numbers, append with a device or a destoffset, and a source too short
// give EINVAL, a device too short ENOSPC, a mounted one EBUSY, a
// read-only one EROFS. A destination file is created, and truncated
// unless append is set (which writes at its end). The source and the
// destination may be the same object only where a forward copy is right:
// overlapping ranges of one device with destoffset > srcoffset, and a
// file copied onto itself without append (the truncation would lose the
// source), give EINVAL.
func (a *Actions) copyData(c *server.Call, src, dest cpEnd, o cpOpts) error {
	for _, v := range []struct {
		obj, name string
		p         *int64
	}{{src.name(), "srcoffset", o.srcoffset}, {dest.name(), "destoffset", o.destoffset}, {src.name(), "size", o.size}} {
		if v.p != nil && *v.p < 0 {
			return errno.New(syscall.EINVAL, "%s: %s %d is negative", v.obj, v.name, *v.p)
		}
	}
	if o.append && dest.dev != nil {
		return errno.New(syscall.EINVAL, "%s: append cannot be set for a device", dest.name())
	}
	if o.append && o.destoffset != nil {
		return errno.New(syscall.EINVAL, "%s: append cannot be set with destoffset", dest.name())
	}

	r, srcSize, closeSrc, err := a.cpOpenSource(c, src)
	if err != nil {
		return err
	}
	defer closeSrc()
	srcoff := cpDeref(o.srcoffset)
	if srcoff > srcSize {
		return errno.New(syscall.EINVAL, "%s: srcoffset %d is past the end of the source (%d bytes)", src.name(), srcoff, srcSize)
	}
	n := srcSize - srcoff
	if o.size != nil {
		if *o.size > n {
			return errno.New(syscall.EINVAL, "%s: the source (%d bytes) is shorter than srcoffset + size (%d + %d)", src.name(), srcSize, srcoff, *o.size)
		}
		n = *o.size
	}
	destoff := cpDeref(o.destoffset)
	if destoff > math.MaxInt64-n {
		return errno.New(syscall.EINVAL, "%s: destoffset + size (%d + %d) is too large", dest.name(), destoff, n)
	}

	var w io.WriterAt
	var df vfs.File
	if dest.dev != nil {
		d := dest.dev
		// Offsets on the drive, so that a partition and its disk compare.
		if s := src.dev; s != nil && s.Index == d.Index && n > 0 &&
			d.DriveOffset()+destoff > s.DriveOffset()+srcoff && d.DriveOffset()+destoff < s.DriveOffset()+srcoff+n {
			return errno.New(syscall.EINVAL, "%s: the destination range overlaps the source range after it (destoffset %d, srcoffset %d, size %d)", d.Name, destoff, srcoff, n)
		}
		if err := a.ns.Busy(d); err != nil {
			return err
		}
		if d.ReadOnly() {
			return errno.New(syscall.EROFS, "%s: device is read-only (blockdev_setro)", d.Name)
		}
		if destoff+n > d.Size() {
			return errno.New(syscall.ENOSPC, "%s: the device (%d bytes) is shorter than destoffset + size (%d + %d)", d.Name, d.Size(), destoff, n)
		}
		w = d
	} else {
		if src.dev == nil {
			same, err := a.cpSameFile(src.path, dest.path)
			if err != nil {
				return err
			}
			if same && !o.append {
				return errno.New(syscall.EINVAL, "%s: is the source, which truncating it would lose (set append)", dest.name())
			}
		}
		flag := os.O_WRONLY | os.O_CREATE
		if !o.append {
			flag |= os.O_TRUNC
		}
		df, err = a.files.OpenFile(dest.path, flag, 0o666)
		if err != nil {
			return err
		}
		defer df.Close()
		if o.append {
			fi, err := df.Stat()
			if err != nil {
				return pathErr(dest.path, err)
			}
			destoff = fi.Size
		}
		w = cpFileWriter{df, dest.path}
	}

	if err := cpRange(c, r, src.name(), srcoff, w, destoff, n, o.sparse); err != nil {
		return err
	}
	if df != nil {
		if o.sparse {
			// Zeros skipped at the end must still count in the size.
			fi, err := df.Stat()
			if err != nil {
				return pathErr(dest.path, err)
			}
			if fi.Size < destoff+n {
				if err := df.Truncate(destoff + n); err != nil {
					return pathErr(dest.path, err)
				}
			}
		}
		if err := df.Close(); err != nil {
			return pathErr(dest.path, err)
		}
	}
	return nil
}

// cpOpenSource opens a copy's source for reading: its reader, size, and the
// function that releases it.
func (a *Actions) cpOpenSource(c *server.Call, src cpEnd) (io.ReaderAt, int64, func(), error) {
	if src.dev != nil {
		// What the mounted filesystems wrote must be on the device.
		if err := c.Flush(); err != nil {
			return nil, 0, nil, err
		}
		return src.dev, src.dev.Size(), func() {}, nil
	}
	f, err := a.files.OpenFile(src.path, os.O_RDONLY, 0)
	if err != nil {
		return nil, 0, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, nil, pathErr(src.path, err)
	}
	return cpFileReader{f, src.path}, fi.Size, func() { f.Close() }, nil
}

// cpSameFile reports whether the guest paths p and q (links followed) are
// one existing file: the same inode of the same mounted filesystem.
func (a *Actions) cpSameFile(p, q string) (bool, error) {
	lp, err := a.ns.Resolve(p, true)
	if err != nil {
		return false, err
	}
	lq, err := a.ns.Resolve(q, true)
	if err != nil {
		return false, err
	}
	if lp.Mount.FS != lq.Mount.FS {
		return false, nil
	}
	fp, err := a.files.StatPath(p, true)
	if err != nil {
		return false, err
	}
	fq, err := a.files.StatPath(q, true)
	if err != nil {
		if errno.Of(err) == syscall.ENOENT {
			return false, nil
		}
		return false, err
	}
	return fp.Ino == fq.Ino, nil
}

// cpRange copies n bytes of r (the source name) at roff to w at woff in chunks, checking
// for cancellation and reporting progress after each; with sparse set,
// blocks of zeros are not written.
func cpRange(c *server.Call, r io.ReaderAt, name string, roff int64, w io.WriterAt, woff int64, n int64, sparse bool) error {
	buf := make([]byte, min(n, cpChunk))
	var zeros []byte
	if sparse {
		zeros = make([]byte, cpSparseBlock)
	}
	for done := int64(0); done < n; {
		if err := c.Cancelled(); err != nil {
			return err
		}
		b := buf[:min(n-done, cpChunk)]
		if err := cpReadFull(r, name, b, roff+done); err != nil {
			return err
		}
		if sparse {
			if err := cpWriteSparse(w, b, woff+done, zeros); err != nil {
				return err
			}
		} else if _, err := w.WriteAt(b, woff+done); err != nil {
			return err
		}
		done += int64(len(b))
		c.Progress(uint64(done), uint64(n))
	}
	return nil
}

// cpWriteSparse writes b at off except its blocks of zeros (cpSparseBlock
// bytes each, aligned to b), coalescing the runs of other blocks.
func cpWriteSparse(w io.WriterAt, b []byte, off int64, zeros []byte) error {
	start := -1 // the start of the run of data blocks being gathered
	for i := 0; i <= len(b); i += cpSparseBlock {
		zero := true
		if i < len(b) {
			blk := b[i:min(i+cpSparseBlock, len(b))]
			zero = bytes.Equal(blk, zeros[:len(blk)])
		}
		switch {
		case !zero && start < 0:
			start = i
		case zero && start >= 0:
			if _, err := w.WriteAt(b[start:min(i, len(b))], off+int64(start)); err != nil {
				return err
			}
			start = -1
		}
	}
	return nil
}

// cpReadFull fills b from r at off; the source ending first is EIO (it
// shrank during the copy).
func cpReadFull(r io.ReaderAt, name string, b []byte, off int64) error {
	k, err := r.ReadAt(b, off)
	if k == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		return errno.New(syscall.EIO, "%s: the source ended at %d, before the %d bytes to copy", name, off+int64(k), off+int64(len(b)))
	}
	return err
}

// cpDeref is *p, or 0 for nil.
func cpDeref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// pathErr names the guest path p in a driver's error, keeping its errno.
func pathErr(p string, err error) error {
	var e *errno.Error
	if errors.As(err, &e) && strings.HasPrefix(e.Msg, errno.Cut(p)+": ") {
		return err
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return &errno.Error{Msg: errno.Cut(p) + ": " + msg, Errno: errno.Of(err)}
}

// cpFileReader reads a guest file, naming it in its errors (io.EOF passes).
type cpFileReader struct {
	f vfs.File
	p string
}

// ReadAt reads len(b) bytes at off.
func (r cpFileReader) ReadAt(b []byte, off int64) (int, error) {
	k, err := r.f.ReadAt(b, off)
	if err != nil && err != io.EOF {
		err = pathErr(r.p, err)
	}
	return k, err
}

// cpFileWriter writes a guest file, naming it in its errors.
type cpFileWriter struct {
	f vfs.File
	p string
}

// WriteAt writes b at off.
func (w cpFileWriter) WriteAt(b []byte, off int64) (int, error) {
	k, err := w.f.WriteAt(b, off)
	if err != nil {
		err = pathErr(w.p, err)
	}
	return k, err
}
