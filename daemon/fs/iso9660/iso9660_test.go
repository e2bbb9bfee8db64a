package iso9660

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/fstest"
)

// seed returns a committed image of testdata (made by make.sh).
func seed(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open("testdata/" + name + ".iso.gz")
	require.NoError(t, err)
	defer f.Close()
	z, err := gzip.NewReader(f)
	require.NoError(t, err)
	b, err := io.ReadAll(z)
	require.NoError(t, err)
	return b
}

func openMem(t testing.TB, b []byte, opts string) *FS {
	t.Helper()
	x, err := Driver{}.Open(&fstest.ROMem{B: b}, fs.OpenOptions{Options: opts})
	require.NoError(t, err)
	return x.(*FS)
}

func TestRegistered(t *testing.T) {
	fstest.Registered(t, "iso9660", Driver{}, seed(t, "rr"))
}

func TestProbe(t *testing.T) {
	for _, n := range []string{"rr", "joliet", "plain"} {
		ok, err := Driver{}.Probe(&fstest.ROMem{B: seed(t, n)})
		require.NoError(t, err)
		assert.True(t, ok, n)
	}
	garbage := bytes.Repeat([]byte("garbage!"), 10000)
	for _, b := range [][]byte{nil, make([]byte, 100), make([]byte, 1<<20), garbage} {
		ok, err := Driver{}.Probe(&fstest.ROMem{B: b})
		assert.NoError(t, err)
		assert.False(t, ok)
		_, err = Driver{}.Open(&fstest.ROMem{B: b}, fs.OpenOptions{})
		assert.Equal(t, syscall.EINVAL, errnoOf(err))
	}
}

// TestSeeds reads the committed images: Rock Ridge (owners, modes, links,
// times), Joliet and plain names, label and UUID as blkid gives them.
func TestSeeds(t *testing.T) {
	x := openMem(t, seed(t, "rr"), "")
	fi, err := x.Stat("/hello.txt")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode)
	assert.Equal(t, uint32(1000), fi.Uid)
	assert.Equal(t, int64(13), fi.Size)
	assert.Equal(t, int64(1577934245), fi.Mtime.Unix())
	assert.Equal(t, "dir/sub", must(x.Readlink("/link")))
	h, err := x.OpenFile("/link/Deep File.txt", os.O_RDONLY, 0)
	require.NoError(t, err)
	b := make([]byte, 100)
	n, err := h.ReadAt(b, 0)
	assert.Equal(t, io.EOF, err)
	assert.Equal(t, "in a sub-directory\n", string(b[:n]))
	n, err = h.ReadAt(b[:5], 3)
	assert.NoError(t, err)
	assert.Equal(t, "a sub", string(b[:n]))
	require.NoError(t, h.Close())
	assert.Equal(t, "SEED_RR", must(x.Label()))
	// norock shows the Joliet tree of the same image
	j := openMem(t, seed(t, "rr"), "norock")
	fi, err = j.Stat("/hello.txt")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o555), fi.Mode, "no Rock Ridge: 0555, root's")
	assert.Zero(t, fi.Uid)
	_, err = j.Stat("/link")
	assert.Equal(t, syscall.ENOENT, errnoOf(err), "xorriso leaves links out of the Joliet tree")
	_, err = j.Stat("/dir/sub/Deep File.txt")
	assert.NoError(t, err)
	p := openMem(t, seed(t, "rr"), "norock,nojoliet")
	_, err = p.Stat("/dir/sub/deep_fil.txt")
	assert.NoError(t, err, "plain names, lower-cased")

	j = openMem(t, seed(t, "joliet"), "")
	_, err = j.Stat("/dir/sub/Deep File.txt")
	assert.NoError(t, err)
	assert.Equal(t, "SEED_J", must(j.Label()))
	p = openMem(t, seed(t, "plain"), "")
	ents, err := p.ReadDir("/")
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	assert.Equal(t, []string{"dir", "empty", "hello.txt"}, names)
	if _, err := exec.LookPath("blkid"); err == nil {
		f, err := os.CreateTemp(t.TempDir(), "iso")
		require.NoError(t, err)
		f.Write(seed(t, "rr"))
		f.Close()
		out, err := exec.Command("blkid", "-p", "-o", "value", "-s", "UUID", f.Name()).Output()
		require.NoError(t, err)
		assert.Equal(t, strings.TrimSpace(string(out)), must(x.UUID()))
		out, err = exec.Command("blkid", "-p", "-o", "value", "-s", "LABEL", f.Name()).Output()
		require.NoError(t, err)
		assert.Equal(t, strings.TrimSpace(string(out)), must(x.Label()))
	}
	st, err := x.StatFS()
	require.NoError(t, err)
	assert.Equal(t, int64(2048), st.Bsize)
	assert.Equal(t, uint64(len(seed(t, "rr"))/2048), st.Blocks)
}

