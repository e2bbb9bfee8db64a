package vfat

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/errno"
	"goguestfs/daemon/fs"
)

// driveOf opens an image as a blockdev.Drive, which punches holes.
func driveOf(t *testing.T, img string) *blockdev.Drive {
	t.Helper()
	fh, err := os.OpenFile(img, os.O_RDWR, 0)
	require.NoError(t, err)
	d, err := blockdev.Open(img, fh, nil)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

func allocatedBytes(t *testing.T, p string) int64 {
	t.Helper()
	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(p, &st))
	return st.Blocks * 512
}

func noZeroBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	for i := range b {
		if b[i] == 0 {
			b[i] = 1
		}
	}
	return b
}

func putFile(t *testing.T, f *FS, p string, data []byte) {
	t.Helper()
	h, err := f.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	require.NoError(t, err)
	_, err = h.WriteAt(data, 0)
	require.NoError(t, err)
	require.NoError(t, h.Close())
}

func getFile(t *testing.T, f *FS, p string) []byte {
	t.Helper()
	h, err := f.OpenFile(p, os.O_RDONLY, 0)
	require.NoError(t, err)
	defer h.Close()
	st, err := h.Stat()
	require.NoError(t, err)
	b := make([]byte, st.Size)
	n, _ := h.ReadAt(b, 0)
	return b[:n]
}

func TestZeroFreeSpace(t *testing.T) {
	for _, c := range []struct {
		name   string
		size   int64
		victim int
		args   []string
	}{
		{"fat12", 4 << 20, 2 << 20, []string{"-F", "12"}},
		{"fat16", 32 << 20, 16 << 20, []string{"-F", "16"}},
		{"fat32", 64 << 20, 24 << 20, []string{"-F", "32"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := mkfsImage(t, c.size, c.args...)
			d := driveOf(t, img)
			x, err := Driver{}.Open(d, fs.OpenOptions{})
			require.NoError(t, err)
			f := x.(*FS)
			r := rand.New(rand.NewSource(5))
			require.NoError(t, f.Mkdir("/dir", 0o755))
			keep := map[string][]byte{}
			for i := 0; i < 12; i++ {
				p := fmt.Sprintf("/dir/keep%d.bin", i)
				keep[p] = noZeroBytes(r, r.Intn(int(c.size/64)))
				putFile(t, f, p, keep[p])
			}
			victim := noZeroBytes(r, c.victim)
			putFile(t, f, "/victim.bin", victim)
			require.NoError(t, f.Sync())
			require.NoError(t, f.Remove("/victim.bin"))
			// A removed file still open keeps its clusters until closed.
			open := noZeroBytes(r, 64<<10)
			putFile(t, f, "/open.bin", open)
			h, err := f.OpenFile("/open.bin", os.O_RDONLY, 0)
			require.NoError(t, err)
			require.NoError(t, f.Remove("/open.bin"))
			before := allocatedBytes(t, img)

			var last, total uint64
			require.NoError(t, f.ZeroFreeSpace(func(done, tot uint64) {
				require.GreaterOrEqual(t, done, last, "progress goes forward")
				last, total = done, tot
			}, func() error { return nil }))
			assert.Equal(t, uint64(f.g.ClusterCount), total)
			assert.Equal(t, total, last, "progress ends at the total")

			got := make([]byte, len(open))
			_, err = h.ReadAt(got, 0)
			require.NoError(t, err)
			assert.Equal(t, open, got, "the open removed file is untouched")
			held, err := f.chain(h.(*file).n.de.FirstClus)
			require.NoError(t, err)
			require.NotEmpty(t, held)
			require.NoError(t, h.Close())
			for p, want := range keep {
				require.True(t, bytes.Equal(want, getFile(t, f, p)), "%s reads back", p)
			}
			require.NoError(t, f.Close())
			after := allocatedBytes(t, img)
			assert.Less(t, after, before-int64(c.victim)*3/4, "holes punched: %d bytes allocated before, %d after", before, after)
			fsck(t, img)
			for p, want := range keep {
				require.True(t, bytes.Equal(want, mcat(t, img, p)), "mcopy reads %s", p)
			}

			raw, err := os.ReadFile(img)
			require.NoError(t, err)
			f = mount(t, img, true)
			free := 0
			heldBy := map[uint32]bool{}
			for _, cl := range held {
				heldBy[cl] = true
			}
			for cl := uint32(2); cl <= f.maxCluster(); cl++ {
				if f.fatGet(cl) != 0 || heldBy[cl] {
					continue // in use, or freed by the open file's close after zeroing
				}
				free++
				off := f.g.ClusterOffset(cl)
				require.True(t, allZeros(raw[off:off+f.g.ClusterSize]), "free cluster %d reads as zeros", cl)
			}
			require.NoError(t, f.Close())
			require.Greater(t, free, 0)
			for off := 0; off+4096 <= len(victim); off += 256 << 10 {
				require.False(t, bytes.Contains(raw, victim[off:off+64]), "the removed file's bytes at %d are gone", off)
			}
			require.True(t, bytes.Contains(raw, open[:4096]), "the clusters of the open removed file were not zeroed")
		})
	}
}

func allZeros(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func TestZeroFreeSpaceCancel(t *testing.T) {
	img := mkfsImage(t, 300<<20, "-F", "32")
	x, err := Driver{}.Open(driveOf(t, img), fs.OpenOptions{})
	require.NoError(t, err)
	f := x.(*FS)
	putFile(t, f, "/keep.txt", bytes.Repeat([]byte("keep"), 1<<16))
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
	assert.Less(t, done, uint64(f.g.ClusterCount), "stopped early")
	require.NoError(t, f.Close())
	fsck(t, img)
	assert.Equal(t, bytes.Repeat([]byte("keep"), 1<<16), mcat(t, img, "/keep.txt"))
}

func TestZeroFreeSpaceReadOnly(t *testing.T) {
	img := mkfsImage(t, 8<<20)
	before, err := os.ReadFile(img)
	require.NoError(t, err)
	f := mount(t, img, true)
	err = f.ZeroFreeSpace(func(uint64, uint64) {}, func() error { return nil })
	assert.Equal(t, syscall.EROFS, errno.Of(err), "%v", err)
	require.NoError(t, f.Close())
	after, err := os.ReadFile(img)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(before, after), "a read-only mount writes nothing")
}
