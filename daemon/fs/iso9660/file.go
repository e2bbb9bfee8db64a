package iso9660

import (
	"io"
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// file is an open regular file; its data is its extents, in order.
type file struct {
	f      *FS
	n      *node
	path   string
	closed bool
}

// ReadAt reads from the file's extents; it returns io.EOF at the end.
func (h *file) ReadAt(b []byte, off int64) (int, error) {
	if h.closed {
		return 0, errno.New(syscall.EBADF, "%s: file closed", errno.Cut(h.path))
	}
	if err := h.f.check(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, errno.New(syscall.EINVAL, "%s: negative offset %d", errno.Cut(h.path), off)
	}
	done := 0
	pos := int64(0)
	for _, e := range h.n.extents {
		if done == len(b) {
			break
		}
		if off+int64(done) >= pos+e.len {
			pos += e.len
			continue
		}
		in := off + int64(done) - pos
		k := min(int64(len(b)-done), e.len-in)
		if err := h.f.readAt(b[done:done+int(k)], e.off+in); err != nil {
			return done, errno.Wrap(errno.Cut(h.path), err)
		}
		done += int(k)
		pos += e.len
	}
	if done < len(b) {
		return done, io.EOF
	}
	return done, nil
}

// WriteAt is EROFS.
func (h *file) WriteAt([]byte, int64) (int, error) {
	return 0, pathErr(h.path, syscall.EROFS)
}

// Truncate is EROFS.
func (h *file) Truncate(int64) error { return pathErr(h.path, syscall.EROFS) }

// Stat describes the open file.
func (h *file) Stat() (fs.FileInfo, error) {
	if h.closed {
		return fs.FileInfo{}, errno.New(syscall.EBADF, "%s: file closed", errno.Cut(h.path))
	}
	return h.f.info(h.n), nil
}

// Close releases the file.
func (h *file) Close() error {
	h.closed = true
	return nil
}
