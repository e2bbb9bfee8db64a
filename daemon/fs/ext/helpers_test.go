package ext

import (
	"bytes"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
)

// fileDev is a byte range of an image file: a partition.
type fileDev struct {
	f         *os.File
	off, size int64
}

func (d *fileDev) ReadAt(p []byte, off int64) (int, error) {
	if off >= d.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), d.size-off))
	m, err := d.f.ReadAt(p[:n], d.off+off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return m, err
}

func (d *fileDev) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > d.size {
		return 0, fmt.Errorf("write past the end of the device")
	}
	return d.f.WriteAt(p, d.off+off)
}

func (d *fileDev) Size() int64       { return d.size }
func (d *fileDev) SectorSize() int64 { return 512 }
func (d *fileDev) Sync() error       { return d.f.Sync() }

// image is a test filesystem image made by mke2fs, maybe at an offset
// inside a larger file.
type image struct {
	t         *testing.T
	path      string
	off, size int64
}

// mkfs makes an image of sizeKiB with mke2fs's args (e.g. "-t", "ext4").
func mkfs(t *testing.T, sizeKiB int64, args ...string) *image {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fs.img")
	a := append([]string{"-q", "-F"}, args...)
	a = append(a, p, fmt.Sprintf("%dk", sizeKiB))
	out, err := osexec.Command("mke2fs", a...).CombinedOutput()
	require.NoError(t, err, "mke2fs: %s", out)
	return &image{t: t, path: p, size: sizeKiB << 10}
}

// mkfsAt makes an image of sizeKiB at byte offset off inside a file with
// slack after it.
func mkfsAt(t *testing.T, off, sizeKiB int64, args ...string) *image {
	t.Helper()
	im := mkfs(t, sizeKiB, args...)
	raw, err := os.ReadFile(im.path)
	require.NoError(t, err)
	whole := make([]byte, off+int64(len(raw))+1<<20)
	for i := range whole {
		whole[i] = 0xA5
	}
	copy(whole[off:], raw)
	require.NoError(t, os.WriteFile(im.path, whole, 0o600))
	im.off = off
	return im
}

func (im *image) dev() (*fileDev, func()) {
	f, err := os.OpenFile(im.path, os.O_RDWR, 0)
	require.NoError(im.t, err)
	return &fileDev{f: f, off: im.off, size: im.size}, func() { f.Close() }
}

// open mounts the image; the returned function closes it.
func (im *image) open(o fs.OpenOptions) (*FS, func()) {
	im.t.Helper()
	d, done := im.dev()
	f, err := Open(d, o)
	if err != nil {
		done()
	}
	require.NoError(im.t, err)
	return f, func() {
		if !f.closed {
			require.NoError(im.t, f.Close())
		}
		done()
	}
}

// plain returns the path of a file holding just the filesystem.
func (im *image) plain() string {
	if im.off == 0 {
		return im.path
	}
	raw, err := os.ReadFile(im.path)
	require.NoError(im.t, err)
	p := im.path + ".plain"
	require.NoError(im.t, os.WriteFile(p, raw[im.off:im.off+im.size], 0o600))
	return p
}

// fsck runs e2fsck -fn and requires a clean result.
func (im *image) fsck() {
	im.t.Helper()
	out, err := osexec.Command("e2fsck", "-fn", im.plain()).CombinedOutput()
	require.NoError(im.t, err, "e2fsck -fn: %s", out)
	require.NotContains(im.t, string(out), "Fix?", "e2fsck -fn: %s", out)
}

// debugfs runs a debugfs request and returns its standard output.
func (im *image) debugfs(req string) string {
	im.t.Helper()
	var out, errb bytes.Buffer
	cmd := osexec.Command("debugfs", "-R", req, im.plain())
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(im.t, cmd.Run(), "debugfs %s: %s", req, errb.String())
	return out.String()
}

// cat reads a file with debugfs.
func (im *image) cat(p string) []byte {
	return []byte(im.debugfs("cat " + quote(p)))
}

func quote(p string) string { return `"` + strings.ReplaceAll(p, `"`, `\"`) + `"` }

func writeFile(t *testing.T, f *FS, p string, data []byte, flag int) {
	t.Helper()
	h, err := f.OpenFile(p, flag, 0o644)
	require.NoError(t, err)
	_, err = h.WriteAt(data, 0)
	require.NoError(t, err)
	require.NoError(t, h.Close())
}

func readFile(t *testing.T, f *FS, p string) []byte {
	t.Helper()
	h, err := f.OpenFile(p, os.O_RDONLY, 0)
	require.NoError(t, err)
	defer h.Close()
	st, err := h.Stat()
	require.NoError(t, err)
	b := make([]byte, st.Size)
	n, err := h.ReadAt(b, 0)
	if err != io.EOF {
		require.NoError(t, err)
	}
	return b[:n]
}

func fmtSscan(s string, v *int64) (int, error) { return fmt.Sscan(strings.TrimSpace(s), v) }

// run runs a command and requires it to succeed.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := osexec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s: %s", name, out)
	return string(out)
}