// TestReadOnly: a read-write mount succeeds, and every change is EROFS.
func TestReadOnly(t *testing.T) {
	x := openMem(t, seed(t, "rr"), "rw")
	fstest.ReadOnly(t, x, "/hello.txt", func() {
		assert.Equal(t, syscall.EROFS, errnoOf(x.SetLabel("x")))
		assert.Equal(t, syscall.EROFS, errnoOf(x.SetUUID("x")))
	})
}

func TestErrors(t *testing.T) {
	x := openMem(t, seed(t, "rr"), "")
	_, err := x.Stat("/isolinux/x.cfg")
	assert.EqualError(t, err, "/isolinux/x.cfg: no such file or directory")
	assert.Equal(t, syscall.ENOENT, errnoOf(err))
	_, err = x.Stat("/hello.txt/x")
	assert.Equal(t, syscall.ENOTDIR, errnoOf(err))
	_, err = x.ReadDir("/hello.txt")
	assert.Equal(t, syscall.ENOTDIR, errnoOf(err))
	_, err = x.OpenFile("/dir", os.O_RDONLY, 0)
	assert.Equal(t, syscall.EISDIR, errnoOf(err))
	_, err = x.Readlink("/hello.txt")
	assert.Equal(t, syscall.EINVAL, errnoOf(err))
	_, err = x.Stat("relative")
	assert.Equal(t, syscall.EINVAL, errnoOf(err))
	// an absolute link resolves inside the image
	h, err := x.OpenFile("/abs", os.O_RDONLY, 0)
	require.NoError(t, err)
	fi, err := h.Stat()
	require.NoError(t, err)
	assert.Equal(t, "hello.txt", fi.Name)
	// ".." never climbs above the root
	_, err = x.Stat("/link/../../../../hello.txt")
	assert.NoError(t, err)
	_, err = Driver{}.Open(&fstest.ROMem{B: seed(t, "rr")}, fs.OpenOptions{Options: "uid=1000"})
	assert.Equal(t, syscall.EINVAL, errnoOf(err))
}

// TestSymlinkLoop: ELOOP after 40 links, on a tool-made image.
func TestSymlinkLoop(t *testing.T) {
	tree := fstest.MakeTree(t, false, "owners, device nodes")
	x := mount(t, makeISO(t, tree, "xorriso", "-R"), "")
	_, err := x.OpenFile("/loop1", os.O_RDONLY, 0)
	assert.Equal(t, syscall.ELOOP, errnoOf(err))
	fi, err := x.Stat("/loop1")
	require.NoError(t, err, "Stat does not follow a final link")
	assert.Equal(t, os.ModeSymlink|0o777, fi.Mode)
	ents, err := x.ReadDir("/abs-inside")
	require.NoError(t, err, "/abs-inside -> /deep/d2")
	assert.Equal(t, "d3", ents[0].Name)
	_, err = x.Stat("/abs-link")
	assert.NoError(t, err)
	_, err = x.OpenFile("/abs-link", os.O_RDONLY, 0)
	assert.Equal(t, syscall.ENOENT, errnoOf(err), "/etc/passwd is not in the image")
	_, err = x.OpenFile("/chr", os.O_RDONLY, 0)
	assert.Equal(t, syscall.EINVAL, errnoOf(err))
}

// TestTruncatedImage: an image cut short gives EIO, never a panic.
func TestTruncatedImage(t *testing.T) {
	b := seed(t, "rr")
	for _, n := range []int{16*2048 + 100, 17 * 2048, 18 * 2048, 20 * 2048, len(b) - 2048} {
		x, err := Driver{}.Open(&fstest.ROMem{B: b[:n]}, fs.OpenOptions{})
		if err != nil {
			assert.Contains(t, []syscall.Errno{syscall.EIO, syscall.EINVAL}, errnoOf(err), "%d bytes: %v", n, err)
			continue
		}
		exercise(x.(*FS), 1<<20)
	}
}
