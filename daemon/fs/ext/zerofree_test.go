package ext

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// driveImage makes a sparse image of sizeMiB with mke2fs's args and opens
// it as a blockdev.Drive, which punches holes.
func driveImage(t *testing.T, sizeMiB int64, args ...string) (string, *blockdev.Drive) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fs.img")
	run(t, "mke2fs", append(append([]string{"-q", "-F"}, args...), p, fmt.Sprintf("%dM", sizeMiB))...)
	fh, err := os.OpenFile(p, os.O_RDWR, 0)
	require.NoError(t, err)
	d, err := blockdev.Open(p, fh, nil)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return p, d
}

// allocated is the image file's allocated size in bytes.
func allocated(t *testing.T, p string) int64 {
	t.Helper()
	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(p, &st))
	return st.Blocks * 512
}

// freeRanges is dumpe2fs's list of free block ranges, [first, last].
func freeRanges(t *testing.T, img string) (bs int64, ranges [][2]int64) {
	t.Helper()
	out, err := osexec.Command("dumpe2fs", img).Output()
	require.NoError(t, err)
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "Block size:"); ok {
			bs, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			require.NoError(t, err)
		}
		v, ok := strings.CutPrefix(l, "  Free blocks: ")
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		for _, r := range strings.Split(v, ", ") {
			a, b, found := strings.Cut(strings.TrimSpace(r), "-")
			if !found {
				b = a
			}
			x, err := strconv.ParseInt(a, 10, 64)
			require.NoError(t, err, "dumpe2fs range %q", r)
			y, err := strconv.ParseInt(b, 10, 64)
			require.NoError(t, err, "dumpe2fs range %q", r)
			ranges = append(ranges, [2]int64{x, y})
		}
	}
	require.NotZero(t, bs)
	return bs, ranges
}

func fsckImage(t *testing.T, img string) {
	t.Helper()
	out, err := osexec.Command("e2fsck", "-fn", img).CombinedOutput()
	require.NoError(t, err, "e2fsck -fn: %s", out)
}

func TestZeroFreeSpace(t *testing.T) {
	for _, c := range []struct{ name, args string }{
		{"ext4", "-t ext4"},
		{"ext4-1k", "-t ext4 -b 1024"},
		{"ext3", "-t ext3"},
		{"ext2", "-t ext2 -O ^extent"},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, d := driveImage(t, 64, strings.Fields(c.args)...)
			f, err := Open(d, fs.OpenOptions{})
			require.NoError(t, err)
			r := rand.New(rand.NewSource(3))
			keep := map[string][]byte{}
			require.NoError(t, f.Mkdir("/d", 0o755))
			for i := 0; i < 20; i++ {
				p := fmt.Sprintf("/d/k%d", i)
				keep[p] = randBytes(r, r.Intn(300<<10))
				writeFile(t, f, p, keep[p], os.O_WRONLY|os.O_CREATE)
			}
			victim := randBytes(r, 24<<20)
			writeFile(t, f, "/victim", victim, os.O_WRONLY|os.O_CREATE)
			require.NoError(t, f.Sync())
			require.NoError(t, f.Remove("/victim"))
			// A file whose blocks are still dirty in the cache when removed.
			cached := randBytes(r, 1<<20)
			writeFile(t, f, "/cached", cached, os.O_WRONLY|os.O_CREATE)
			require.NoError(t, f.Remove("/cached"))
			before := allocated(t, img)

			var last, total uint64
			calls := 0
			require.NoError(t, f.ZeroFreeSpace(func(done, tot uint64) {
				require.GreaterOrEqual(t, done, last, "progress goes forward")
				last, total = done, tot
				calls++
			}, func() error { return nil }))
			assert.Equal(t, total, last, "progress ends at the total")
			assert.Equal(t, uint64(blocksTotal(t, f)), total)
			assert.Greater(t, calls, 1)

			for p, want := range keep {
				require.True(t, bytes.Equal(want, readFile(t, f, p)), "%s reads back after zeroing", p)
			}
			require.NoError(t, f.Close())
			after := allocated(t, img)
			assert.Less(t, after, before-20<<20, "holes punched: %d bytes allocated before, %d after", before, after)
			fsckImage(t, img)

			raw, err := os.ReadFile(img)
			require.NoError(t, err)
			bs, ranges := freeRanges(t, img)
			require.NotEmpty(t, ranges)
			for _, rg := range ranges {
				seg := raw[rg[0]*bs : (rg[1]+1)*bs]
				require.True(t, allZero(seg), "free blocks %d-%d read as zeros", rg[0], rg[1])
			}
			for off := 0; off+4096 <= len(victim); off += 1 << 20 {
				require.False(t, bytes.Contains(raw, victim[off:off+64]), "the removed file's bytes at %d are gone", off)
			}
			for off := 0; off+4096 <= len(cached); off += 64 << 10 {
				require.False(t, bytes.Contains(raw, cached[off:off+64]), "the cached removed file's bytes at %d are gone", off)
			}

			f, err = Open(d, fs.OpenOptions{})
			require.NoError(t, err)
			for p, want := range keep {
				require.True(t, bytes.Equal(want, readFile(t, f, p)), "%s reads back after a remount", p)
			}
			// The zeroed space is usable again.
			again := randBytes(r, 8<<20)
			writeFile(t, f, "/again", again, os.O_WRONLY|os.O_CREATE)
			require.True(t, bytes.Equal(again, readFile(t, f, "/again")))
			require.NoError(t, f.Close())
			fsckImage(t, img)
		})
	}
}

// blocksTotal is the filesystem's size in blocks.
func blocksTotal(t *testing.T, f *FS) int64 {
	t.Helper()
	require.NoError(t, f.lock("/"))
	defer f.mu.Unlock()
	return int64(blocksCount(f))
}

func TestZeroFreeSpaceCancel(t *testing.T) {
	img, d := driveImage(t, 256, "-t", "ext4")
	f, err := Open(d, fs.OpenOptions{})
	require.NoError(t, err)
	writeFile(t, f, "/keep", bytes.Repeat([]byte("keep"), 1<<18), os.O_WRONLY|os.O_CREATE)
	stop := errno.New(syscall.EINTR, "cancelled")
	checks := 0
	var done uint64
	err = f.ZeroFreeSpace(func(d, _ uint64) { done = d }, func() error {
		if checks++; checks > 1 {
			return stop
		}
		return nil
	})
	require.True(t, errors.Is(err, stop), "the cancel error ends it: %v", err)
	assert.Less(t, done, uint64(blocksTotal(t, f)), "stopped early")
	assert.Equal(t, bytes.Repeat([]byte("keep"), 1<<18), readFile(t, f, "/keep"))
	require.NoError(t, f.Close())
	fsckImage(t, img)
}

func TestZeroFreeSpaceReadOnly(t *testing.T) {
	img, d := driveImage(t, 16, "-t", "ext4")
	f, err := Open(d, fs.OpenOptions{ReadOnly: true})
	require.NoError(t, err)
	sum := run(t, "sha256sum", img)
	err = f.ZeroFreeSpace(func(uint64, uint64) {}, func() error { return nil })
	assert.Equal(t, syscall.EROFS, errno.Of(err), "%v", err)
	require.NoError(t, f.Close())
	assert.Equal(t, sum, run(t, "sha256sum", img), "a read-only mount writes nothing")
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
