// Package hostio streams the host files that come with a daemon call
// (FileIn and FileOut arguments, passed as descriptors): in order, in
// bounded memory, keeping holes where the host file has them, and
// stoppable by the call's cancellation even when the descriptor is a pipe
// whose other end is slow or stuck.
//
// A regular file is read and written with pread/pwrite from the
// descriptor's offset at the start of the call, and the offset is left
// just after what was transferred, as read(2) and write(2) would leave it,
// so that /dev/fd/N works as a caller expects. Anything else (pipe,
// socket, terminal, character device) is waited for with poll(2), in
// slices of PollSlice, checking for cancellation between them; the
// descriptor's flags are never changed, since the caller shares them.
package hostio

import (
	"errors"
	"io"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"goguestfs/daemon/errno"
)

// PollSlice is the longest a transfer waits on a pipe before it checks
// for cancellation again.
const PollSlice = 100 * time.Millisecond

// Cancelled returns a non-nil error once the call was cancelled
// (server.Call.Cancelled).
type Cancelled func() error

// file is what Reader and Writer share: the descriptor and its kind.
type file struct {
	f         *os.File
	fd        int
	name      string
	regular   bool
	start     int64 // a regular file's offset when the stream began
	off       int64 // bytes transferred (and skipped) so far
	cancelled Cancelled
}

func newFile(f *os.File, name string, cancelled Cancelled) (file, error) {
	h := file{f: f, fd: int(f.Fd()), name: name, cancelled: cancelled}
	var st unix.Stat_t
	if err := unix.Fstat(h.fd, &st); err != nil {
		return h, h.fail(err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFREG {
		fl, err := unix.FcntlInt(uintptr(h.fd), unix.F_GETFL, 0)
		if err != nil {
			return h, h.fail(err)
		}
		// An O_APPEND descriptor writes at the end whatever the offset:
		// it is streamed like a pipe.
		if fl&unix.O_APPEND == 0 {
			pos, err := unix.Seek(h.fd, 0, io.SeekCurrent)
			if err != nil {
				return h, h.fail(err)
			}
			h.regular, h.start = true, pos
		}
	}
	return h, nil
}

// fail is an error naming the host file, with err's errno.
func (h *file) fail(err error) error {
	var en syscall.Errno
	if !errors.As(err, &en) {
		en = syscall.EIO
	}
	return errno.New(en, "%s: %v", errno.Cut(h.name), err)
}

// wait polls the descriptor for events in slices, returning the call's
// cancellation error as soon as it is set.
func (h *file) wait(events int16) error {
	pfd := []unix.PollFd{{Fd: int32(h.fd), Events: events}}
	for {
		if err := h.cancelled(); err != nil {
			return err
		}
		n, err := unix.Poll(pfd, int(PollSlice/time.Millisecond))
		if err == unix.EINTR || n == 0 {
			continue
		}
		if err != nil {
			return h.fail(err)
		}
		return nil
	}
}

// Pos is how many bytes the stream has transferred, holes included.
func (h *file) Pos() int64 { return h.off }

// settle leaves a regular file's offset just after the stream.
func (h *file) settle() error {
	if !h.regular {
		return nil
	}
	if _, err := unix.Seek(h.fd, h.start+h.off, io.SeekStart); err != nil {
		return h.fail(err)
	}
	return nil
}

// Reader reads a FileIn from its current offset.
type Reader struct {
	file
	size int64 // a regular file's bytes from start to its end; -1 if unknown
}

// NewReader streams f (the host file the caller named name) with the
// call's cancellation.
func NewReader(f *os.File, name string, cancelled Cancelled) (*Reader, error) {
	h, err := newFile(f, name, cancelled)
	if err != nil {
		return nil, err
	}
	r := &Reader{file: h, size: -1}
	if h.regular {
		var st unix.Stat_t
		if err := unix.Fstat(h.fd, &st); err != nil {
			return nil, h.fail(err)
		}
		r.size = max(st.Size-h.start, 0)
	}
	return r, nil
}

// Size returns how many bytes the stream holds, when it is a regular file
// (ok false for a pipe).
func (r *Reader) Size() (int64, bool) { return r.size, r.size >= 0 }

// Read reads the next bytes of the stream (io.EOF at its end).
func (r *Reader) Read(p []byte) (int, error) {
	if err := r.cancelled(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.regular {
		if r.off >= r.size {
			return 0, io.EOF
		}
		p = p[:min(int64(len(p)), r.size-r.off)]
		for {
			n, err := unix.Pread(r.fd, p, r.start+r.off)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return 0, r.fail(err)
			}
			if n == 0 {
				// The file shrank under us: its end is here.
				r.size = r.off
				return 0, io.EOF
			}
			r.off += int64(n)
			return n, nil
		}
	}
	if err := r.wait(unix.POLLIN); err != nil {
		return 0, err
	}
	for {
		n, err := unix.Read(r.fd, p)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			// A non-blocking descriptor the caller passed: wait again.
			if err := r.wait(unix.POLLIN); err != nil {
				return 0, err
			}
			continue
		}
		if err != nil {
			return 0, r.fail(err)
		}
		if n == 0 {
			return 0, io.EOF
		}
		r.off += int64(n)
		return n, nil
	}
}

// NextData returns the next range of the stream, from its position, that
// holds data: [start, end) in stream offsets, the bytes before start
// being a hole (they read as zeros). For anything but a regular file, or
// a filesystem without SEEK_DATA, the rest of the stream is one range
// (end -1 when its size is unknown). At the end it returns io.EOF.
// The caller reads the range with Read after Skip(start - Pos()).
func (r *Reader) NextData() (start, end int64, err error) {
	if !r.regular {
		return r.off, -1, nil
	}
	if r.off >= r.size {
		return 0, 0, io.EOF
	}
	d, err := unix.Seek(r.fd, r.start+r.off, unix.SEEK_DATA)
	switch {
	case err == unix.ENXIO:
		return r.size, r.size, nil // a hole to the end
	case err == unix.EINVAL || err == unix.EOPNOTSUPP:
		return r.off, r.size, nil
	case err != nil:
		return 0, 0, r.fail(err)
	}
	hole, err := unix.Seek(r.fd, d, unix.SEEK_HOLE)
	if err != nil {
		return 0, 0, r.fail(err)
	}
	return min(d-r.start, r.size), min(hole-r.start, r.size), nil
}

// Skip moves a regular file's stream forward by n bytes (a hole that
// NextData found), without reading them.
func (r *Reader) Skip(n int64) {
	if r.regular {
		r.off = min(r.off+n, r.size)
	}
}

// Close leaves a regular file's offset after what was read. It does not
// close the descriptor (the server does, when the call ends).
func (r *Reader) Close() error { return r.settle() }

// Writer writes a FileOut from its current offset.
type Writer struct {
	file
	pipe bool // a pipe: writes are cut to its free space, so none blocks
	end  int64
	// old is a regular file's size from the stream's start when it
	// began: a hole skipped below it must clear the bytes there.
	old int64
}

// pipeChunk bounds one write to a descriptor that is neither a regular
// file nor a pipe: poll's POLLOUT promises little more room than that.
const pipeChunk = 4096

// NewWriter streams to f (the host file the caller named name) with the
// call's cancellation.
func NewWriter(f *os.File, name string, cancelled Cancelled) (*Writer, error) {
	h, err := newFile(f, name, cancelled)
	if err != nil {
		return nil, err
	}
	w := &Writer{file: h}
	var st unix.Stat_t
	if err := unix.Fstat(h.fd, &st); err != nil {
		return nil, h.fail(err)
	}
	if h.regular {
		w.old = max(st.Size-h.start, 0)
	} else {
		w.pipe = st.Mode&unix.S_IFMT == unix.S_IFIFO
	}
	return w, nil
}

// Write appends p to the stream.
func (w *Writer) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		if err := w.cancelled(); err != nil {
			return done, err
		}
		var n int
		var err error
		if w.regular {
			n, err = unix.Pwrite(w.fd, p[done:], w.start+w.off)
		} else {
			if err := w.wait(unix.POLLOUT); err != nil {
				return done, err
			}
			n, err = unix.Write(w.fd, p[done:done+w.room(len(p)-done)])
		}
		switch {
		case err == unix.EINTR, err == unix.EAGAIN:
			continue
		case err != nil:
			return done, w.fail(err)
		case n == 0:
			return done, w.fail(io.ErrShortWrite)
		}
		done += n
		w.off += int64(n)
	}
	w.end = max(w.end, w.off)
	return done, nil
}

