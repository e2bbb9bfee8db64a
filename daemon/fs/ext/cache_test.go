package ext

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/blockdev"
	"goguestfs/daemon/fs"
)

// TestCacheEviction runs random reads and writes through a cache of four
// entries over a device whose size is not a multiple of the entry size,
// against a plain copy.
func TestCacheEviction(t *testing.T) {
	const size = 10*cacheBlock + 1000
	dev := make(memDev, size)
	ref := make([]byte, size)
	c := newCachedDev(dev, 4)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		off := r.IntN(size)
		n := r.IntN(min(size-off, 3*cacheBlock) + 1)
		if r.IntN(2) == 0 {
			p := make([]byte, n)
			for j := range p {
				p[j] = byte(r.Uint32())
			}
			_, err := c.WriteAt(p, int64(off))
			require.NoError(t, err)
			copy(ref[off:], p)
		} else {
			p := make([]byte, n)
			_, err := c.ReadAt(p, int64(off))
			require.NoError(t, err)
			require.Equal(t, ref[off:off+n], p)
		}
		require.LessOrEqual(t, c.lru.Len(), 4)
	}
	require.NoError(t, c.Zero(100, 9000))
	copy(ref[100:], make([]byte, 9000))
	require.NoError(t, c.Flush())
	assert.True(t, bytes.Equal(ref, dev))
	_, err := c.WriteAt([]byte{1}, size)
	assert.ErrorIs(t, err, syscall.EIO)
	_, err = c.ReadAt(make([]byte, 2), size-1)
	assert.ErrorIs(t, err, syscall.EIO)
}

// badDev fails or panics on reads after the first n.
type badDev struct {
	memDev
	mu    sync.Mutex
	n     int
	panic bool
}

func (d *badDev) ReadAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	d.n--
	left := d.n
	d.mu.Unlock()
	if left < 0 {
		if d.panic {
			panic("device exploded")
		}
		return 0, syscall.EIO
	}
	return d.memDev.ReadAt(p, off)
}

func TestDeviceFailures(t *testing.T) {
	for _, p := range []bool{false, true} {
		img := append(memDev(nil), small(t, false)...)
		// The superblock read by package disk succeeds, libext2fs's reads fail.
		_, err := Open(&badDev{memDev: img, n: 1, panic: p}, fs.OpenOptions{ReadOnly: true})
		require.Error(t, err)
		assert.True(t, errors.Is(err, syscall.EIO), "%v", err)
	}
}

// TestConcurrentUse hammers two filesystems from several goroutines (run
// with -race): one mutex per filesystem serialises libext2fs.
func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for k := 0; k < 2; k++ {
		im := mkfs(t, 8<<10, "-t", "ext4")
		f, done := im.open(fs.OpenOptions{})
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dir := "/g" + string(rune('a'+g))
				assert.NoError(t, f.Mkdir(dir, 0o755))
				for i := 0; i < 50; i++ {
					p := dir + "/f" + string(rune('a'+i%26)) + string(rune('a'+i/26))
					h, err := f.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
					if !assert.NoError(t, err) {
						return
					}
					_, err = h.WriteAt(bytes.Repeat([]byte{byte(i)}, 3000), 0)
					assert.NoError(t, err)
					b := make([]byte, 3000)
					_, err = h.ReadAt(b, 0)
					assert.True(t, err == nil || err == io.EOF)
					assert.NoError(t, h.Close())
					_, err = f.ReadDir(dir)
					assert.NoError(t, err)
				}
			}()
		}
		defer func() {
			wg.Wait()
			require.NoError(t, f.Close())
			done()
			im.fsck()
		}()
	}
	wg.Wait()
}

// TestPartitionDevice opens an ext4 made at an offset through the block
// layer's own partition type (a Drive and a Part of it).
func TestPartitionDevice(t *testing.T) {
	im := mkfsAt(t, 1<<20, 8<<10, "-t", "ext4")
	file, err := os.OpenFile(im.path, os.O_RDWR, 0)
	require.NoError(t, err)
	drive, err := blockdev.Open("/dev/sda", file, nil)
	require.NoError(t, err)
	defer drive.Close()
	part := &blockdev.Part{Name: "/dev/sda1", Drive: drive, Start: im.off, Length: im.size}
	f, err := Open(part, fs.OpenOptions{})
	require.NoError(t, err)
	writeFile(t, f, "/hello", []byte("through the block layer"), os.O_CREATE|os.O_WRONLY)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	im.fsck()
	assert.Equal(t, "through the block layer", string(im.cat("/hello")))
}
