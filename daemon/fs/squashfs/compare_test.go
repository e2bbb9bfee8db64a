package squashfs

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs/fstest"
	"golang.org/x/sys/unix"
)

func mksquashfs(t *testing.T, tree string, args ...string) string {
	t.Helper()
	need(t, "mksquashfs")
	p := filepath.Join(t.TempDir(), "x.sqfs")
	out, err := exec.Command("mksquashfs", append([]string{tree, p, "-noappend", "-quiet"}, args...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return p
}

type ref struct {
	mode     os.FileMode
	uid, gid uint32
	size     int64
	mtime    int64
	nlink    uint64
	rdev     uint64
	target   string
	sum      string
	xattrs   []string
}

func lxattrs(t *testing.T, p string) []string {
	buf := make([]byte, 1<<16)
	n, err := unix.Llistxattr(p, buf)
	require.NoError(t, err)
	var out []string
	for _, name := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		v := make([]byte, 1<<16)
		k, err := unix.Lgetxattr(p, name, v)
		require.NoError(t, err)
		out = append(out, name+"="+string(v[:k]))
	}
	sort.Strings(out)
	return out
}

// unsquash extracts the image with unsquashfs -d (as root: owners, modes,
// times, devices, hard links and xattrs kept) and lists it.
func unsquash(t *testing.T, img string) map[string]ref {
	t.Helper()
	need(t, "unsquashfs")
	d := filepath.Join(t.TempDir(), "x")
	out, err := exec.Command("unsquashfs", "-quiet", "-no-progress", "-d", d, img).CombinedOutput()
	require.NoError(t, err, "%s", out)
	m := map[string]ref{}
	require.NoError(t, filepath.Walk(d, func(p string, fi os.FileInfo, err error) error {
		require.NoError(t, err)
		if p == d {
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		r := ref{mode: fi.Mode(), uid: st.Uid, gid: st.Gid, mtime: fi.ModTime().Unix(), nlink: uint64(st.Nlink), rdev: st.Rdev, xattrs: lxattrs(t, p)}
		switch {
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			r.size, r.sum = fi.Size(), fmt.Sprintf("%x", sha256.Sum256(b))
		case fi.Mode()&os.ModeSymlink != 0:
			r.target, err = os.Readlink(p)
			require.NoError(t, err)
			r.size = int64(len(r.target))
		}
		m["/"+strings.TrimPrefix(p, d+"/")] = r
		return nil
	}))
	return m
}

var llnLine = regexp.MustCompile(`^(\S{10}) (\d+)/(\d+)\s+(\d+,\s+\d+|\S+) \d{4}-\d\d-\d\d \d\d:\d\d squashfs-root(/.*?)(?: -> .*)?$`)

// lln lists the image with unsquashfs -lln: mode string, owners, size
// (or device numbers) by path.
func lln(t *testing.T, img string) map[string][]string {
	t.Helper()
	out, err := exec.Command("unsquashfs", "-lln", img).Output()
	require.NoError(t, err)
	m := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if g := llnLine.FindStringSubmatch(sc.Text()); g != nil {
			m[g[5]] = g[1:5]
		}
	}
	return m
}

// TestAgainstUnsquashfs compares, file by file, images of every
// compressor mksquashfs offers (and the default with -no-fragments and
// -always-use-fragments) with what unsquashfs -d extracts and unsquashfs
// -lln lists.
func TestAgainstUnsquashfs(t *testing.T) {
	tree := fstest.MakeTree(t, true, "owners, device nodes, trusted xattrs")
	for _, args := range [][]string{
		nil, {"-comp", "xz"}, {"-comp", "zstd"}, {"-comp", "lz4"}, {"-comp", "lzo"}, {"-comp", "lzma"},
		{"-no-fragments", "-b", "4096"}, {"-always-use-fragments", "-b", "1M"}, {"-noI", "-noD", "-noF", "-noX"},
	} {
		t.Run(strings.Join(append([]string{"mksquashfs"}, args...), " "), func(t *testing.T) {
			img := mksquashfs(t, tree, args...)
			x := mount(t, img, "")
			got := fstest.Walk(t, x)
			want := unsquash(t, img)
			list := lln(t, img)
			fstest.SameKeys(t, want, got)
			fstest.SameKeys(t, list, got)
			for p, w := range want {
				g := got[p].FI
				assert.Equal(t, w.mode, g.Mode, "%s: mode", p)
				assert.Equal(t, w.uid, g.Uid, "%s: uid", p)
				assert.Equal(t, w.gid, g.Gid, "%s: gid", p)
				assert.Equal(t, w.nlink, g.Nlink, "%s: nlink", p)
				assert.Equal(t, w.rdev, g.Rdev, "%s: rdev", p)
				assert.Equal(t, w.target, got[p].Target, "%s: target", p)
				assert.Equal(t, w.sum, got[p].Sum, "%s: content", p)
				if !w.mode.IsDir() {
					assert.Equal(t, w.size, g.Size, "%s: size", p)
				}
				src, err := os.Lstat(filepath.Join(tree, p))
				require.NoError(t, err)
				assert.Equal(t, src.ModTime().Unix(), g.Mtime.Unix(), "%s: mtime", p)
				if !w.mode.IsDir() && w.mode&os.ModeSymlink == 0 {
					assert.Equal(t, w.mtime, g.Mtime.Unix(), "%s: mtime (unsquashfs)", p)
				}
				names, err := x.LListXattrs(p)
				require.NoError(t, err)
				var xs []string
				for _, n := range names {
					v, err := x.LGetXattr(p, n)
					require.NoError(t, err)
					xs = append(xs, n+"="+string(v))
				}
				sort.Strings(xs)
				assert.Equal(t, w.xattrs, xs, "%s: xattrs", p)
				l := list[p]
				if g.Mode&os.ModeDevice == 0 {
					assert.Equal(t, fmt.Sprint(g.Size), l[3], "%s: size (unsquashfs -lln)", p)
				}
				assert.Equal(t, fmt.Sprintf("%d/%d", g.Uid, g.Gid), l[1]+"/"+l[2], p)
			}
		})
	}
}

// TestKernelSizes pins what Linux shows that the tools do not: a
// directory's size is its listing's plus 3.
func TestKernelSizes(t *testing.T) {
	tree := fstest.MakeTree(t, true, "owners, device nodes, trusted xattrs")
	x := mount(t, mksquashfs(t, tree), "")
	fi, err := x.Stat("/sticky")
	require.NoError(t, err)
	assert.Equal(t, int64(3), fi.Size, "an empty directory")
	fi, err = x.Stat("/big")
	require.NoError(t, err)
	assert.Greater(t, fi.Size, int64(300*20))
	assert.Equal(t, uint64(2), fi.Nlink)
}
