package blockdev

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// allocated returns the bytes of the file at p that occupy storage.
func allocated(t *testing.T, p string) int64 {
	t.Helper()
	var st unix.Stat_t
	require.NoError(t, unix.Stat(p, &st))
	return st.Blocks * 512
}

// TestZeroMatchesModel mixes writes and Zero calls at random offsets and
// lengths (aligned, unaligned, past the end) on a writable and on a
// read-only drive, reading back after each against a model; the read-only
// drive's file must not change.
func TestZeroMatchesModel(t *testing.T) {
	for _, cow := range []bool{false, true} {
		t.Run(fmt.Sprintf("cow=%v", cow), func(t *testing.T) {
			const size = 256*1024 + 1000 // not a multiple of the block size
			d, p, data := openTest(t, size, cow)
			model := append([]byte(nil), data...)
			rng := rand.New(rand.NewSource(3))
			for i := 0; i < 400; i++ {
				off := rng.Int63n(size)
				if rng.Intn(2) == 0 {
					off = off / BlockSize * BlockSize
				}
				n := rng.Int63n(40000)
				if i%3 == 0 {
					buf := make([]byte, n)
					rng.Read(buf)
					w, _ := d.WriteAt(buf, off)
					copy(model[off:], buf[:w])
				} else {
					err := d.Zero(off, n)
					fit := min(n, size-off)
					clear(model[off : off+fit])
					if fit < n {
						assert.ErrorIs(t, err, syscall.ENOSPC)
					} else {
						require.NoError(t, err)
					}
				}
				roff := rng.Int63n(size)
				rb := make([]byte, min(int64(rng.Intn(60000)+1), size-roff))
				_, err := d.ReadAt(rb, roff)
				require.NoError(t, err)
				require.True(t, bytes.Equal(model[roff:roff+int64(len(rb))], rb), "read at %d after op %d", roff, i)
			}
			all := make([]byte, size)
			_, err := d.ReadAt(all, 0)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(model, all))
			onDisk, err := os.ReadFile(p)
			require.NoError(t, err)
			if cow {
				assert.True(t, bytes.Equal(data, onDisk), "the read-only file changed")
			} else {
				assert.True(t, bytes.Equal(model, onDisk), "the file differs from the model")
			}
		})
	}
}

// TestZeroPunches checks that Zero frees the file's storage (or the
// overlay's) rather than writing zeros, and that the edges of an
// unaligned range are exact.
func TestZeroPunches(t *testing.T) {
	const size = 4 << 20
	d, p, _ := openTest(t, size, false)
	before := allocated(t, p)
	require.NoError(t, d.Zero(100, size-200))
	assert.LessOrEqual(t, allocated(t, p), before-size+2*BlockSize+BlockSize, "the zeroed range still occupies storage")
	b := make([]byte, size)
	_, err := d.ReadAt(b, 0)
	require.NoError(t, err)
	assert.NotEqual(t, make([]byte, 100), b[:100], "the bytes before the range changed")
	assert.Equal(t, make([]byte, size-200), b[100:size-100])
	assert.NotEqual(t, make([]byte, 100), b[size-100:], "the bytes after the range changed")

	// An overlay drive: the overlay holds no data for the zeroed blocks,
	// and they read as zeros, not from the file.
	c, cp, data := openTest(t, size, true)
	require.NoError(t, c.Zero(0, size))
	assert.Zero(t, allocated(t, c.overlay.Name()))
	_, err = c.ReadAt(b, 0)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, size), b)
	onDisk, err := os.ReadFile(cp)
	require.NoError(t, err)
	assert.Equal(t, data, onDisk)
	// A write into a zeroed block keeps the rest of it zero (the block
	// counts as copied: the file's bytes must not come back).
	_, err = c.WriteAt([]byte("x"), 5000)
	require.NoError(t, err)
	_, err = c.ReadAt(b[:BlockSize], BlockSize)
	require.NoError(t, err)
	want := make([]byte, BlockSize)
	want[5000-BlockSize] = 'x'
	assert.Equal(t, want, b[:BlockSize])
}

