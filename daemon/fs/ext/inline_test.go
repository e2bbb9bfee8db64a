package ext

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"goguestfs/daemon/fs"
)

// TestInlineData covers the 1.47.0 inline-data bugs: a short inline file
// read whole returned 60 bytes, and a write at an offset crashed.
func TestInlineData(t *testing.T) {
	im := mkfs(t, 8<<10, "-t", "ext4", "-O", "inline_data")
	src := filepath.Join(t.TempDir(), "small")
	require.NoError(t, os.WriteFile(src, []byte("XYZ"), 0o600))
	run(t, "debugfs", "-w", "-R", "write "+src+" inl", im.path)
	run(t, "debugfs", "-w", "-R", "write "+src+" inl2", im.path)
	require.Contains(t, im.debugfs("stat /inl"), "Size of inline data")
	f, done := im.open(fs.OpenOptions{})
	defer done()
	assert.Equal(t, "XYZ", string(readFile(t, f, "/inl")))
	h, err := f.OpenFile("/inl", os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = h.WriteAt([]byte("BBBBBBBBBB"), 20)
	require.NoError(t, err)
	b := make([]byte, 64)
	n, err := h.ReadAt(b, 0)
	assert.Equal(t, io.EOF, err)
	assert.Equal(t, "XYZ"+string(make([]byte, 17))+"BBBBBBBBBB", string(b[:n]))
	require.NoError(t, h.Close())
	h, err = f.OpenFile("/inl2", os.O_RDWR, 0)
	require.NoError(t, err)
	require.NoError(t, h.Truncate(2))
	require.NoError(t, h.Close())
	require.NoError(t, f.Close())
	im.fsck()
	assert.Equal(t, "XY", string(im.cat("/inl2")))
	assert.Equal(t, 30, len(im.cat("/inl")))
}
