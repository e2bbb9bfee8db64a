package squashfs

import (
	"bytes"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
	"goguestfs/daemon/fs/fstest"
)

var compressors = []string{"gzip", "xz", "zstd", "lz4", "lzo"}

func seed(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name + ".sqfs")
	require.NoError(t, err)
	return b
}

func openMem(t testing.TB, b []byte, opts string) *FS {
	t.Helper()
	x, err := Driver{}.Open(&fstest.ROMem{B: b}, fs.OpenOptions{Options: opts})
	require.NoError(t, err)
	return x.(*FS)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestRegistered(t *testing.T) {
	fstest.Registered(t, "squashfs", Driver{}, seed(t, "gzip"))
}

func TestProbe(t *testing.T) {
	garbage := bytes.Repeat([]byte("garbage!"), 10000)
	for _, b := range [][]byte{nil, make([]byte, 50), make([]byte, 1<<20), garbage} {
		ok, err := Driver{}.Probe(&fstest.ROMem{B: b})
		assert.NoError(t, err)
		assert.False(t, ok)
		_, err = Driver{}.Open(&fstest.ROMem{B: b}, fs.OpenOptions{})
		assert.Equal(t, syscall.EINVAL, errnoOf(err))
	}
	iso := make([]byte, 40000)
	copy(iso[32769:], "CD001\x01")
	ok, err := Driver{}.Probe(&fstest.ROMem{B: iso})
	assert.NoError(t, err)
	assert.False(t, ok)
}

// TestSeeds reads the committed images of every compressor.
func TestSeeds(t *testing.T) {
	numbers := ""
	for i := 1; i <= 3000; i++ {
		numbers += strings.Repeat("", 0) + itoa(i) + "\n"
	}
	for _, c := range compressors {
		t.Run(c, func(t *testing.T) {
			x := openMem(t, seed(t, c), "")
			fi, err := x.Stat("/hello.txt")
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o640), fi.Mode)
			assert.Equal(t, uint64(2), fi.Nlink)
			assert.Equal(t, int64(1577934245), fi.Mtime.Unix())
			hard, err := x.Stat("/hard")
			require.NoError(t, err)
			assert.Equal(t, fi.Ino, hard.Ino, "a hard link is the same inode")
			assert.Equal(t, []byte("hi"), must(x.GetXattr("/hello.txt", "user.greeting")))
			_, err = x.GetXattr("/hello.txt", "user.none")
			assert.Equal(t, syscall.ENODATA, errnoOf(err))
			assert.Equal(t, "dir/sub", must(x.Readlink("/link")))
			for p, want := range map[string]string{
				"/link/Deep File.txt": "in a sub-directory\n",
				"/dir/ten-thousand":   strings.Repeat("x", 10000),
				"/dir/numbers":        numbers,
				"/empty":              "",
			} {
				h, err := x.OpenFile(p, os.O_RDONLY, 0)
				require.NoError(t, err, p)
				b, err := io.ReadAll(io.NewSectionReader(h, 0, 1<<20))
				require.NoError(t, err, p)
				assert.Equal(t, want, string(b), p)
				b = make([]byte, 7)
				n, err := h.ReadAt(b, 4093)
				if len(want) >= 4100 {
					require.NoError(t, err, "a read across a block boundary")
					assert.Equal(t, want[4093:4100], string(b[:n]))
				}
				require.NoError(t, h.Close())
			}
			fi, err = x.Stat("/fifo")
			require.NoError(t, err)
			assert.Equal(t, os.ModeNamedPipe|0o644, fi.Mode)
			st, err := x.StatFS()
			require.NoError(t, err)
			assert.Equal(t, int64(4096), st.Bsize)
		})
	}
}

func itoa(i int) string {
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestReadOnly(t *testing.T) {
	x := openMem(t, seed(t, "gzip"), "rw")
	var v fs.FS = x
	_, isLabeler := v.(fs.Labeler)
	assert.False(t, isLabeler, "squashfs has no label")
	fstest.ReadOnly(t, x, "/hello.txt", func() {
		assert.Equal(t, syscall.EROFS, errnoOf(x.SetXattr("/hello.txt", "user.a", nil)))
		assert.Equal(t, syscall.EROFS, errnoOf(x.RemoveXattr("/hello.txt", "user.greeting")))
	})
}

func TestErrors(t *testing.T) {
	x := openMem(t, seed(t, "gzip"), "")
	_, err := x.Stat("/isolinux/x.cfg")
	assert.EqualError(t, err, "/isolinux/x.cfg: no such file or directory")
	_, err = x.Stat("/hello.txt/x")
	assert.Equal(t, syscall.ENOTDIR, errnoOf(err))
	_, err = x.ReadDir("/hello.txt")
	assert.Equal(t, syscall.ENOTDIR, errnoOf(err))
	_, err = x.OpenFile("/dir", os.O_RDONLY, 0)
	assert.Equal(t, syscall.EISDIR, errnoOf(err))
	_, err = x.OpenFile("/fifo", os.O_RDONLY, 0)
	assert.Equal(t, syscall.EINVAL, errnoOf(err))
	_, err = x.Readlink("/hello.txt")
	assert.Equal(t, syscall.EINVAL, errnoOf(err))
	_, err = x.Stat("/link/../../../hello.txt")
	assert.NoError(t, err, "\"..\" never climbs above the root")
	_, err = Driver{}.Open(&fstest.ROMem{B: seed(t, "gzip")}, fs.OpenOptions{Options: "uid=0"})
	assert.Equal(t, syscall.EINVAL, errnoOf(err))
}

func TestSymlinkLoop(t *testing.T) {
	tree := fstest.MakeTree(t, true, "owners, device nodes, trusted xattrs")
	x := mount(t, mksquashfs(t, tree), "")
	_, err := x.OpenFile("/loop1", os.O_RDONLY, 0)
	assert.Equal(t, syscall.ELOOP, errnoOf(err))
	ents, err := x.ReadDir("/abs-inside")
	require.NoError(t, err)
	assert.Equal(t, "d3", ents[0].Name)
	_, err = x.OpenFile("/abs-link", os.O_RDONLY, 0)
	assert.Equal(t, syscall.ENOENT, errnoOf(err), "/etc/passwd is not in the image")
}

func TestTruncatedImage(t *testing.T) {
	for _, c := range compressors {
		b := seed(t, c)
		for n := 96; n < len(b); n += 512 {
			x, err := Driver{}.Open(&fstest.ROMem{B: b[:n]}, fs.OpenOptions{})
			if err != nil {
				assert.Contains(t, []syscall.Errno{syscall.EIO, syscall.EINVAL}, errnoOf(err), "%s, %d bytes: %v", c, n, err)
				continue
			}
			exercise(x.(*FS), 1<<20)
		}
	}
}
