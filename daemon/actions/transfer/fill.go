package transfer

import (
	"fmt"
	"os"
	"path"
	"syscall"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/server"
)

// Fill creates or truncates the guest file p and writes len_ bytes of
// value c_ to it, real blocks even for zeros, as libguestfs does.
func (a *Actions) Fill(c *server.Call, c_ int, len_ int, p string) error {
	if c_ < 0 || c_ > 255 {
		return errno.New(syscall.EINVAL, "%s: c %d is not an octet (0 to 255)", errno.Cut(p), c_)
	}
	if len_ < 0 {
		return errno.New(syscall.EINVAL, "%s: len %d is negative", errno.Cut(p), len_)
	}
	buf := make([]byte, min(len_, cpChunk))
	for i := range buf {
		buf[i] = byte(c_)
	}
	return a.fillWith(c, p, int64(len_), buf)
}

// FillPattern creates or truncates the guest file p and writes len_ bytes
// of pattern repeated to it, the last copy cut short.
func (a *Actions) FillPattern(c *server.Call, pattern string, len_ int, p string) error {
	if pattern == "" {
		return errno.New(syscall.EINVAL, "%s: the pattern is empty", errno.Cut(p))
	}
	if len_ < 0 {
		return errno.New(syscall.EINVAL, "%s: len %d is negative", errno.Cut(p), len_)
	}
	// A whole number of copies fits in the buffer, so that every chunk
	// starts at the pattern's start.
	n := max(cpChunk/len(pattern), 1) * len(pattern)
	buf := make([]byte, min(len_, n))
	for i := range buf {
		buf[i] = pattern[i%len(pattern)]
	}
	return a.fillWith(c, p, int64(len_), buf)
}

// fillWith writes n bytes to the guest file p, created or truncated: buf
// repeated (its length a multiple of any pattern it holds), in chunks,
// with progress and cancellation between them.
func (a *Actions) fillWith(c *server.Call, p string, n int64, buf []byte) error {
	f, err := a.files.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return err
	}
	defer f.Close()
	w := cpFileWriter{f, p}
	for done := int64(0); done < n; {
		if err := c.Cancelled(); err != nil {
			return err
		}
		b := buf[:min(n-done, int64(len(buf)))]
		if _, err := w.WriteAt(b, done); err != nil {
			return err
		}
		done += int64(len(b))
		c.Progress(uint64(done), uint64(n))
	}
	if err := f.Close(); err != nil {
		return pathErr(p, err)
	}
	return nil
}

// FillDir creates nr empty files (mode 0644) in the guest directory dir,
// named 00000000 to nr - 1 in eight digits, as libguestfs does; an
// existing name gives EEXIST, leaving the files made before it.
func (a *Actions) FillDir(c *server.Call, dir string, nr int) error {
	if nr < 0 {
		return errno.New(syscall.EINVAL, "%s: nr %d is negative", errno.Cut(dir), nr)
	}
	fi, err := a.files.StatPath(dir, true)
	if err != nil {
		return err
	}
	if !fi.Mode.IsDir() {
		return errno.New(syscall.ENOTDIR, "%s: not a directory", errno.Cut(dir))
	}
	for i := range nr {
		if err := c.Cancelled(); err != nil {
			return err
		}
		p := path.Join(dir, fmt.Sprintf("%08d", i))
		f, err := a.files.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return pathErr(p, err)
		}
		c.Progress(uint64(i+1), uint64(nr))
	}
	return nil
}
