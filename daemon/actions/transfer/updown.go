package transfer

import (
	"io"
	"os"
	"syscall"

	"goguestfs/daemon/devices"
	"goguestfs/daemon/errno"
	vfs "goguestfs/daemon/fs"
	"goguestfs/daemon/hostio"
	"goguestfs/daemon/server"
)

// chunk is the unit of every copy: the most a transfer holds in memory.
const chunk = 1 << 20

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for len(b) >= 8 {
		if b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// target is where an upload writes: a guest file or a device, at base.
type target struct {
	name string
	w    io.WriterAt
	base int64
	// size is the target's size before the upload (a file's length; for
	// a device its end); holes of the source below it are written as
	// zeros, holes beyond it (a file's new end) are left unwritten.
	size int64
	// zero writes n zero bytes at off; nil for a file, which gets zeros
	// through WriteAt.
	zero func(off, n int64) error
	// file is the guest file, which Truncate extends over a final hole.
	file vfs.File
}

// fill writes zeros over [off, off+n) of the target where it held data
// before the upload.
func (t *target) fill(buf []byte, off, n int64) error {
	if t.zero != nil && off+n > t.size {
		return errno.New(syscall.ENOSPC, "%s: writing %d bytes at %d goes past the end of the device (%d bytes)", t.name, n, off, t.size)
	}
	end := min(off+n, t.size)
	if off >= end {
		return nil
	}
	if t.zero != nil {
		return t.zero(off, end-off)
	}
	clear(buf)
	for off < end {
		k := min(end-off, int64(len(buf)))
		if _, err := t.w.WriteAt(buf[:k], off); err != nil {
			return err
		}
		off += k
	}
	return nil
}

// upload streams r into t: data ranges of the host file are read in
// chunks and written at t.base plus their offset. Holes and chunks of
// zeros are written as zeros only where the target held data before
// (below its old size); past it they are not written, so they stay holes
// in a guest file, which is extended to its full new size at the end.
func upload(c *server.Call, r *hostio.Reader, t *target) error {
	buf := make([]byte, chunk)
	total, known := r.Size()
	progress := func() {
		if known {
			c.Progress(uint64(r.Pos()), uint64(total))
		}
	}
	for {
		start, end, err := r.NextData()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if gap := start - r.Pos(); gap > 0 {
			if err := t.fill(buf, t.base+r.Pos(), gap); err != nil {
				return err
			}
			r.Skip(gap)
			progress()
		}
		for end < 0 || r.Pos() < end {
			want := int64(len(buf))
			if end >= 0 {
				want = min(want, end-r.Pos())
			}
			at := t.base + r.Pos()
			n, err := io.ReadFull(r, buf[:want])
			var werr error
			if allZero(buf[:n]) {
				werr = t.fill(buf, at, int64(n))
			} else {
				_, werr = t.w.WriteAt(buf[:n], at)
			}
			if werr != nil {
				return werr
			}
			progress()
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				if end < 0 {
					return finish(t, r)
				}
				break
			}
			if err != nil {
				return err
			}
		}
	}
	return finish(t, r)
}

// finish extends a file target over a final hole and leaves the host
// file's offset after what was read.
func finish(t *target, r *hostio.Reader) error {
	if t.file != nil {
		fi, err := t.file.Stat()
		if err != nil {
			return err
		}
		if end := t.base + r.Pos(); fi.Size < end {
			if err := t.file.Truncate(end); err != nil {
				return err
			}
		}
	}
	return r.Close()
}

// deviceTarget is a device as an upload's target, refused while a
// filesystem on it is mounted.
func (a *Actions) deviceTarget(d *devices.Device, base int64) (*target, error) {
	if err := a.ns.Busy(d); err != nil {
		return nil, err
	}
	if d.ReadOnly() {
		return nil, errno.New(syscall.EROFS, "%s: the device is read-only", d.Name)
	}
	return &target{name: d.Name, w: deviceWriter{d}, base: base, size: d.Size(), zero: d.Zero}, nil
}

// deviceWriter writes a device, refusing (ENOSPC) to write past its end
// rather than writing part of a chunk.
type deviceWriter struct{ d *devices.Device }

func (w deviceWriter) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > w.d.Size() {
		return 0, errno.New(syscall.ENOSPC, "%s: writing %d bytes at %d goes past the end of the device (%d bytes)", w.d.Name, len(p), off, w.d.Size())
	}
	return w.d.WriteAt(p, off)
}

// fileTarget opens the guest file p as an upload's target: created when
// missing, truncated first when trunc is set.
func (a *Actions) fileTarget(p string, base int64, trunc bool) (*target, error) {
	flag := os.O_WRONLY | os.O_CREATE
	if trunc {
		flag |= os.O_TRUNC
	}
	f, err := a.files.OpenFile(p, flag, 0o644)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &target{name: p, w: f, base: base, size: fi.Size, file: f}, nil
}

