package ext

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
)

const gib = int64(1) << 30

// dataRanges walks NextData from 0 to io.EOF.
func dataRanges(t *testing.T, h fs.File) [][2]int64 {
	t.Helper()
	df, ok := h.(fs.DataFile)
	require.True(t, ok, "an ext file is a DataFile")
	var out [][2]int64
	for off := int64(0); ; {
		s, e, err := df.NextData(off)
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		require.GreaterOrEqual(t, s, off, "range starts at or after %d", off)
		require.Greater(t, e, s, "range at %d is not empty", s)
		out = append(out, [2]int64{s, e})
		off = e
		require.Less(t, len(out), 1<<20, "NextData does not advance")
	}
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	for i := range b {
		if b[i] == 0 {
			b[i] = 1
		}
	}
	return b
}

// sparseThroughDriver writes 5000 bytes at 0 and 3000 at 1 GiB, and makes
// the file 10 GiB long.
func sparseThroughDriver(t *testing.T, f *FS, p string) fs.File {
	t.Helper()
	r := rand.New(rand.NewSource(1))
	h, err := f.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	require.NoError(t, err)
	_, err = h.WriteAt(randBytes(r, 5000), 0)
	require.NoError(t, err)
	_, err = h.WriteAt(randBytes(r, 3000), gib)
	require.NoError(t, err)
	require.NoError(t, h.Truncate(10*gib))
	return h
}

func TestNextDataDriverHoles(t *testing.T) {
	for _, c := range []struct{ name, args string }{
		{"ext4", "-t ext4"},
		{"ext3", "-t ext3 -b 4096"},
		{"ext2", "-t ext2 -b 4096"},
		{"ext4-1k", "-t ext4 -b 1024"},
	} {
		t.Run(c.name, func(t *testing.T) {
			im := mkfs(t, 32<<10, strings.Fields(c.args)...)
			f, done := im.open(fs.OpenOptions{})
			h := sparseThroughDriver(t, f, "/sparse")
			bs := int64(f.fs.blocksize)
			want := [][2]int64{{0, (5000 + bs - 1) / bs * bs}, {gib, gib + (3000+bs-1)/bs*bs}}
			assert.Equal(t, want, dataRanges(t, h))
			df := h.(fs.DataFile)
			s, e, err := df.NextData(100)
			require.NoError(t, err)
			assert.Equal(t, [2]int64{100, want[0][1]}, [2]int64{s, e}, "off inside a range")
			s, e, err = df.NextData(want[0][1])
			require.NoError(t, err)
			assert.Equal(t, want[1], [2]int64{s, e}, "off in the hole before 1 GiB")
			_, _, err = df.NextData(want[1][1])
			assert.Equal(t, io.EOF, err, "the hole up to 10 GiB")
			_, _, err = df.NextData(10 * gib)
			assert.Equal(t, io.EOF, err, "at the end")
			_, _, err = df.NextData(-1)
			assert.Error(t, err)
			// A size cutting the last block: the range ends at the size.
			require.NoError(t, h.(interface{ Truncate(int64) error }).Truncate(gib+100))
			assert.Equal(t, [][2]int64{want[0], {gib, gib + 100}}, dataRanges(t, h))
			require.NoError(t, h.Close())
			require.NoError(t, f.Close())
			done()
			im.fsck()
		})
	}
}

// hostSparse makes a directory holding a 100 MiB sparse file /sparse with
// random data at 1 MiB (8192 bytes) and 50 MiB (4096 bytes), made with
// truncate and dd, and a preallocated (fallocate) MiB at 20 MiB.
func hostSparse(t *testing.T) (dir string, content []byte) {
	t.Helper()
	dir = t.TempDir()
	p := filepath.Join(dir, "sparse")
	run(t, "truncate", "-s", "100M", p)
	run(t, "dd", "if=/dev/urandom", "of="+p, "bs=4096", "count=2", "seek=256", "conv=notrunc", "status=none")
	run(t, "dd", "if=/dev/urandom", "of="+p, "bs=4096", "count=1", "seek=12800", "conv=notrunc", "status=none")
	run(t, "fallocate", "-o", "20M", "-l", "1M", p)
	content, err := os.ReadFile(p)
	require.NoError(t, err)
	return dir, content
}

func TestNextDataHostMade(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct{ name, args string }{
		{"ext4", "-t ext4"},
		{"ext3", "-t ext3 -b 4096"},
		{"ext2-noextent", "-t ext2 -b 4096 -O ^extent"},
		{"ext4-1k", "-t ext4 -b 1024"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, content := hostSparse(t)
			im := mkfs(t, 64<<10, append(strings.Fields(c.args), "-d", dir)...)
			im.fsck()
			f, done := im.open(fs.OpenOptions{ReadOnly: true})
			defer done()
			h, err := f.OpenFile("/sparse", os.O_RDONLY, 0)
			require.NoError(t, err)
			defer h.Close()
			assert.Equal(t, [][2]int64{{mib, mib + 8192}, {50 * mib, 50*mib + 4096}}, dataRanges(t, h))
			got := readFile(t, f, "/sparse")
			require.True(t, bytes.Equal(content, got), "the file reads back as the host's")
		})
	}
}

// TestNextDataUninit: extents allocated uninitialized (debugfs fallocate,
// inside the file's size) are holes.
func TestNextDataUninit(t *testing.T) {
	const mib = 1 << 20
	dir, content := hostSparse(t)
	im := mkfs(t, 64<<10, "-t", "ext4", "-d", dir)
	run(t, "debugfs", "-w", "-R", "fallocate /sparse 1024 2047", im.path)
	require.Contains(t, im.debugfs("ex /sparse"), "Uninit", "debugfs made an uninitialized extent")
	im.fsck()
	f, done := im.open(fs.OpenOptions{})
	defer done()
	h, err := f.OpenFile("/sparse", os.O_RDONLY, 0)
	require.NoError(t, err)
	assert.Equal(t, [][2]int64{{mib, mib + 8192}, {50 * mib, 50*mib + 4096}}, dataRanges(t, h))
	require.NoError(t, h.Close())
	require.True(t, bytes.Equal(content, readFile(t, f, "/sparse")))
}

