package fstools

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"goguestfs/daemon/blockdev"
)

// memDev is a device in memory without Zero, counting what is written.
type memDev struct {
	b       []byte
	written int64
}

func (m *memDev) ReadAt(p []byte, off int64) (int, error) { return copy(p, m.b[off:]), nil }
func (m *memDev) WriteAt(p []byte, off int64) (int, error) {
	m.written += int64(len(p))
	return copy(m.b[off:], p), nil
}
func (m *memDev) Size() int64       { return int64(len(m.b)) }
func (m *memDev) SectorSize() int64 { return blockdev.SectorSize }

// scatter writes random runs (some of zeros) into mem, as a tool would.
func scatter(t *testing.T, mem *os.File, size int64, rng *rand.Rand) {
	t.Helper()
	for range 40 {
		off := rng.Int64N(size)
		n := min(rng.Int64N(200000)+1, size-off)
		b := make([]byte, n)
		if rng.IntN(4) != 0 {
			for i := range b {
				b[i] = byte(rng.UintN(256))
			}
		}
		_, err := mem.WriteAt(b, off)
		require.NoError(t, err)
	}
}

func memBytes(t *testing.T, mem *os.File, size int64) []byte {
	t.Helper()
	b := make([]byte, size)
	_, err := mem.ReadAt(b, 0)
	require.NoError(t, err)
	return b
}

// TestCopyOut: a device (with Zero and without) holds exactly the memfd
// afterwards, whatever it held before.
func TestCopyOut(t *testing.T) {
	const size = 8<<20 + 3000
	rng := rand.New(rand.NewPCG(1, 2))
	mem, err := newMem("/dev/sda", size)
	require.NoError(t, err)
	defer mem.Close()
	scatter(t, mem, size, rng)
	want := memBytes(t, mem, size)

	plain := &memDev{b: garbage(size, 3)}
	require.NoError(t, copyOut("/dev/sda", plain, mem))
	assert.True(t, bytes.Equal(want, plain.b))

	p := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(p, garbage(size, 4), 0o644))
	d := openDrive(t, p, false)
	require.NoError(t, copyOut("/dev/sda", d, mem))
	assert.True(t, bytes.Equal(want, readDev(t, d)))
}

// TestNewMemSealed: a tool cannot grow or shrink the memfd.
func TestNewMemSealed(t *testing.T) {
	mem, err := newMem("/dev/sda", 8192)
	require.NoError(t, err)
	defer mem.Close()
	_, err = mem.WriteAt([]byte("x"), 8192)
	assert.ErrorIs(t, err, syscall.EPERM)
	assert.ErrorIs(t, mem.Truncate(4096), syscall.EPERM)
	_, err = mem.WriteAt([]byte("x"), 8191)
	assert.NoError(t, err)
}

// TestCopyInWriteBack: the copy skips zero chunks (the memfd stays
// sparse); after changes to the copy (in copied chunks, in skipped ones,
// and holes punched where there was data) the device is the copy, and
// only changed blocks were written.
func TestCopyInWriteBack(t *testing.T) {
	const size = 4<<20 + 1000
	dev := &memDev{b: make([]byte, size)}
	copy(dev.b[100000:], garbage(300000, 5))
	copy(dev.b[3<<20:], garbage(70000, 6))
	mem, err := newMem("/dev/sda", size)
	require.NoError(t, err)
	defer mem.Close()
	copied, err := copyIn("/dev/sda", dev, mem)
	require.NoError(t, err)
	assert.Equal(t, dev.b, memBytes(t, mem, size))
	var st unix.Stat_t
	require.NoError(t, unix.Fstat(int(mem.Fd()), &st))
	assert.LessOrEqual(t, st.Blocks*512, int64(8*copyChunk), "zero chunks were copied")
	assert.True(t, copied.has(100000/copyChunk))
	assert.False(t, copied.has(0))
	assert.Equal(t, int64(3<<20/copyChunk), copied.next(8, int64(len(copied)*64)))

	require.NoError(t, writeBack("/dev/sda", dev, mem, copied))
	assert.Zero(t, dev.written, "nothing changed, nothing written")

	// Changes: bytes in a copied chunk, in a chunk of zeros, at the
	// unaligned end, and a hole punched over copied data.
	for _, c := range []struct {
		off int64
		b   []byte
	}{{150000, []byte("changed")}, {2 << 20, []byte("new")}, {size - 3, []byte("end")}} {
		_, err := mem.WriteAt(c.b, c.off)
		require.NoError(t, err)
	}
	require.NoError(t, unix.Fallocate(int(mem.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 3<<20, 8192))
	want := memBytes(t, mem, size)
	require.NoError(t, writeBack("/dev/sda", dev, mem, copied))
	assert.True(t, bytes.Equal(want, dev.b))
	assert.Equal(t, int64(5*compareBlock-(4096-size%4096)), dev.written, "more than the changed blocks were written")
}

func TestClean(t *testing.T) {
	out := "mke2fs 1.47.0 (5-Feb-2023)\next2fs_check_if_mount: Permission denied while determining whether /proc/self/fd/3 is mounted.\n" +
		"ERROR: Couldn't open /dev/null (Permission denied)\n/proc/self/fd/3: could not parse UUID: x\n"
	assert.Equal(t, "/dev/sda1: could not parse UUID: x", clean(out, "/dev/sda1"))
	var tb tailBuffer
	for range 3000 {
		tb.Write([]byte(strings.Repeat("x", 99) + "\n"))
	}
	tb.Write([]byte("last"))
	s := tb.text()
	assert.True(t, strings.HasPrefix(s, "[...] "))
	assert.True(t, strings.HasSuffix(s, "last"))
	assert.LessOrEqual(t, len(s), maxOutput+10)
}

// TestExecPaths: the tools, their loader and libraries, and their
// configuration, as absolute paths of files that exist.
func TestExecPaths(t *testing.T) {
	paths := ExecPaths()
	for _, p := range paths {
		assert.True(t, filepath.IsAbs(p), p)
		st, err := os.Stat(p)
		require.NoError(t, err)
		assert.True(t, st.Mode().IsRegular(), p)
	}
	joined := strings.Join(paths, " ")
	for _, want := range []string{"/mke2fs", "/e2fsck", "/fsck.fat", "/ld-linux", "/libext2fs.so", "/libc.so", "/libblkid.so", "/etc/mke2fs.conf", "/etc/ld.so.cache"} {
		assert.Contains(t, joined, want)
	}
	assert.NotContains(t, paths, "/usr/lib", "whole directories are not granted")
}

// TestCopyBudget: a device with more data than a copy may hold fails
// with ENOMEM before the checker runs, and is not changed.
func TestCopyBudget(t *testing.T) {
	part := extWithFiles(t, "ext4")
	corrupt(t, part, "ssv state 0")
	before := readDev(t, part)
	saved := memBudget
	memBudget = func() int64 { return 256 << 10 }
	defer func() { memBudget = saved }()
	_, err := Fsck(part, "ext4")
	assert.ErrorIs(t, err, syscall.ENOMEM)
	assert.ErrorContains(t, err, "/dev/sda1: the device holds more data than a copy in memory may (")
	assert.Equal(t, before, readDev(t, part))
	memBudget = saved
	st, err := Fsck(part, "ext4")
	require.NoError(t, err)
	assert.Equal(t, 1, st, "marked clean")
}