// uploadTo runs an upload of filename into remote at offset.
func (a *Actions) uploadTo(c *server.Call, filename *os.File, remote server.DevOrPath, offset int64, trunc bool) error {
	if offset < 0 {
		return errno.New(syscall.EINVAL, "%s: offset %d is negative", errno.Cut(remote.String()), offset)
	}
	r, err := hostio.NewReader(filename, "filename", c.Cancelled)
	if err != nil {
		return err
	}
	var t *target
	if d := remote.Device; d != nil {
		if size, known := r.Size(); known && offset+size > d.Size() {
			return errno.New(syscall.ENOSPC, "%s: %d bytes at %d do not fit on the device (%d bytes)", d.Name, size, offset, d.Size())
		}
		t, err = a.deviceTarget(d, offset)
	} else {
		t, err = a.fileTarget(remote.Path, offset, trunc)
	}
	if err != nil {
		return err
	}
	err = upload(c, r, t)
	if t.file != nil {
		if cerr := t.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Upload copies a host file to a guest file (created or truncated) or
// over the start of a device, keeping the host file's holes.
func (a *Actions) Upload(c *server.Call, filename *os.File, remotefilename server.DevOrPath) error {
	return a.uploadTo(c, filename, remotefilename, 0, true)
}

// UploadOffset writes a host file into a guest file or device at offset,
// without truncating it.
func (a *Actions) UploadOffset(c *server.Call, filename *os.File, remotefilename server.DevOrPath, offset int64) error {
	return a.uploadTo(c, filename, remotefilename, offset, false)
}

// source is what a download reads: a guest file or a device.
type source struct {
	r    io.ReaderAt
	size int64
	data vfs.DataFile // where a file's data is, if its driver knows
}

// openSource opens remote for reading; the caller calls the returned
// close. A device is read after every mounted filesystem was flushed, so
// that it holds what they wrote.
func (a *Actions) openSource(c *server.Call, remote server.DevOrPath) (source, func(), error) {
	if d := remote.Device; d != nil {
		if err := c.Flush(); err != nil {
			return source{}, nil, err
		}
		return source{r: d, size: d.Size()}, func() {}, nil
	}
	f, err := a.files.OpenFile(remote.Path, os.O_RDONLY, 0)
	if err != nil {
		return source{}, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return source{}, nil, err
	}
	s := source{r: f, size: fi.Size}
	s.data, _ = f.(vfs.DataFile)
	return s, func() { f.Close() }, nil
}

// download streams [off, end) of s to w: ranges the source's driver
// reports as holes, and chunks of zeros, become holes of a regular host
// file (zeros written to a pipe).
func download(c *server.Call, s source, off, end int64, w *hostio.Writer) error {
	buf := make([]byte, chunk)
	total := uint64(end - off)
	pos := off
	for pos < end {
		dataEnd := end
		if s.data != nil {
			start, e, err := s.data.NextData(pos)
			if err == io.EOF {
				start, e = end, end
			} else if err != nil {
				return err
			}
			start, dataEnd = min(max(start, pos), end), min(e, end)
			if err := w.Skip(start - pos); err != nil {
				return err
			}
			pos = start
		}
		for pos < dataEnd {
			if err := c.Cancelled(); err != nil {
				return err
			}
			b := buf[:min(int64(len(buf)), dataEnd-pos)]
			n, err := s.r.ReadAt(b, pos)
			if err != nil && !(err == io.EOF && n == len(b)) {
				if err == io.EOF {
					return errno.New(syscall.EIO, "the source ended at %d bytes, before its size %d", pos+int64(n), end)
				}
				return err
			}
			if allZero(b) {
				err = w.Skip(int64(n))
			} else {
				_, err = w.Write(b)
			}
			if err != nil {
				return err
			}
			pos += int64(n)
			c.Progress(uint64(pos-off), total)
		}
		c.Progress(uint64(pos-off), total)
	}
	return w.Close()
}

// downloadRange runs a download of [offset, offset+size) of remote, cut
// at its end.
func (a *Actions) downloadRange(c *server.Call, remote server.DevOrPath, filename *os.File, offset, size int64) error {
	w, err := hostio.NewWriter(filename, "filename", c.Cancelled)
	if err != nil {
		return err
	}
	s, closeSource, err := a.openSource(c, remote)
	if err != nil {
		return err
	}
	defer closeSource()
	end := s.size
	if size >= 0 {
		end = min(end, offset+size)
	}
	return download(c, s, min(offset, end), end, w)
}

// Download copies a guest file or device to a host file, keeping holes.
func (a *Actions) Download(c *server.Call, remotefilename server.DevOrPath, filename *os.File) error {
	return a.downloadRange(c, remotefilename, filename, 0, -1)
}

// DownloadOffset copies size bytes of a guest file or device from offset
// to a host file.
func (a *Actions) DownloadOffset(c *server.Call, remotefilename server.DevOrPath, filename *os.File, offset int64, size int64) error {
	if offset < 0 || size < 0 {
		return errno.New(syscall.EINVAL, "%s: offset %d and size %d must not be negative", errno.Cut(remotefilename.String()), offset, size)
	}
	return a.downloadRange(c, remotefilename, filename, offset, size)
}