func TestZeroArguments(t *testing.T) {
	d, _, _ := openTest(t, 8192, false)
	assert.ErrorIs(t, d.Zero(-1, 10), syscall.EINVAL)
	assert.ErrorIs(t, d.Zero(0, -1), syscall.EINVAL)
	assert.ErrorIs(t, d.Zero(9000, 1), syscall.ENOSPC)
	require.NoError(t, d.Zero(8192, 0))
	part := &Part{Name: "/dev/sda1", Drive: d, Start: 1000, Length: 4000}
	assert.ErrorIs(t, part.Zero(-1, 1), syscall.EINVAL)
	err := part.Zero(3000, 2000)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	assert.Contains(t, err.Error(), "/dev/sda1")
	b := make([]byte, 8192)
	_, err = d.ReadAt(b, 0)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, 1000), b[4000:5000], "the partition's last bytes are zero")
	assert.NotEqual(t, make([]byte, 100), b[5000:5100], "Zero went past the partition")
	assert.NotEqual(t, make([]byte, 100), b[3900:4000], "Zero started before its offset")
}

// plainDev is a Dev without Zero, counting its writes.
type plainDev struct {
	b      []byte
	writes int
}

func (p *plainDev) ReadAt(b []byte, off int64) (int, error) { return copy(b, p.b[off:]), nil }
func (p *plainDev) WriteAt(b []byte, off int64) (int, error) {
	p.writes++
	return copy(p.b[off:], b), nil
}
func (p *plainDev) Size() int64       { return int64(len(p.b)) }
func (p *plainDev) SectorSize() int64 { return SectorSize }

// TestZeroFallback: a device without Zero gets zeros written, only over
// the chunks that are not zero already.
func TestZeroFallback(t *testing.T) {
	dev := &plainDev{b: make([]byte, 3*zeroChunk)}
	dev.b[zeroChunk+5] = 1
	dev.b[3*zeroChunk-1] = 1
	require.NoError(t, Zero(dev, 10, 3*zeroChunk-20))
	assert.Equal(t, 1, dev.writes)
	assert.Equal(t, byte(1), dev.b[3*zeroChunk-1])
	assert.Equal(t, make([]byte, 3*zeroChunk-1), dev.b[:3*zeroChunk-1])
	assert.ErrorIs(t, Zero(dev, 3*zeroChunk-1, 2), syscall.ENOSPC)
	assert.Equal(t, byte(0), dev.b[3*zeroChunk-1])
	assert.ErrorIs(t, Zero(dev, -1, 2), syscall.EINVAL)
	// A Drive goes through its own Zero.
	d, _, _ := openTest(t, 8192, false)
	require.NoError(t, Zero(d, 0, 8192))
}

// TestCOWSet compares the sparse bitmap with a map over random ranges.
func TestCOWSet(t *testing.T) {
	s, model := cowSet{}, map[int64]bool{}
	rng := rand.New(rand.NewSource(4))
	for range 300 {
		b0 := rng.Int63n(3 * leafBlocks)
		b1 := b0 + rng.Int63n(300)
		if rng.Intn(20) == 0 {
			b1 = b0 + rng.Int63n(2*leafBlocks)
		}
		s.add(b0, b1)
		for b := b0; b < b1; b++ {
			model[b] = true
		}
	}
	for b := int64(0); b < 6*leafBlocks; b++ {
		require.Equal(t, model[b], s.has(b), "block %d", b)
	}
	assert.LessOrEqual(t, len(s), 6)
}

// TestZeroKeepsHoles: zeroing unaligned ranges over a hole of the image
// file writes nothing, so that zeroing many small free runs of a
// filesystem does not grow a sparse image.
func TestZeroKeepsHoles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sparse.img")
	require.NoError(t, os.WriteFile(p, nil, 0o644))
	require.NoError(t, os.Truncate(p, 4<<20))
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	require.NoError(t, err)
	d, err := Open("/dev/sda", f, nil)
	require.NoError(t, err)
	defer d.Close()
	for off := int64(100); off+1000 <= 4<<20; off += 3*BlockSize + 777 {
		require.NoError(t, d.Zero(off, 1000))
	}
	assert.Zero(t, allocated(t, p), "zeros written over holes")
	// Over data, the edges are still cleared.
	_, err = d.WriteAt(bytes.Repeat([]byte{1}, 2*BlockSize), 0)
	require.NoError(t, err)
	require.NoError(t, d.Zero(10, 100))
	b := make([]byte, 200)
	_, err = d.ReadAt(b, 0)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, 100), b[10:110])
	assert.Equal(t, bytes.Repeat([]byte{1}, 10), b[:10])
}
