package blockdev

import (
	"bytes"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openTest returns a drive over a file of size bytes filled with a
// pattern, read-only with an overlay when cow is set, and the file's bytes.
func openTest(t *testing.T, size int, cow bool) (*Drive, string, []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "img")
	data := make([]byte, size)
	rand.New(rand.NewSource(1)).Read(data)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	flag := os.O_RDWR
	if cow {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(p, flag, 0)
	require.NoError(t, err)
	var ov *os.File
	if cow {
		ov, err = os.CreateTemp(t.TempDir(), "ov")
		require.NoError(t, err)
	}
	d, err := Open("/dev/sda", f, ov)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d, p, data
}

func TestCOWMatchesModel(t *testing.T) {
	const size = 64*1024 + 1000 // not a multiple of the block size
	d, p, data := openTest(t, size, true)
	model := append([]byte(nil), data...)
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 300; i++ {
		off := rng.Int63n(size)
		n := rng.Intn(9000) + 1
		buf := make([]byte, n)
		rng.Read(buf)
		w, err := d.WriteAt(buf, off)
		want := int(min(int64(n), size-off))
		assert.Equal(t, want, w)
		if want < n {
			assert.ErrorIs(t, err, syscall.ENOSPC)
		} else {
			require.NoError(t, err)
		}
		copy(model[off:], buf[:want])

		roff := rng.Int63n(size)
		rb := make([]byte, rng.Intn(9000)+1)
		r, err := d.ReadAt(rb, roff)
		if int64(len(rb)) > size-roff {
			assert.Equal(t, io.EOF, err)
		} else {
			require.NoError(t, err)
		}
		require.True(t, bytes.Equal(model[roff:roff+int64(r)], rb[:r]), "read at %d after %d writes", roff, i)
	}
	all := make([]byte, size)
	_, err := d.ReadAt(all, 0)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(model, all))
	onDisk, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, onDisk), "the read-only file changed")
	require.NoError(t, d.Flush())
}

func TestWritableDriveAndPart(t *testing.T) {
	d, p, _ := openTest(t, 8192, false)
	assert.Equal(t, int64(8192), d.Size())
	_, err := d.WriteAt([]byte("xyz"), 100)
	require.NoError(t, err)
	part := &Part{Name: "/dev/sda1", Drive: d, Start: 4096, Length: 1024}
	n, err := part.WriteAt([]byte("abcdef"), 1020)
	assert.Equal(t, 4, n)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	b := make([]byte, 8)
	n, err = part.ReadAt(b, 1020)
	assert.Equal(t, 4, n)
	assert.Equal(t, io.EOF, err)
	assert.Equal(t, "abcd", string(b[:4]))
	_, err = part.ReadAt(b, -1)
	assert.ErrorIs(t, err, syscall.EINVAL)
	require.NoError(t, d.Flush())
	onDisk, _ := os.ReadFile(p)
	assert.Equal(t, "xyz", string(onDisk[100:103]))
	assert.Equal(t, "abcd", string(onDisk[4096+1020:4096+1024]))
	assert.Equal(t, int64(8192), int64(len(onDisk)), "the file grew")
}