func TestNextDataInline(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4", "-O", "inline_data")
	f, done := im.open(fs.OpenOptions{})
	defer done()
	writeFile(t, f, "/small", []byte("tiny"), os.O_WRONLY|os.O_CREATE)
	h, err := f.OpenFile("/small", os.O_RDONLY, 0)
	require.NoError(t, err)
	defer h.Close()
	assert.Equal(t, [][2]int64{{0, 4}}, dataRanges(t, h))
	s, e, err := h.(fs.DataFile).NextData(2)
	require.NoError(t, err)
	assert.Equal(t, [2]int64{2, 4}, [2]int64{s, e})
	_, _, err = h.(fs.DataFile).NextData(4)
	assert.Equal(t, io.EOF, err)
}

// TestNextDataEmpty: an empty file and a file that is one hole have no data.
func TestNextDataEmpty(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4")
	f, done := im.open(fs.OpenOptions{})
	defer done()
	h, err := f.OpenFile("/hole", os.O_RDWR|os.O_CREATE, 0o644)
	require.NoError(t, err)
	assert.Empty(t, dataRanges(t, h))
	require.NoError(t, h.Truncate(5*gib))
	assert.Empty(t, dataRanges(t, h))
	require.NoError(t, h.Close())
	_, _, err = h.(fs.DataFile).NextData(0)
	assert.Error(t, err, "a closed file")
}

// TestNextDataRandom writes random sparse layouts (many extents, deep
// trees on ext4, indirect blocks on ext2) and checks that the ranges
// cover every byte written and that everything outside them reads as
// zeros.
func TestNextDataRandom(t *testing.T) {
	for _, typ := range []string{"ext4", "ext2"} {
		t.Run(typ, func(t *testing.T) {
			im := mkfs(t, 64<<10, "-t", typ, "-b", "1024")
			f, done := im.open(fs.OpenOptions{})
			r := rand.New(rand.NewSource(7))
			for i := 0; i < 6; i++ {
				p := fmt.Sprintf("/f%d", i)
				h, err := f.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
				require.NoError(t, err)
				size := int64(1 + r.Intn(64<<20))
				var written [][2]int64
				for j := 0; j < 1+r.Intn(300); j++ {
					off := r.Int63n(size)
					n := min(int64(1+r.Intn(20000)), size-off)
					_, err := h.WriteAt(randBytes(r, int(n)), off)
					require.NoError(t, err)
					written = append(written, [2]int64{off, off + n})
				}
				require.NoError(t, h.Truncate(size))
				if r.Intn(2) == 0 {
					cut := r.Int63n(size)
					require.NoError(t, h.Truncate(cut))
					require.NoError(t, h.Truncate(size))
					for k := range written {
						written[k][1] = min(written[k][1], cut)
					}
				}
				ranges := dataRanges(t, h)
				for k, rg := range ranges {
					require.LessOrEqual(t, rg[1], size)
					if k > 0 {
						require.Greater(t, rg[0], ranges[k-1][1], "ranges are merged and ordered")
					}
				}
				for _, w := range written {
					for off := w[0]; off < w[1]; {
						k := rangeAt(ranges, off)
						require.GreaterOrEqual(t, k, 0, "%s: written byte %d is in a range %v", p, off, ranges)
						off = ranges[k][1]
					}
				}
				buf := make([]byte, 1<<20)
				zero := make([]byte, len(buf))
				prev := int64(0)
				for _, rg := range append(ranges, [2]int64{size, size}) {
					for off := prev; off < rg[0]; {
						n := min(int64(len(buf)), rg[0]-off)
						got, err := h.ReadAt(buf[:n], off)
						require.NoError(t, err)
						require.True(t, bytes.Equal(buf[:got], zero[:got]), "%s: hole at %d reads as zeros", p, off)
						off += n
					}
					prev = rg[1]
				}
				require.NoError(t, h.Close())
			}
			require.NoError(t, f.Close())
			done()
			im.fsck()
		})
	}
}

func rangeAt(ranges [][2]int64, off int64) int {
	for k, rg := range ranges {
		if off >= rg[0] && off < rg[1] {
			return k
		}
	}
	return -1
}

// BenchmarkNextDataSparse measures walking the data of a 10 GiB file with
// two small data regions.
func BenchmarkNextDataSparse(b *testing.B) {
	p := filepath.Join(b.TempDir(), "fs.img")
	if out, err := osexec.Command("mke2fs", "-q", "-F", "-t", "ext4", p, "32M").CombinedOutput(); err != nil {
		b.Fatalf("mke2fs: %v: %s", err, out)
	}
	img, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer img.Close()
	f, err := Open(&fileDev{f: img, size: 32 << 20}, fs.OpenOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	h, err := f.OpenFile("/sparse", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	for _, off := range []int64{0, gib} {
		if _, err := h.WriteAt(make([]byte, 5000), off); err != nil {
			b.Fatal(err)
		}
	}
	if err := h.Truncate(10 * gib); err != nil {
		b.Fatal(err)
	}
	df := h.(fs.DataFile)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		for off := int64(0); ; n++ {
			_, e, err := df.NextData(off)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			off = e
		}
		if n != 2 {
			b.Fatalf("%d ranges, want 2", n)
		}
	}
}