// room is how much of n bytes one write may carry without blocking once
// poll said the descriptor is writable. A pipe holds its data in page
// slots, a partly read slot still taking a whole one, so its free bytes
// cannot be told from what is queued: only an empty pipe takes its whole
// size at once. Otherwise POLLOUT promises one free slot, which holds a
// write of pipeChunk bytes (PIPE_BUF: written whole or not at all).
func (w *Writer) room(n int) int {
	if w.pipe {
		size, err1 := unix.FcntlInt(uintptr(w.fd), unix.F_GETPIPE_SZ, 0)
		queued, err2 := unix.IoctlGetInt(w.fd, unix.TIOCINQ) // FIONREAD
		if err1 == nil && err2 == nil && queued == 0 {
			return min(n, size)
		}
	}
	return min(n, pipeChunk)
}

// zeros is a block of zeros for holes written out to a pipe.
var zeros = make([]byte, 64<<10)

// Skip appends n zero bytes: a hole in a regular file (nothing is
// written past its old end, a hole punched over old bytes; Close sets
// the size), real zeros anywhere else.
func (w *Writer) Skip(n int64) error {
	if w.regular {
		if end := min(w.off+n, w.old); end > w.off {
			if err := w.clear(w.off, end-w.off); err != nil {
				return err
			}
		}
		w.off += n
		return nil
	}
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// clear makes n bytes at stream offset off of a regular file read as
// zeros: a hole punched where the host's filesystem can, zeros written
// where it cannot.
func (w *Writer) clear(off, n int64) error {
	err := unix.Fallocate(w.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, w.start+off, n)
	if err == nil {
		return nil
	}
	if err != unix.EOPNOTSUPP && err != unix.ENOSYS {
		return w.fail(err)
	}
	for n > 0 {
		k, err := unix.Pwrite(w.fd, zeros[:min(n, int64(len(zeros)))], w.start+off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return w.fail(err)
		}
		off += int64(k)
		n -= int64(k)
	}
	return nil
}

// Close ends the stream: a regular file that ends in a hole is extended
// to its full size, and its offset is left after the stream. It does not
// close the descriptor (the server does, when the call ends).
func (w *Writer) Close() error {
	if w.regular && w.off > w.end {
		var st unix.Stat_t
		if err := unix.Fstat(w.fd, &st); err != nil {
			return w.fail(err)
		}
		if st.Size < w.start+w.off {
			if err := unix.Ftruncate(w.fd, w.start+w.off); err != nil {
				return w.fail(err)
			}
		}
	}
	return w.settle()
}
