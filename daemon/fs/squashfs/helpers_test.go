package squashfs

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// fileDev is a device over a plain file.
type fileDev struct {
	*os.File
	size int64
}

func (d *fileDev) Size() int64       { return d.size }
func (d *fileDev) SectorSize() int64 { return 512 }

// memDev is a device in memory.
type memDev struct{ b []byte }

func (d *memDev) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(d.b)) {
		return 0, fmt.Errorf("read out of range")
	}
	n := copy(p, d.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (d *memDev) WriteAt(p []byte, off int64) (int, error) {
	return 0, fmt.Errorf("memDev: write at %d in a read-only test", off)
}
func (d *memDev) Size() int64       { return int64(len(d.b)) }
func (d *memDev) SectorSize() int64 { return 512 }

// need fails the test when a tool that scripts/packages.txt installs is
// missing: CI has it.
func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run sh scripts/install-deps.sh (Debian squashfs-tools)", tool)
		}
	}
}

func openDev(t testing.TB, p string) *fileDev {
	t.Helper()
	f, err := os.Open(p)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	require.NoError(t, err)
	return &fileDev{File: f, size: st.Size()}
}

func mount(t testing.TB, p string, opts string) *FS {
	t.Helper()
	x, err := Driver{}.Open(openDev(t, p), fs.OpenOptions{ReadOnly: true, Options: opts})
	require.NoError(t, err)
	return x.(*FS)
}

// entry is one file as the driver shows it.
type entry struct {
	fi     fs.FileInfo
	target string
	sum    string
}

// walk lists every file of x by path, reading each regular file whole.
func walk(t testing.TB, x *FS) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	var rec func(p string)
	rec = func(p string) {
		ents, err := x.ReadDir(p)
		require.NoError(t, err, "ReadDir %s", p)
		for _, e := range ents {
			c := path.Join(p, e.Name)
			fi, err := x.Stat(c)
			if err != nil && errno.Of(err) == syscall.EIO {
				out[c] = entry{sum: "EIO"}
				continue
			}
			require.NoError(t, err, "Stat %s", c)
			require.Equal(t, e.Type, fi.Mode.Type(), "%s: ReadDir and Stat disagree on the type", c)
			en := entry{fi: fi}
			switch {
			case fi.Mode.IsDir():
				rec(c)
			case fi.Mode&os.ModeSymlink != 0:
				en.target, err = x.Readlink(c)
				require.NoError(t, err)
			case fi.Mode.IsRegular():
				h, err := x.OpenFile(c, os.O_RDONLY, 0)
				require.NoError(t, err, "open %s", c)
				s := sha256.New()
				_, err = io.Copy(s, io.NewSectionReader(h, 0, fi.Size+1))
				require.NoError(t, err, "read %s", c)
				require.NoError(t, h.Close())
				en.sum = fmt.Sprintf("%x", s.Sum(nil))
			}
			out[c] = en
		}
	}
	rec("/")
	return out
}

func dump(m map[string]entry) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var b strings.Builder
	for _, k := range ks {
		e := m[k]
		fmt.Fprintf(&b, "%s\t%v\t%d:%d\tn%d\t%d\t%d\t%s\t%.12s\n", k, e.fi.Mode, e.fi.Uid, e.fi.Gid, e.fi.Nlink, e.fi.Size, e.fi.Mtime.Unix(), e.target, e.sum)
	}
	return b.String()
}

func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	return errno.Of(err)
}
